"""The shipped rules on what nova, cinder and manila really send.

nova's versioned failures are nova's own doc samples; the legacy ones and
cinder's and manila's are built to their sources (tests/emitted.py). Each
goes through the whole pipeline (decode, route, validate, render) and the
exact row a user would read is checked.
"""

from __future__ import annotations

import pytest

from collector.model import Inbound, Outcome
from tests import emitted, wire
from tests.fakes import mapping_pipeline

VOL = "5b2e7f0c-1d2a-4c3b-9e8f-0a1b2c3d4e5f"
SNAP = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
SHARE = "7c6b5a4f-3e2d-4c1b-8a9f-8e7d6c5b4a3f"
INST = "d5e6a7b7-80e5-4166-85a3-cd6115201082"
OWNER = "ownerproject00000000000000000001"
SAMPLE_PROJECT = "6f70656e737461636b20342065766572"


@pytest.fixture
def run(conf):
    pipeline, dispatcher, quarantine = mapping_pipeline(conf)

    def go(*messages, v2=True):
        body = wire.body_v2 if v2 else wire.body_v1
        before = (len(dispatcher.messages), len(quarantine.records))
        outcomes = pipeline.process([Inbound(body=body(m)) for m in messages])
        return (outcomes, dispatcher.messages[before[0]:], quarantine.records[before[1]:])

    go.pipeline = pipeline
    return go


def one(run, message, v2=True):
    outcomes, stored, rejected = run(message, v2=v2)
    assert outcomes == [Outcome.STORED], rejected
    return stored[0]


# -- nova ----------------------------------------------------------------------
def test_nova_versioned_final_build_failure_from_its_own_sample(run):
    m = one(run, emitted.nova_sample("compute_task-build_instances-error.json",
                                     request_id="req-build-1"))
    assert (m.event_id, m.project_id, m.resource_type, m.resource_uuid, m.message_level) == (
        "INSTANCE_CREATE_NO_VALID_HOST", SAMPLE_PROJECT, "INSTANCE", INST, "ERROR")
    assert m.request_id == "req-build-1"
    assert m.user_message == (f"Instance {INST} could not be created: no compute host currently "
                              "has enough free resources for it. Another flavor or a later "
                              "attempt may succeed.")


@pytest.mark.parametrize("reason, event_id, text", [
    ("NoValidHost('No valid host was found. There are not enough hosts available.')",
     "INSTANCE_CREATE_NO_VALID_HOST", "no compute host currently has enough free resources"),
    ("MaxRetriesExceeded('Exceeded maximum number of retries. Exhausted all hosts available "
     "for retrying build failures for instance x.')", "INSTANCE_CREATE_RETRIES_EXHAUSTED",
     "it failed to start on every compute host it was tried on"),
    ("RuntimeError('libvirt on compute-9.internal said: permission denied')",
     "INSTANCE_UNKNOWN_ERROR", "The creation of instance"),
])
def test_nova_legacy_final_build_failure(run, reason, event_id, text):
    # legacy is nova's default; the conductor runs with the user's context
    m = one(run, emitted.nova_build_legacy(reason, instance_id=INST, project=OWNER), v2=False)
    assert (m.event_id, m.project_id, m.resource_uuid) == (event_id, OWNER, INST)
    assert text in m.user_message and "compute-9" not in m.user_message


@pytest.mark.parametrize("reason, event_id, text", [
    ("NoValidHost('No valid host was found. No valid host found for resize')",
     "INSTANCE_MOVE_NO_VALID_HOST",
     f"Instance {INST} could not be resized or migrated: no other compute host currently has "
     "enough free resources for it. It keeps running as before."),
    ("UnsupportedPolicyException('ServerGroupAffinityFilter not configured')",
     "INSTANCE_UNKNOWN_ERROR", f"The resize or migration of instance {INST} failed"),
])
def test_nova_final_resize_or_migration_failure(run, reason, event_id, text):
    legacy = emitted.nova_build_legacy(reason, instance_id=INST, project=OWNER)
    legacy["event_type"] = "compute_task.migrate_server"
    legacy["payload"]["method"] = "migrate_server"
    m = one(run, legacy, v2=False)
    assert (m.event_id, m.project_id) == (event_id, OWNER) and m.user_message.startswith(text)
    versioned = emitted.nova_sample("compute_task-build_instances-error.json")
    versioned["event_type"] = "compute_task.migrate_server.error"
    m = one(run, versioned)
    assert (m.event_id, m.project_id) == ("INSTANCE_MOVE_NO_VALID_HOST", SAMPLE_PROJECT)


def test_nova_non_final_errors_are_routine_not_messages(run):
    """create and resize errors precede a reschedule: nothing is stored."""
    outcomes, stored, rejected = run(
        emitted.nova_sample("instance-create-error.json"),
        emitted.nova_sample("instance-resize-error.json"),
        emitted.nova_legacy_error("compute.instance.create.error",
                                  "RescheduledException('Build of instance x was re-scheduled')",
                                  instance_id=INST, project=OWNER))
    assert outcomes == [Outcome.IGNORED] * 3
    assert stored == [] and rejected == []


def test_an_aborted_build_is_final(run):
    sample = emitted.nova_sample("instance-create-error.json")
    fault = sample["payload"]["nova_object.data"]["fault"]["nova_object.data"]
    fault["exception"] = "BuildAbortException"
    fault["exception_message"] = "Build of instance aborted: volume 7 on ceph-03 failed"
    m = one(run, sample)
    assert (m.event_id, m.project_id) == ("INSTANCE_UNKNOWN_ERROR", SAMPLE_PROJECT)
    assert m.user_message.startswith("The creation of instance 178b0921-")
    legacy = one(run, emitted.nova_legacy_error(
        "compute.instance.create.error", "BuildAbortException('Build of instance aborted')",
        instance_id=INST, project=OWNER), v2=False)
    assert (legacy.event_id, legacy.project_id, legacy.resource_uuid) == (
        "INSTANCE_UNKNOWN_ERROR", OWNER, INST)


def test_nova_volume_attach_failure_from_its_own_sample(run):
    m = one(run, emitted.nova_sample("instance-volume_attach-error.json"))
    assert (m.event_id, m.project_id, m.resource_type) == (
        "VOLUME_ATTACH_FAILED", SAMPLE_PROJECT, "VOLUME")
    assert m.user_message == (
        "Volume a07f71dc-8151-4e7d-a0cc-cd24a3f11113 could not be attached to instance "
        "178b0921-8f85-4257-88b6-2e743b5a975c: the host could not connect to the storage "
        "back end.")
    assert m.request_id == "req-5b6c791d-5709-4f36-8fbe-c3e02869e35d"


def test_an_unmapped_exception_class_gets_the_unknown_error_entry(run):
    sample = emitted.nova_sample("instance-volume_attach-error.json")
    sample["payload"]["nova_object.data"]["fault"]["nova_object.data"]["exception"] = "Oops"
    m = one(run, sample)
    assert m.event_id == "VOLUME_UNKNOWN_ERROR"
    assert m.user_message.startswith("The attachment of volume a07f71dc-")


def test_other_final_instance_errors(run):
    sample = emitted.nova_sample("instance-resize-error.json")
    sample["event_type"] = "instance.rebuild.error"
    m = one(run, sample)
    assert (m.event_id, m.user_message.split(" of ")[0]) == ("INSTANCE_UNKNOWN_ERROR",
                                                           "The rebuild")


# -- cinder --------------------------------------------------------------------
@pytest.mark.parametrize("method, reason, event_id, text", [
    ("create_volume", "NoValidBackend('No valid backend was found. No weighed backends "
     "available')", "VOLUME_NO_VALID_BACKEND",
     f"The creation of volume {VOL} failed: no storage back end can currently satisfy the "
     "request. Another size or volume type may succeed."),
    ("create_volume", "ImageTooBig('Image 6f1e size exceeded available disk space: 5 GB')",
     "VOLUME_CREATE_IMAGE_TOO_BIG",
     f"Volume {VOL} could not be created: the image is larger than the requested size."),
    ("create_volume", "VolumeSizeExceedsAvailableQuota('Requested volume or snapshot exceeds "
     "allowed gigabytes quota.')", "VOLUME_CREATE_QUOTA_EXCEEDED",
     f"Volume {VOL} could not be created: the project's total storage capacity quota is used "
     "up."),
    ("create_volume", "VolumeLimitExceeded('Maximum number of volumes allowed (10) exceeded')",
     "VOLUME_CREATE_QUOTA_EXCEEDED",
     f"Volume {VOL} could not be created: the project's volume count quota is used up."),
    ("extend_volume", "NoValidBackend('No valid backend was found. ')",
     "VOLUME_NO_VALID_BACKEND", f"The extension of volume {VOL} failed: no storage back end"),
    ("retype", "NoValidBackend('No valid backend was found.')", "VOLUME_NO_VALID_BACKEND",
     f"The type change of volume {VOL} failed"),
    ("migrate_volume_to_host", "DriverNotInitialized('Volume driver not ready.')",
     "VOLUME_BACKEND_NOT_READY", f"The migration of volume {VOL} failed: its storage back end "
     "is not ready. Try again later."),
    ("manage_existing", "NoValidBackend('No valid backend was found. Failed to find a "
     "weighted backend on pool lvm-2@host')", "VOLUME_NO_VALID_BACKEND",
     f"The import of volume {VOL} failed"),
    ("retype", "ValueError('unexpected on volume-1@lvm#lvm')", "VOLUME_UNKNOWN_ERROR",
     f"The type change of volume {VOL} failed because of an unexpected error."),
])
def test_cinder_scheduler_failures(run, method, reason, event_id, text):
    m = one(run, emitted.cinder_volume(method, reason, volume_id=VOL, project=OWNER))
    # the context is an admin's: the owner comes from the volume's properties
    assert (m.event_id, m.project_id, m.resource_type, m.resource_uuid) == (
        event_id, OWNER, "VOLUME", VOL)
    assert m.user_message.startswith(text)
    assert m.publisher_id == "scheduler.ctrl-1"


@pytest.mark.parametrize("method, reason, event_id, operation", [
    ("create_snapshot", "NoValidBackend('No valid backend was found.')",
     "SNAPSHOT_NO_VALID_BACKEND", "creation"),
    ("manage_existing_snapshot", "NoValidBackend('No valid backend was found.')",
     "SNAPSHOT_NO_VALID_BACKEND", "import"),
    ("create_snapshot", "KeyError('size')", "SNAPSHOT_UNKNOWN_ERROR", "creation"),
])
def test_cinder_snapshot_failures_belong_to_the_requester(run, method, reason, event_id,
                                                          operation):
    m = one(run, emitted.cinder_snapshot(method, reason, snapshot_id=SNAP, project=OWNER))
    assert (m.event_id, m.project_id, m.resource_type, m.resource_uuid) == (
        event_id, OWNER, "VOLUME_SNAPSHOT", SNAP)
    assert m.user_message.startswith(f"The {operation} of snapshot {SNAP} failed")


# -- manila --------------------------------------------------------------------
@pytest.mark.parametrize("reason, phrase", [
    ("NoValidHost('No valid host was found. Failed to find a weighted host, the last executed "
     "filter was CapacityFilter.')", "no share back end has enough free capacity"),
    ("NoValidHost('No valid host was found. Failed to find a weighted host, the last executed "
     "filter was AvailabilityZoneFilter.')",
     "no share back end is available in the requested availability zone"),
    ("NoValidHost('No valid host was found. Failed to find a weighted host, the last executed "
     "filter was CapabilitiesFilter.')", "no share back end offers what the share type asks "
     "for"),
    ("NoValidHost('No valid host was found. ')",
     "no share back end can currently satisfy the request"),
])
def test_manila_no_valid_host_names_the_filter_that_refused(run, reason, phrase):
    m = one(run, emitted.manila_share(reason, share_id=SHARE, project=OWNER))
    assert (m.event_id, m.project_id, m.resource_uuid) == ("SHARE_CREATE_NO_VALID_HOST",
                                                           OWNER, SHARE)
    assert m.user_message == (f"Share {SHARE} could not be created: {phrase}. Another size or "
                              "share type may succeed.")


def test_manila_other_failure(run):
    m = one(run, emitted.manila_share("ShareBackendException('boom on netapp-2')",
                                      share_id=SHARE, project=OWNER))
    assert m.event_id == "SHARE_UNKNOWN_ERROR"


# -- routine traffic and broken service notifications ----------------------------------
def test_routine_traffic_is_acknowledged_and_counted_never_quarantined(run):
    outcomes, stored, rejected = run(*[emitted.routine(i) for i in range(40)])
    assert outcomes == [Outcome.IGNORED] * 40 and stored == [] and rejected == []
    assert run.pipeline.stats.totals[Outcome.IGNORED] == 40


def test_a_matched_notification_that_cannot_be_mapped_is_quarantined(run):
    no_owner = emitted.cinder_snapshot("create_snapshot", "NoValidBackend()", snapshot_id=SNAP,
                                       project=OWNER)
    for key in [k for k in no_owner if k.startswith("_context_")]:
        del no_owner[key]
    bad_id = emitted.cinder_volume("create_volume", "NoValidBackend()", volume_id="vol 1",
                                   project=OWNER)
    outcomes, stored, rejected = run(no_owner, bad_id)
    assert outcomes == [Outcome.REJECTED] * 2 and stored == []
    by_code = {r.code: r for r in rejected}
    assert set(by_code) == {"unmappable", "bad_parameter"}
    assert by_code["unmappable"].detail.startswith(
        "rule cinder.scheduler.snapshot_operation: no value for project_id")
    bad = by_code["bad_parameter"]
    assert bad.detail.startswith("rule cinder.scheduler.create_volume: VOLUME_NO_VALID_BACKEND")
    assert (bad.event_id, bad.project_id, bad.event_type) == (
        "VOLUME_NO_VALID_BACKEND", OWNER, "scheduler.create_volume")
    assert b"scheduler.create_volume" in bad.raw_body  # the original body is kept


def test_herald_own_payload_is_unchanged(run):
    payload = wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    m = one(run, wire.message(payload))
    assert m.event_id == "VOLUME_DELETE_FAILED" and m.project_id == "p-test"
    outcomes, _, rejected = run(wire.message({"params": {}}))
    assert outcomes == [Outcome.REJECTED] and rejected[0].code == "missing_field"
