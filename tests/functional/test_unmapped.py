"""No silent paths, on the real broker and every database: herald's own topic
is never routine, and failures no rule maps are counted for operators."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest
from oslo_context import context as oslo_context

from collector.model import Unmapped, utcnow
from storage.tables import unmapped_notifications
from tests import services

pytestmark = [pytest.mark.rabbit]


def record(event_type, service, count, sample, when):
    return Unmapped(event_type, service, count, when, sample, len(sample))


def test_the_tally_adds_up_and_keeps_the_latest_sample(store):
    t0 = utcnow() - datetime.timedelta(days=40)
    store.record_unmapped([record("a.error", "compute", 2, b'{"n": 1}', t0),
                           record("b.error", "volume", 1, b'{"n": 2}', t0)])
    t1 = utcnow()
    store.record_unmapped([record("a.error", "compute", 5, b'{"n": 3}', t1)])
    rows = store.list_unmapped(with_sample=True)
    assert [(r["event_type"], r["service"], r["count"]) for r in rows] == [
        ("a.error", "compute", 7), ("b.error", "volume", 1)]  # most frequent first
    assert rows[0]["sample"] == b'{"n": 3}' and rows[0]["first_seen"] == t0
    assert rows[0]["last_seen"] == t1
    assert "sample" not in store.list_unmapped()[0]
    assert [r["count"] for r in store.list_unmapped(event_type="b.error")] == [1]
    # reaped when not seen for a while
    assert store.reap_unmapped(utcnow() - datetime.timedelta(days=30), 10).deleted == 1
    with store.engine.connect() as conn:
        left = conn.execute(unmapped_notifications.select()).all()
    assert [r.event_type for r in left] == ["a.error"]


def manage(h, *args):
    return subprocess.run([sys.executable, "-m", "listener.cmd.manage", "--config-file",
                           str(h.conf_path), *args], capture_output=True, text=True, timeout=120)


def test_own_topic_quarantines_and_shared_errors_are_listed(herald, tmp_path):
    h = herald("postgresql", shared_topics=1).start()
    ctx = oslo_context.RequestContext(project_id="p1", request_id="req-1")
    shared = h.service_notifier(h.exchange, "compute.host-1", h.shared_topics[0])
    for i in range(3):  # nova's non-final create error: deliberately unmapped
        shared.error(ctx, "compute.instance.create.error", {
            "instance_id": f"i-{i}", "exception": "RescheduledException",
            "pci_requests": {"_context": {"auth_token": "TOKEN-OF-A-USER"}}})
    shared.info(ctx, "compute.instance.update", {"instance_id": "i-1"})  # routine
    # on herald's own topic: neither herald's payload nor mapped
    own = h.service_notifier(h.exchange, "volume.host-2", h.topic)
    own.error(ctx, "volume.something.failed", {"volume_id": "v-1"})
    h.wait_for_outcomes(0, 1)
    (rejected,) = h.rejected()
    assert rejected["code"] == "missing_field" and "own topic" in rejected["detail"]

    def listed():
        out = manage(h, "mapping", "unmapped", "--format", "json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    services.wait_until(lambda: listed() and listed()[0]["count"] == 3, 30, "the tally")
    (row,) = listed()  # the routine update is not a failure
    assert (row["event_type"], row["service"]) == ("compute.instance.create.error", "compute")
    table = manage(h, "mapping", "unmapped").stdout
    assert "compute.instance.create.error" in table and "compute" in table

    sample = manage(h, "mapping", "unmapped", "--sample", "compute.instance.create.error")
    assert sample.returncode == 0, sample.stderr
    assert "TOKEN-OF-A-USER" not in sample.stdout and "<redacted>" in sample.stdout
    path = tmp_path / "sample.json"
    path.write_text(sample.stdout)
    tried = manage(h, "mapping", "try", str(path))  # where a new rule starts
    assert tried.returncode == 3 and "no mapping rule applies" in tried.stdout
    missing = manage(h, "mapping", "unmapped", "--sample", "nothing.error")
    assert missing.returncode == 1
    assert h.stop() == 0
