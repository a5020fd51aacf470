"""The seeds' event model end to end: trees, progress, filters, repeats."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from oslo_context import context as oslo_context

from listener.emitter import Emitter
from storage import get_connection
from tests import wire

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql]

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
CLUSTER = "5c0ffee0-7c4b-4a55-9a0e-3b8d6c1f4a20"


def store_of(h, conf):
    return get_connection(conf, h.db_url)


def test_event_trees_through_the_broker(herald, conf):
    h = herald("postgresql").start()
    h.notifier()  # opens the publishing transport on the listener's exchange
    emitter = Emitter(h._transport, "volume.host-a", topic=h.topic)
    ctx = oslo_context.RequestContext(project_id="proj-t", request_id="req-tree")
    root = emitter.emit(ctx, "VOLUME_EXTEND_FAILED",
                        {"volume_id": VOL, "new_size_gb": 20, "reason": "no_capacity"})
    child = emitter.emit(ctx, "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
                         parent_id=root.id)
    h.wait_for_outcomes(2, 0)  # the child's root is resolved from the stored parent
    grandchild = emitter.emit(ctx, "VOLUME_ATTACH_REVERTED",
                              {"volume_id": VOL, "instance_id": VOL}, parent_id=child.id)
    h.wait_for_outcomes(3, 0)
    store = store_of(h, conf)
    conversation = store.list_messages("proj-t", root_id=root.id, newest_first=False)
    assert [m["id"] for m in conversation] == [root.id, child.id, grandchild.id]
    assert [m["id"] for m in store.list_messages("proj-t", parent_id=child.id)] == [
        grandchild.id]
    assert conversation[2]["event_type"] == "volume.attach.failed"
    assert store.list_messages("proj-other", root_id=root.id) == []
    store.close()
    assert h.stop() == 0


def step_body(i, step, done, total, ok=None, event="CLUSTER_INSTANCE_READY", **params):
    params = params or {"instance_name": f"node {i}", "cluster_id": CLUSTER}
    return wire.body_v2(wire.message(wire.payload(
        event, params, project_id="proj-c", resource_uuid=CLUSTER,
        step={"name": step, "type": "creating", "completed": done, "total": total,
              "successful": ok}), message_id=f"step-{step}-{i}"))


def test_provisioning_progress_with_two_workers(herald, conf):
    h = herald("postgresql", workers=2).start()
    reports = [step_body(i, "LAUNCH_INSTANCES", i, 10, True if i == 10 else None)
               for i in range(11)]
    reports += [step_body(100 + i, "WAIT_FOR_SSH", i, 1000) for i in range(60)]
    reports.append(step_body(999, "WAIT_FOR_SSH", 59, 1000, event="CLUSTER_INSTANCE_FAILED",
                             instance_name="node 7", cluster_id=CLUSTER,
                             error_id="7e0e7e0e-1111-4222-8333-444444444444"))
    random.Random(5).shuffle(reports)  # out of order, across two workers
    h.publish_raw(reports)
    h.wait_for_outcomes(len(reports), 0)
    store = store_of(h, conf)
    steps = store.list_steps("proj-c", CLUSTER)
    assert [(s["step_name"], s["completed"], s["total"], s["successful"]) for s in steps] == [
        ("LAUNCH_INSTANCES", 10, 10, True), ("WAIT_FOR_SSH", 59, 1000, None)]
    failed = store.list_messages("proj-c", step_id=steps[1]["id"], message_level="ERROR")
    assert "Quote error 7e0e7e0e-1111-4222-8333-444444444444" in failed[0]["user_message"]
    store.close()
    out = subprocess.run([sys.executable, "-m", "listener.cmd.manage", "--config-file",
                          str(h.conf_path), "progress", "show", CLUSTER, "--project", "proj-c"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("Launching instances (creating) completed 10 out of 10 in ")
    assert lines[1].startswith("Waiting for ssh (creating) completed: 59 out of 1000, running")
    assert "events of the latest step (61)" in out and "Quote error 7e0e7e0e" in out
    assert h.stop() == 0


def test_filters_keep_what_operators_chose(herald):
    h = herald("postgresql", extra=(
        "[filters]\nmin_level = WARNING\nexclude_sources = service:compute\n")).start()
    publish = [
        ("volume.host-a", "VOLUME_RETYPE_COMPLETED", {"volume_id": VOL, "volume_type": "ssd"}),
        ("volume.host-a", "VOLUME_ATTACH_REVERTED", {"volume_id": VOL, "instance_id": VOL}),
        ("compute.host-b", "INSTANCE_RESIZE_FAILED",
         {"instance_id": VOL, "flavor": "m1", "reason": "disk_too_small"}),
        ("volume.host-a", "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"}),
    ]
    h.publish_raw([wire.body_v1(wire.message(wire.payload(e, p, project_id="p"),
                                             publisher_id=pub, message_id=e))
                   for pub, e, p in publish])
    h.wait_for_outcomes(2, 0)
    assert sorted(r["event_id"] for r in h.rows()) == ["VOLUME_ATTACH_REVERTED",
                                                      "VOLUME_DELETE_FAILED"]
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}  # filtered ones were acknowledged


def test_repeats_fold_exactly_with_two_workers(herald):
    h = herald("postgresql", workers=2,
               extra="[storage]\nfold_window = 600\n").start()
    payload = wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
                           project_id="proj-r", resource_uuid=VOL)
    bodies = [wire.body_v2(wire.message(payload, message_id=f"rep-{i}")) for i in range(300)]
    h.publish_raw(bodies + bodies[:20])  # 20 of them delivered twice
    h.wait_for_outcomes(1, 0)

    def count():
        return h.rows()[0]["count"]

    from tests import services
    services.wait_until(lambda: count() >= 300, 60, "300 repeats folded")
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}
    (row,) = h.rows()
    assert row["count"] == 300 and row["last_seen_at"] >= row["created_at"]
