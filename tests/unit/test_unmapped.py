"""herald's own topic is never routine; failures no rule maps are tallied.

On herald's own topics ([listener] topics) a notification that is neither
herald's payload nor mapped is a service's bug: quarantined. On the shared
topics it is routine traffic, and an ERROR among it is a failure users are
not told about: counted by kind, its latest body kept (secrets removed) for
``herald-manage mapping unmapped``.
"""

from __future__ import annotations

import json
import logging

import pytest

from collector import envelope, unmapped
from collector.metrics import Metrics
from collector.model import Inbound, Outcome
from tests import emitted, wire
from tests.fakes import mapping_pipeline


class Recorder(Metrics):
    def __init__(self):
        self.kinds = []

    def unmapped(self, kinds):
        self.kinds.extend(kinds)


class MemoryLog:
    def __init__(self, fail=False):
        self.records, self.fail = [], fail

    def record_unmapped(self, records):
        if self.fail:
            raise RuntimeError("database gone")
        self.records.extend(records)


@pytest.fixture
def make(conf):
    def build(log=None, metrics=None):
        return mapping_pipeline(conf, metrics=metrics or Metrics(), unmapped_log=log)
    return build


def body(event_type, priority="ERROR", publisher_id="compute.host-1", payload=None, **ctx):
    m = wire.message(payload if payload is not None else {"instance_id": "i-1"},
                     priority=priority, publisher_id=publisher_id,
                     context={"project_id": "p", "auth_token": "SECRET", **ctx})
    m["event_type"] = event_type
    return wire.body_v2(m)


def test_on_herald_own_topic_nothing_is_routine(make):
    p, _, q = make()
    batch = [Inbound(body=body("compute.instance.update", "INFO"), own_topic=True),
             Inbound(body=body("volume.weird.error"), own_topic=True),
             Inbound(body=body("compute.instance.update", "INFO"))]  # a shared topic
    assert p.process(batch) == [Outcome.REJECTED, Outcome.REJECTED, Outcome.IGNORED]
    assert {r.code for r in q.records} == {"missing_field"}
    assert "herald's own topic" in q.records[0].detail


def test_mapped_and_herald_payloads_on_the_own_topic_are_handled_as_ever(make):
    p, d, q = make()
    mapped = emitted.cinder_volume("create_volume", "NoValidBackend('x')",
                                   volume_id="2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20",
                                   project="owner")
    own = wire.message(wire.payload("VOLUME_DELETE_FAILED", {
        "volume_id": "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20", "reason": "in_use"}))
    assert p.process([Inbound(body=wire.body_v2(mapped), own_topic=True),
                      Inbound(body=wire.body_v1(own), own_topic=True)]) == [Outcome.STORED] * 2
    assert q.records == []


def test_errors_no_rule_maps_are_tallied_by_kind(make):
    log, metrics = MemoryLog(), Recorder()
    p, _, _ = make(log, metrics)
    batch = [Inbound(body=body("compute.instance.create.error", publisher_id=f"compute.h{i}"))
             for i in range(3)]
    batch += [Inbound(body=body("share.delete.error", "CRITICAL", "share.s1")),
              Inbound(body=body("compute.instance.update", "INFO")),  # routine: not a failure
              Inbound(body=wire.body_v2(emitted.cinder_volume(  # mapped: explained
                  "create_volume", "NoValidBackend('x')",
                  volume_id="2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20", project="owner")))]
    assert p.process(batch)[:5] == [Outcome.IGNORED] * 5
    assert sorted(metrics.kinds) == [("compute.instance.create.error", "compute", 3),
                                     ("share.delete.error", "share", 1)]
    by_kind = {(r.event_type, r.service): r for r in log.records}
    record = by_kind["compute.instance.create.error", "compute"]
    assert record.count == 3
    sample = json.loads(record.sample)
    assert sample["publisher_id"] == "compute.h2"  # the latest
    assert sample["event_type"] == "compute.instance.create.error"
    assert "SECRET" not in record.sample.decode() and "_context_auth_token" not in sample


def test_a_failing_tally_never_holds_the_queue(make, caplog):
    p, _, _ = make(MemoryLog(fail=True))
    with caplog.at_level(logging.WARNING):
        assert p.process([Inbound(body=body("x.error"))]) == [Outcome.IGNORED]
    assert "Could not record 1 unmapped failure(s)" in caplog.text


def test_secrets_are_removed_and_the_sample_capped():
    n = wire.message({"instance_properties": {"pci_requests": {"_context": {
        "auth_token": "TOKEN-1", "user": "u"}}}, "admin_password": "pw", "ok": [{"Token": 1}]})
    decoded = envelope.from_body(wire.body_v2(n), 65536)
    data, size = unmapped.sample(decoded, 10_000)
    text = data.decode()
    assert "TOKEN-1" not in text and '"pw"' not in text and size == len(data)
    assert json.loads(text)["payload"]["instance_properties"]["pci_requests"]["_context"] == {
        "auth_token": unmapped.REDACTED, "user": "u"}
    cut, full = unmapped.sample(decoded, 50)
    assert len(cut) == 50 and full == size


@pytest.mark.parametrize("publisher_id, service", [
    ("scheduler.ctrl-1", "scheduler"), ("nova-compute:compute-3", "nova-compute"),
    ("volume.host@lvm#pool", "volume"), ("compute", "compute"), (None, "unknown"),
    ("<script>.x", "invalid"), ("", "invalid")])
def test_the_publishing_service(publisher_id, service):
    assert unmapped.service(publisher_id) == service


def test_kinds_are_bounded():
    tally = unmapped.Tally(100)
    n = envelope_of(body("a.error"))
    kinds = {tally.kind(envelope_of(body(f"kind{i}.error"))) for i in range(unmapped.MAX_KINDS)}
    assert len(kinds) == unmapped.MAX_KINDS
    assert tally.kind(n) == unmapped.OTHER  # a new kind past the bound
    assert tally.kind(envelope_of(body("kind0.error"))) == ("kind0.error", "compute")
    assert unmapped.event_type("bad type\n") == "invalid"


def envelope_of(raw):
    return envelope.from_body(raw, 65536)
