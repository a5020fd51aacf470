"""The kombu intake's batching and acknowledgement, without a broker.

A scripted connection plays deliveries and idle periods; the pipeline is
replaced by a recorder returning chosen outcomes.
"""

import threading
import time

import amqp
import pytest

from collector.model import Outcome
from listener import config
from listener.intake import bindings as intake_bindings
from listener.kombu_intake import KombuIntake


class Delivery:
    def __init__(self, tag, body=b"{}", redelivered=False):
        self.delivery_tag = tag
        self.body = body
        self.delivery_info = {"redelivered": redelivered, "routing_key": "user_messages.error"}


class FakeChannel:
    def __init__(self, log):
        self.log = log
        self.callbacks = []

    def basic_qos(self, *args):
        self.log.append(("qos",) + args)

    def exchange_declare(self, name, kind, **kw):
        self.log.append(("exchange", name, kw.get("passive", False)))

    def queue_declare(self, name, **kw):
        self.log.append(("queue", name, kw.get("passive", False), kw.get("arguments")))

    def queue_bind(self, queue, exchange, routing_key):
        self.log.append(("bind", queue, exchange, routing_key))

    def queue_unbind(self, queue, exchange, routing_key):
        self.log.append(("unbind", queue, exchange, routing_key))

    def basic_consume(self, queue, callback):
        self.callbacks.append(callback)
        return f"ctag-{queue}"

    def basic_ack(self, tag, multiple=False):
        self.log.append(("ack", tag, multiple))

    def basic_nack(self, tag, multiple=False, requeue=True):
        self.log.append(("nack", tag, multiple, requeue))

    def basic_reject(self, tag, requeue=True):
        self.log.append(("reject", tag, requeue))

    def basic_cancel(self, tag):
        self.log.append(("cancel", tag))


class FakeConnection:
    """drain_events plays a script: ints are deliveries, 'idle' times out,
    ('sleep', s) lets time pass, 'stop' sets the stop event."""

    def __init__(self, script, stop):
        self.script, self.stop = list(script), stop
        self.log = []
        self.channels = []

    def channel(self):
        ch = FakeChannel(self.log)
        self.channels.append(ch)
        return ch

    def drain_events(self, timeout=None):
        if not self.script:
            self.stop.set()
            raise TimeoutError()
        step = self.script.pop(0)
        if step == "idle":
            raise TimeoutError()
        if step == "stop":
            self.stop.set()
            raise TimeoutError()
        if isinstance(step, tuple):
            time.sleep(step[1])
            raise TimeoutError()
        for ch in self.channels:
            for cb in ch.callbacks:
                cb(Delivery(step))
                return

    def heartbeat_check(self, rate=2):
        self.log.append(("heartbeat", rate))


class RecordingPipeline:
    def __init__(self, outcome=lambda i, item: Outcome.STORED):
        self.batches, self.outcome = [], outcome

    def process(self, batch, keepalive=None):
        self.batches.append(len(batch))
        return [self.outcome(i, item) for i, item in enumerate(batch)]


@pytest.fixture
def intake_for():
    def make(pipeline, batch_size=100, batch_timeout=10.0, min_wait=0.0):
        conf = config.make_conf()
        conf([], project="herald", default_config_files=[], default_config_dirs=[])
        conf.set_override("transport_url", "rabbit://guest:guest@127.0.0.1:5672/")
        conf.set_override("priorities", ["error"], group="listener")
        conf.set_override("shared_topics", [], group="listener")  # one queue
        conf.set_override("batch_size", batch_size, group="listener")
        conf.set_override("batch_timeout", batch_timeout, group="listener")
        conf.set_override("batch_min_wait", min_wait, group="listener")
        return KombuIntake(conf, pipeline, threading.Event())
    return make


def acks(conn):
    return [e for e in conn.log if e[0] in ("ack", "nack", "reject")]


def test_idle_flushes_and_one_multiple_ack_per_batch(intake_for):
    p = RecordingPipeline()
    intake = intake_for(p)
    conn = FakeConnection([1, 2, 3, "idle", 4, 5, "idle", "stop"], intake.stop)
    intake._consume(conn, "test-broker")
    assert p.batches == [3, 2]
    assert acks(conn) == [("ack", 3, True), ("ack", 5, True)]


def test_a_full_batch_goes_without_waiting(intake_for):
    p = RecordingPipeline()
    intake = intake_for(p, batch_size=2)
    conn = FakeConnection([1, 2, 3, 4, 5, "stop"], intake.stop)
    intake._consume(conn, "test-broker")
    assert p.batches == [2, 2, 1]  # the last one: finished on stop
    assert acks(conn)[-1] == ("ack", 5, True)


def test_min_wait_keeps_collecting_while_deliveries_are_ready(intake_for):
    p = RecordingPipeline()
    intake = intake_for(p, min_wait=0.2)
    conn = FakeConnection([1, "idle", 2, ("sleep", 0.25), "idle", "stop"], intake.stop)
    intake._consume(conn, "test-broker")
    assert p.batches == [2]  # the first idle came before min_wait


def test_mixed_outcomes_are_acknowledged_one_by_one(intake_for):
    p = RecordingPipeline(lambda i, item: Outcome.RETRY if i == 1 else Outcome.REJECTED)
    intake = intake_for(p)
    conn = FakeConnection([7, 8, 9, "idle", "stop"], intake.stop)
    intake._consume(conn, "test-broker")
    assert acks(conn) == [("ack", 7, False), ("reject", 8, True), ("ack", 9, False)]


def test_a_batch_that_could_not_be_committed_is_requeued(intake_for):
    p = RecordingPipeline(lambda i, item: Outcome.RETRY)
    intake = intake_for(p)
    conn = FakeConnection([1, 2, "idle", "stop"], intake.stop)
    intake._consume(conn, "test-broker")
    assert acks(conn) == [("nack", 2, True, True)]


def test_declarations_never_touch_the_consuming_channel(intake_for):
    """A refused declaration closes its channel; the consuming one must keep
    its consumers and unacknowledged deliveries (listener.topology)."""
    intake = intake_for(RecordingPipeline())
    intake.conf.set_override("pool", "herald-pool", group="listener")
    intake.bindings = intake_bindings(intake.conf)
    conn = FakeConnection(["stop"], intake.stop)
    intake._consume(conn, "test-broker")
    consuming, declaring = conn.channels
    assert consuming.callbacks and not declaring.callbacks
    declared = [e for e in conn.log if e[0] in ("exchange", "queue", "bind", "unbind")]
    assert ("exchange", "openstack", True) in declared  # looked up, never declared
    # herald's own queue for failures; the pool queue before loses that key after
    assert ("queue", "herald-pool.failures", False, None) in declared
    bind = ("bind", "herald-pool.failures", "openstack", "user_messages.error")
    unbind = ("unbind", "herald-pool", "openstack", "user_messages.error")
    assert declared.index(bind) < declared.index(unbind)
    assert ("qos", 0, 1000, False) in conn.log


def test_redeliveries_are_acknowledged_one_by_one(intake_for):
    p = RecordingPipeline()
    intake = intake_for(p)
    conn = FakeConnection([1, 2, "idle", "stop"], intake.stop)
    real = conn.drain_events

    def drain(timeout=None):  # deliveries 2 and 3 come back after a crash
        step = conn.script[0] if conn.script else None
        if step in (2,):
            conn.script.pop(0)
            for cb in conn.channels[0].callbacks:  # the consuming channel
                cb(Delivery(2, redelivered=True))
            return None
        return real(timeout)

    conn.drain_events = drain
    conn.script = [1, 2, 4, "idle", "stop"]
    intake._consume(conn, "test-broker")
    assert p.batches == [1, 1, 1]  # fresh 1, redelivered 2 alone, fresh 4
    assert acks(conn) == [("ack", 1, True), ("ack", 2, True), ("ack", 4, True)]


def test_a_refused_login_is_retried_not_a_crash(intake_for, monkeypatch, caplog):
    intake = intake_for(RecordingPipeline())
    attempts = []

    class Refusing:
        def __init__(self, url):
            self.recoverable_connection_errors = self.connection_errors = ()
            self.recoverable_channel_errors = ()

        def connect(self):
            attempts.append(1)
            if len(attempts) >= 2:
                intake.stop.set()
            raise amqp.exceptions.AccessRefused("(403) ACCESS_REFUSED - Login was refused")

        def collect(self):
            pass

    monkeypatch.setattr(intake.rabbit, "connection", Refusing)
    monkeypatch.setattr(intake.rabbit, "retry_interval", 0.01)
    intake.run()  # returns when stopped: no exception escapes
    assert len(attempts) == 2
    assert "ACCESS_REFUSED" in caplog.text


@pytest.mark.parametrize("threshold, rate, interval", [(60, 3, 20.0), (30, 2, 15.0),
                                                       (0, 3, None)])
def test_heartbeats_are_checked_as_oslo_settings_say(intake_for, threshold, rate, interval):
    """[oslo_messaging_rabbit] heartbeat_timeout_threshold / heartbeat_rate,
    as oslo's driver reads them; 0 turns heartbeats off."""
    p = RecordingPipeline()
    intake = intake_for(p)
    intake.conf.set_override("heartbeat_timeout_threshold", threshold,
                             group="oslo_messaging_rabbit")
    intake.conf.set_override("heartbeat_rate", rate, group="oslo_messaging_rabbit")
    intake = KombuIntake(intake.conf, p, intake.stop)
    assert intake.heartbeat_interval == interval
    conn = FakeConnection([1, "idle", "idle", "stop"], intake.stop)
    intake._consume(conn, "test-broker")
    beats = [e for e in conn.log if e[0] == "heartbeat"]
    if interval is None:
        assert beats == []
    else:  # checked once at the start, then not again within the interval
        assert beats == [("heartbeat", rate)]
    intake.keepalive(conn)
    assert [e for e in conn.log if e[0] == "heartbeat"] == beats + (
        [] if interval is None else [("heartbeat", rate)])


def test_what_arrives_on_herald_own_topic_is_marked(intake_for):
    """By routing key: user_messages.* is herald's own topic, notifications.* shared."""
    seen = []

    class Keep(RecordingPipeline):
        def process(self, batch, keepalive=None):
            seen.extend(item.own_topic for item in batch)
            return super().process(batch, keepalive)

    intake = intake_for(Keep())
    intake.conf.set_override("shared_topics", ["notifications"], group="listener")
    intake = type(intake)(intake.conf, intake.pipeline, intake.stop)  # with both kinds
    conn = FakeConnection(["stop"], intake.stop)
    real = conn.drain_events
    keys = iter(["user_messages.error", "notifications.error", "user_messages.error"])

    def drain(timeout=None):
        key = next(keys, None)
        if key is None:
            return real(timeout)
        delivery = Delivery(len(seen) + 1)
        delivery.delivery_info["routing_key"] = key
        conn.channels[0].callbacks[0](delivery)  # every queue shares one callback

    conn.drain_events = drain
    intake._consume(conn, "test-broker")
    assert seen == [True, False, True]


class ScriptedTransport:
    """What listener.lanes reads of a py-amqp transport: a socket that is
    never readable, and whether a frame is buffered (the script goes on)."""

    def __init__(self, conn):
        import socket
        self.conn = conn
        self.sock, self._peer = socket.socketpair()

    def _frame_buffered(self):  # "idle" and "stop" steps too: drain_events plays them
        return bool(self.conn.script)


def test_failures_are_committed_before_the_routine_deliveries_read_after_them(intake_for):
    """Two connections: the failures' one is read and committed first, and
    acknowledged on its own channel; routine batches carry on after it."""
    p = RecordingPipeline()
    intake = intake_for(p, batch_size=3)
    intake.conf.set_override("priorities", ["info", "error"], group="listener")
    intake = KombuIntake(intake.conf, p, intake.stop)
    assert intake.failure_queues == {"user_messages.error"}
    routine = FakeConnection([1, 2, 3, 4, 5, 6, "stop"], intake.stop)
    urgent = FakeConnection([100, 101], intake.stop)
    for c in (routine, urgent):
        c.connection = type("C", (), {"transport": ScriptedTransport(c)})()
    intake._consume(routine, "test-broker", urgent)
    assert p.batches == [2, 3, 3]  # both failures first, then routine batches
    assert acks(urgent) == [("ack", 101, True)]
    assert acks(routine) == [("ack", 3, True), ("ack", 6, True)]
    consumed = [cb for ch in urgent.channels for cb in ch.callbacks]
    assert len(consumed) == 1 and len(urgent.channels) == 1  # declarations: routine's
