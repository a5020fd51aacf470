import datetime
import logging
import threading

import pytest

from collector import catalogue, envelope
from collector.model import Inbound, Outcome
from collector.pipeline import Pipeline
from tests import wire
from tests.fakes import MemoryAttempts, MemoryDispatcher, MemoryQuarantine

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
NOW = datetime.datetime(2026, 11, 21, 12, 0, 0)


@pytest.fixture
def fast(conf):
    conf.set_override("retry_interval", 0.01, group="collector")
    conf.set_override("retry_max_interval", 0.01, group="collector")
    conf.set_override("rejected_body_max_bytes", 100, group="collector")
    return conf


def make(conf, dispatchers=None, quarantine=None, stop=None):
    d = dispatchers if dispatchers is not None else [MemoryDispatcher()]
    q = quarantine or MemoryQuarantine()
    p = Pipeline(conf, catalogue.sanctioned(), d, q, stop or threading.Event(),
                 clock=lambda: NOW)
    return p, d, q


def good(message_id, **kw):
    payload = wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    return Inbound(body=wire.body_v2(wire.message(payload, message_id=message_id,
                                                  timestamp="2026-11-21 11:00:00", **kw)))


def test_mixed_batch_outcomes_in_order(fast):
    p, (d,), q = make(fast)
    batch = [good("m1"), Inbound(body=b"{broken"), good("m2"),
             Inbound(body=wire.body_v1(wire.message(wire.payload("NOPE"), message_id="m3")))]
    assert p.process(batch) == [Outcome.STORED, Outcome.REJECTED, Outcome.STORED,
                                Outcome.REJECTED]
    assert [m.message_id for m in d.messages] == ["m1", "m2"]
    assert d.messages[0].user_message == (f"Volume {VOL} could not be deleted: it is attached "
                                          "to an instance.")
    assert len(d.batches) == 1  # one call per batch, not per message
    codes = {r.dedupe_key: (r.code, r.message_id) for r in q.records}
    assert codes["m3"] == ("unknown_event_id", "m3")
    broken = [r for r in q.records if r.code == "malformed_json"][0]
    assert broken.dedupe_key.startswith("sha256:") and broken.message_id is None
    assert broken.raw_body == b"{broken" and broken.raw_size == 7
    assert p.stats.totals[Outcome.STORED] == 2 and p.stats.totals[Outcome.REJECTED] == 2


def test_rejection_keeps_identifiers_and_caps_the_body(fast):
    p, _, q = make(fast)
    msg = wire.message(wire.payload("NOPE", project_id="proj-9"), message_id="m-big",
                       publisher_id="volume.host-b")
    msg["payload"]["padding"] = "x" * 1000
    p.process([Inbound(body=wire.body_v1(msg))])
    (r,) = q.records
    assert (r.event_id, r.project_id, r.publisher_id, r.event_type) == (
        "NOPE", "proj-9", "volume.host-b", "user_message.create")
    assert len(r.raw_body) == 100 and r.raw_size > 1000
    assert r.received_at == NOW


def test_unsafe_identifiers_are_not_copied_to_rejections(fast):
    p, _, q = make(fast)
    p.process([Inbound(body=wire.body_v1(wire.message(
        wire.payload("BAD\nID", project_id="<p>"), message_id="m4")))])
    (r,) = q.records
    assert (r.event_id, r.project_id) == (None, None)


def test_transient_failure_holds_then_commits_once_per_dispatcher(fast):
    flaky, steady = MemoryDispatcher(fail_times=3), MemoryDispatcher()
    p, _, _ = make(fast, dispatchers=[steady, flaky])
    assert p.process([good("m1")]) == [Outcome.STORED]
    assert steady.calls == 1 and len(steady.messages) == 1  # never written twice
    assert flaky.calls == 4 and len(flaky.messages) == 1


def test_quarantine_failure_holds_too(fast):
    p, _, q = make(fast, quarantine=MemoryQuarantine(fail_times=2))
    assert p.process([Inbound(body=b"[]")]) == [Outcome.REJECTED]
    assert q.calls == 3 and len(q.records) == 1


def test_stop_during_outage_requeues_the_whole_batch(fast):
    stop = threading.Event()
    stop.set()
    p, (d,), q = make(fast, dispatchers=[MemoryDispatcher(fail_times=10**6)], stop=stop)
    assert p.process([good("m1"), Inbound(body=b"[]")]) == [Outcome.RETRY, Outcome.RETRY]
    assert q.records == []  # nothing half-acknowledged
    assert p.stats.totals[Outcome.RETRY] == 2


def test_refused_messages_are_quarantined(fast):
    p, _, q = make(fast, dispatchers=[MemoryDispatcher(refuse={"m2"})])
    assert p.process([good("m1"), good("m2")]) == [Outcome.STORED, Outcome.REJECTED]
    (r,) = q.records
    assert (r.code, r.message_id, r.event_id) == ("dispatcher_refused", "m2",
                                                  "VOLUME_DELETE_FAILED")
    assert r.detail == "memory: refused for a test"


def test_a_crash_on_one_message_is_contained(fast, monkeypatch, caplog):
    p, (d,), q = make(fast)
    real = p.validator.accept

    def explode(n, received_at):
        if n.message_id == "boom":
            raise KeyError("surprise")
        return real(n, received_at)

    monkeypatch.setattr(p.validator, "accept", explode)
    with caplog.at_level(logging.ERROR):
        out = p.process([good("m1"), good("boom"), good("m2")])
    assert out == [Outcome.STORED, Outcome.REJECTED, Outcome.STORED]
    (r,) = q.records
    assert r.code == "internal_error" and "KeyError" in r.detail
    assert [m.message_id for m in d.messages] == ["m1", "m2"]


def test_filters_drop_without_storing(fast):
    class DropInfo:
        def drops(self, message, notification):
            return message.message_level == "INFO"

    p = Pipeline(fast, catalogue.sanctioned(), [d := MemoryDispatcher()], MemoryQuarantine(),
                 threading.Event(), filters=[DropInfo()], clock=lambda: NOW)
    info = wire.payload("VOLUME_RETYPE_COMPLETED", {"volume_id": VOL, "volume_type": "ssd"})
    msg = wire.message(info, timestamp="2026-11-21 11:00:00")
    out = p.process([good("m1"), Inbound(body=wire.body_v1(msg))])
    assert out == [Outcome.STORED, Outcome.FILTERED]
    assert len(d.messages) == 1


def test_oslo_decoded_input(fast):
    p, (d,), q = make(fast)
    decoded = {"ctxt": {"project_id": "p1"}, "publisher_id": "pub", "event_type": "e",
               "payload": {"event_id": "VOLUME_DELETE_FAILED",
                           "params": {"volume_id": VOL, "reason": "in_use"}},
               "metadata": {"message_id": "o1", "timestamp": "2026-11-21 11:00:00"}}
    bad = {**decoded, "payload": {"event_id": "NOPE"},
           "metadata": {"message_id": "o2", "timestamp": "2026-11-21 11:00:00"}}
    assert p.process([Inbound(decoded=decoded, priority="error"),
                      Inbound(decoded=bad, priority="error")]) == [Outcome.STORED,
                                                                    Outcome.REJECTED]
    assert d.messages[0].project_id == "p1"
    assert q.records[0].raw_body.startswith(b'{"ctxt"')


def test_set_catalogue_rewords_new_batches(fast):
    p, (d,), _ = make(fast)
    p.set_catalogue(catalogue.sanctioned().with_overrides(
        {"VOLUME_DELETE_FAILED": "Deleting {volume_id} failed: {reason}."}))
    p.process([good("m1")])
    assert d.messages[0].user_message == f"Deleting {VOL} failed: it is attached to an instance."


def test_rejections_are_logged_then_summarised(fast, caplog):
    p, _, _ = make(fast)
    with caplog.at_level(logging.WARNING, logger="collector.pipeline"):
        p.process([Inbound(body=b"[%d]" % i) for i in range(25)])
    assert sum("Rejected notification" in r.message for r in caplog.records) == 20


class TestRedelivery:
    def make(self, conf, attempts, dispatchers=None):
        conf.set_override("max_delivery_attempts", 3, group="collector")
        d = dispatchers if dispatchers is not None else [MemoryDispatcher()]
        q = MemoryQuarantine()
        return Pipeline(conf, catalogue.sanctioned(), d, q, threading.Event(),
                        clock=lambda: NOW, attempts=attempts), d, q

    def test_redelivered_messages_are_handled_alone_and_forgotten(self, fast):
        attempts = MemoryAttempts()
        p, (d,), _ = self.make(fast, attempts)
        batch = [good("m1"), Inbound(body=good("m2").body, redelivered=True),
                 Inbound(body=good("m3").body, redelivered=True)]
        assert p.process(batch) == [Outcome.STORED] * 3
        assert [len(b) for b in d.batches] == [1, 1, 1]  # m1 as a batch, m2 and m3 alone
        assert attempts.counts == {}  # handled: nothing left counted

    def test_a_delivery_that_keeps_killing_the_listener_is_quarantined(self, fast):
        attempts = MemoryAttempts()
        poison = good("boom").body
        key = envelope.body_key(poison)
        attempts.counts[key] = 3  # three earlier attempts ended in a crash
        p, (d,), q = self.make(fast, attempts)
        out = p.process([Inbound(body=poison, redelivered=True),
                         Inbound(body=good("ok").body, redelivered=True)])
        assert out == [Outcome.REJECTED, Outcome.STORED]
        (r,) = q.records
        assert (r.code, r.dedupe_key) == ("poison", key)
        assert "delivered 4 times" in r.detail
        assert [m.message_id for m in d.messages] == ["ok"]  # never handled again
        assert attempts.counts == {}

    def test_outages_do_not_count_as_attempts(self, fast):
        attempts = MemoryAttempts()
        stop = threading.Event()
        stop.set()  # give up holding at once
        fast.set_override("max_delivery_attempts", 1, group="collector")
        p = Pipeline(fast, catalogue.sanctioned(), [MemoryDispatcher(fail_times=10**6)],
                     MemoryQuarantine(), stop, clock=lambda: NOW, attempts=attempts)
        item = Inbound(body=good("m1").body, redelivered=True)
        for _ in range(5):  # requeued again and again during an outage
            assert p.process([item]) == [Outcome.RETRY]
        assert attempts.counts == {}
