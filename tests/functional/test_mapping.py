"""Services' own notifications, through real Notifiers and the real listener.

nova (exchange ``nova``) and cinder and manila (exchange ``openstack``)
publish with oslo Notifiers, driver ``messagingv2``, on a shared topic:
final failures, non-final errors and routine traffic, on each database.
Checked: the exact rows (owner project, resource, level, text), no
rejection for routine traffic, and the topic-named queues -- which other
consumers such as ceilometer read -- still hold every notification.
"""

from __future__ import annotations

import re
import signal
import uuid

import pytest
from oslo_context import context as oslo_context

from tests import emitted, services

pytestmark = [pytest.mark.rabbit, pytest.mark.slow]

OWNER = "ownerproject00000000000000000001"
SAMPLE_PROJECT = "6f70656e737461636b20342065766572"
ROUTINE = 40


def ctx(project=emitted.ADMIN_PROJECT):
    return oslo_context.RequestContext(project_id=project, user_id="admin",
                                       request_id=f"req-{uuid.uuid4()}")


def test_services_notifications_become_messages_and_routine_is_counted(herald, backend):
    h = herald(backend, exchanges=["nova", "openstack"], shared_topics=1)
    h.start(wait_for="Consuming")
    topic = h.shared_topics[0]
    nova = h.service_notifier("nova", "compute_task.ctrl-1", topic)
    nova_compute = h.service_notifier("nova", "nova-compute:compute-3", topic)
    cinder = h.service_notifier("openstack", "scheduler.ctrl-1", topic)
    manila = h.service_notifier("openstack", "scheduler.manila-ctrl", topic)

    vol, share, inst = (str(uuid.uuid4()) for _ in range(3))
    user_ctx = ctx(OWNER)
    nova.error(user_ctx, "compute_task.build_instances", emitted.nova_build_legacy(
        "NoValidHost('No valid host was found. There are not enough hosts available.')",
        instance_id=inst, project=OWNER)["payload"])
    attach = emitted.nova_sample("instance-volume_attach-error.json")
    nova_compute.error(ctx(SAMPLE_PROJECT), attach["event_type"], attach["payload"])
    cinder.error(ctx(), "scheduler.create_volume", emitted.cinder_volume(
        "create_volume", "NoValidBackend('No valid backend was found. No weighed backends "
        "available on lvmdriver-1@ctrl-1')", volume_id=vol, project=OWNER)["payload"])
    manila.error(ctx(), "scheduler.create_share", emitted.manila_share(
        "NoValidHost('No valid host was found. Failed to find a weighted host, the last "
        "executed filter was CapacityFilter.')", share_id=share, project=OWNER)["payload"])
    # non-final: nova reschedules these
    for name in ("instance-create-error.json", "instance-resize-error.json"):
        sample = emitted.nova_sample(name)
        nova_compute.error(ctx(SAMPLE_PROJECT), sample["event_type"], sample["payload"])
    for i in range(ROUTINE):
        m = emitted.routine(i)
        (nova_compute if i % 2 else cinder).info(ctx(), m["event_type"], m["payload"])

    h.wait_for_outcomes(stored=4, rejected=0)
    rows = {r["resource_uuid"]: r for r in h.rows()}
    want = {
        inst: (OWNER, "INSTANCE", "ERROR", "INSTANCE_CREATE_NO_VALID_HOST",
               f"Instance {inst} could not be created: no compute host currently has enough "
               "free resources for it. Another flavor or a later attempt may succeed."),
        "a07f71dc-8151-4e7d-a0cc-cd24a3f11113": (
            SAMPLE_PROJECT, "VOLUME", "ERROR", "VOLUME_ATTACH_FAILED",
            "Volume a07f71dc-8151-4e7d-a0cc-cd24a3f11113 could not be attached to instance "
            "178b0921-8f85-4257-88b6-2e743b5a975c: the host could not connect to the storage "
            "back end."),
        vol: (OWNER, "VOLUME", "ERROR", "VOLUME_NO_VALID_BACKEND",
              f"The creation of volume {vol} failed: no storage back end can currently "
              "satisfy the request. Another size or volume type may succeed."),
        share: (OWNER, "SHARE", "ERROR", "SHARE_CREATE_NO_VALID_HOST",
                f"Share {share} could not be created: no share back end has enough free "
                "capacity. Another size or share type may succeed."),
    }
    got = {k: (r["project_id"], r["resource_type"], r["message_level"], r["event_id"],
               r["user_message"]) for k, r in rows.items()}
    assert got == want
    assert rows[inst]["request_id"] == user_ctx.request_id

    # everything was read: herald's own queue drains, and nothing is quarantined
    services.wait_until(lambda: h.queue_depth(h.shared_queue) == 0, 30, "herald's queue")
    services.wait_until(lambda: _ignored(h.log()) >= ROUTINE + 2, 30, "the ignored count")
    assert _ignored(h.log()) == ROUTINE + 2
    assert h.counts() == (4, 0)
    # the topic-named queues, ceilometer's, still hold every notification
    depths = h.queue_depths(topic)
    assert depths[f"{topic}.error"] == 6 and depths[f"{topic}.info"] == ROUTINE
    assert h.stop() == 0


def _ignored(log: str) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) ignored", log))


RULE = """\
- name: site.backup.failed
  description: a site's own service
  event_type: backup.site.failed
  event_id: VOLUME_UNKNOWN_ERROR
  fields: {project_id: payload.owner, resource_uuid: payload.volume}
  params: {volume_id: payload.volume, operation: {value: create}}
"""


def test_a_broken_rules_file_stops_start_up(herald, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.replace("VOLUME_UNKNOWN_ERROR", "NOT_AN_ENTRY"))
    h = herald("sqlite", extra=f"[mapping]\nrules_file = {rules}\n")
    h.start(wait_for=None)
    assert h.proc.wait(60) == 1
    assert "rule site.backup.failed: event_id 'NOT_AN_ENTRY' is not in the catalogue" in h.log()


def test_sighup_applies_new_rules_and_keeps_good_ones(herald, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("")
    h = herald("sqlite", workers=2, shared_topics=1, exchanges=["openstack"],
               extra=f"[mapping]\nrules_file = {rules}\n").start()
    services.wait_until(lambda: len(h.worker_pids()) == 2, 30, "two workers")
    pids = h.worker_pids()
    notifier = h.service_notifier("openstack", "backup.site-1", h.shared_topics[0])

    def publish():
        vol = str(uuid.uuid4())
        notifier.error(ctx(), "backup.site.failed", {"owner": OWNER, "volume": vol})
        return vol

    publish()  # no rule yet: routine
    services.wait_until(lambda: h.queue_depth(h.shared_queue) == 0, 30, "the first one read")
    rules.write_text(RULE)
    h.signal(signal.SIGHUP)
    h.wait_log("SIGHUP: catalogue has", count=2)
    first = publish()
    h.wait_for_outcomes(1, 0)
    rules.write_text(RULE.replace("payload.owner", "payload.reason"))  # free text: refused
    h.signal(signal.SIGHUP)
    h.wait_log("keeping the previous catalogue and mapping rules", count=2)
    assert "fields.project_id reads free text" in h.log()
    second = publish()
    h.wait_for_outcomes(2, 0)
    rows = {r["resource_uuid"]: (r["project_id"], r["event_id"]) for r in h.rows()}
    assert rows == {first: (OWNER, "VOLUME_UNKNOWN_ERROR"),
                    second: (OWNER, "VOLUME_UNKNOWN_ERROR")}
    assert h.worker_pids() == pids
    assert h.stop() == 0
