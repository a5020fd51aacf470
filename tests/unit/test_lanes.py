"""Which lane the worker reads next (listener.lanes), on real sockets."""

import socket
import time

from listener import lanes


class Transport:
    def __init__(self):
        self.sock, self.peer = socket.socketpair()
        self.frame = False

    def _frame_buffered(self):
        return self.frame


class Conn:
    def __init__(self):
        self.connection = type("C", (), {"transport": Transport()})()


def lane():
    return lanes.Lane(Conn(), None, frozenset())


def test_a_failure_arriving_while_the_worker_waits_is_looked_at_next():
    routine, urgent = lane(), lane()
    r = lanes.Readiness(routine, urgent)
    now = time.monotonic()
    assert r.urgent_due(now) and not r.urgent_due(now)  # then once per LOOK_INTERVAL
    assert not r.urgent_now() and not r.wait(0)
    urgent.conn.connection.transport.peer.send(b"x")
    assert r.wait(1.0) is False  # woken by the failures' socket, not the routine one
    assert r.urgent_due(now) and r.urgent_now()
    routine.conn.connection.transport.peer.send(b"y")
    assert r.wait(1.0) is True


def test_buffered_frames_count_as_ready_without_a_system_call():
    routine, urgent = lane(), lane()
    r = lanes.Readiness(routine, urgent)
    assert not r.routine_buffered()
    routine.conn.connection.transport.frame = True
    urgent.conn.connection.transport.frame = True
    assert r.routine_buffered() and r.urgent_now()
    assert r.urgent_due(time.monotonic() + lanes.LOOK_INTERVAL * 2)
