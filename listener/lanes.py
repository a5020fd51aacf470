"""Two lanes into one worker: failures first, routine traffic after.

A queue's deliveries reach a consumer in the order RabbitMQ wrote them to
the connection's socket. With every queue on one connection, a failure
delivered while a routine backlog drains is written behind up to
``rabbit_qos_prefetch_count`` routine deliveries already in flight, and
read after them. The failure priorities' queues are therefore consumed on a
connection of their own (the *urgent* lane), whose socket holds nothing
else; the worker looks at it every ``LOOK_INTERVAL`` and whenever it would
wait for the routine lane, and commits what is there before it reads on.

One thread does it all (the pipeline is not shared between threads): a
failure waits at most for the routine batch being committed, plus
``LOOK_INTERVAL``.
"""

from __future__ import annotations

import select
import time
from typing import Any

import kombu

from collector.model import Inbound

#: seconds between looks at the urgent lane while routine deliveries are read
LOOK_INTERVAL = 0.002
#: read timeout once a socket is known to be readable (a frame's rest is on its way)
READ_TIMEOUT = 0.5


class Lane:
    """One connection's consuming channel and the batch being built from it."""

    __slots__ = ("conn", "channel", "pending", "tags", "first", "own_keys", "consumer_tags")

    def __init__(self, conn: kombu.Connection, channel: Any, own_keys: frozenset[str]) -> None:
        self.conn, self.channel, self.own_keys = conn, channel, own_keys
        self.pending: list[Inbound] = []
        self.tags: list[int] = []
        self.first = 0.0  # monotonic time of the batch's first delivery
        self.consumer_tags: list[str] = []

    def consume(self, queue: str) -> None:
        self.consumer_tags.append(self.channel.basic_consume(queue=queue,
                                                             callback=self.on_message))

    def on_message(self, message: Any) -> None:
        if not self.pending:
            self.first = time.monotonic()
        info = message.delivery_info
        self.pending.append(Inbound(body=message.body, redelivered=info["redelivered"],
                                    own_topic=info["routing_key"] in self.own_keys))
        self.tags.append(message.delivery_tag)

    def cancel(self) -> None:
        for tag in self.consumer_tags:
            self.channel.basic_cancel(tag)


def _transport(lane: Lane) -> Any:
    return lane.conn.connection.transport


def buffered(transport: Any) -> bool:
    """A frame (or, over TLS, any byte) already read from the socket."""
    frame_buffered = getattr(transport, "_frame_buffered", None)
    if frame_buffered is not None:
        return bool(frame_buffered())
    pending = getattr(transport.sock, "pending", None)  # TLS: decrypted, unread
    return bool(transport._read_buffer) or bool(pending and pending())


class Readiness:
    """Which lane has something to read, by polling both sockets."""

    def __init__(self, routine: Lane, urgent: Lane | None) -> None:
        self.routine, self.urgent = routine, urgent
        self.lanes = [lane for lane in (urgent, routine) if lane is not None]
        self._next_look = 0.0
        self._urgent_seen = False
        if urgent is None:
            return
        self._routine_t, self._urgent_t = _transport(routine), _transport(urgent)
        self._routine_fd = self._routine_t.sock.fileno()
        self._urgent_fd = self._urgent_t.sock.fileno()
        self._both = select.poll()
        self._both.register(self._routine_fd, select.POLLIN)
        self._both.register(self._urgent_fd, select.POLLIN)
        self._one = select.poll()
        self._one.register(self._urgent_fd, select.POLLIN)

    def urgent_due(self, now: float) -> bool:
        """Time to look at the urgent lane (or it was seen readable)."""
        if self._urgent_seen or now >= self._next_look:
            self._urgent_seen = False
            self._next_look = now + LOOK_INTERVAL
            return True
        return False

    def urgent_now(self) -> bool:
        """A failure (or any frame) can be read from the urgent lane now."""
        return buffered(self._urgent_t) or bool(self._one.poll(0))

    def routine_buffered(self) -> bool:
        return buffered(self._routine_t)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for either socket; True if the routine
        one is readable. The urgent one is remembered for the next look."""
        routine = False
        for fd, _events in self._both.poll(max(0.0, timeout) * 1000.0):
            if fd == self._urgent_fd:
                self._urgent_seen = True
            else:
                routine = True
        return routine
