"""What real services sent (tests/samples/captured), through the whole pipeline.

tests/integration runs the services themselves; these bodies keep what they
taught herald under unit test: real nova's exception names, and one failure
reported in both of nova's formats.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from collector.model import Inbound, Outcome
from tests.fakes import mapping_pipeline

CAPTURED = pathlib.Path(__file__).parent.parent / "samples" / "captured"

EXPECTED = {
    "cinder-29.0.0-scheduler.create_volume.json": (
        "VOLUME_NO_VALID_BACKEND", "1a34916e-9890-4cf2-8ab4-5ea785905157",
        "req-3ead9105-161e-4bb2-91ea-7bbfaef97c93", "The creation of volume"),
    "cinder-29.0.0-scheduler.extend_volume.json": (
        "VOLUME_NO_VALID_BACKEND", "13f357ef-5033-43e2-be52-3d7be28bd3d7",
        "req-abe59c7f-74d8-4154-a98e-8486e846bb06", "The extension of volume"),
    "nova-34.0.0-compute_task.build_instances.json": (
        "INSTANCE_CREATE_NO_VALID_HOST", "544e4905-de8b-486c-90ef-4df99295ae75",
        "req-04209a6f-e6b8-4a37-8d8f-76f86b32e34d", "Instance 544e4905"),
    "nova-34.0.0-compute_task.build_instances.error.json": (
        "INSTANCE_CREATE_NO_VALID_HOST", "544e4905-de8b-486c-90ef-4df99295ae75",
        "req-04209a6f-e6b8-4a37-8d8f-76f86b32e34d", "Instance 544e4905"),
}


@pytest.fixture
def pipeline(conf):
    return mapping_pipeline(conf)


def body(name: str) -> bytes:
    return (CAPTURED / name).read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_what_real_services_sent_becomes_the_right_message(pipeline, name):
    p, dispatcher, quarantine = pipeline
    assert p.process([Inbound(body=body(name))]) == [Outcome.STORED], quarantine.records
    (m,) = dispatcher.messages
    event_id, resource, request, text = EXPECTED[name]
    assert (m.event_id, m.project_id, m.resource_uuid, m.request_id) == (
        event_id, "demo", resource, request)
    assert m.user_message.startswith(text)
    inner = json.loads(json.loads(body(name))["oslo.message"])
    for secret in ("demo-token", "Traceback", "cinder-proto", "nova-proto", "NoValidHost_Remote"):
        assert secret not in m.user_message
    assert inner["priority"] == "ERROR"


def test_one_failure_in_both_of_novas_formats_is_one_message(pipeline):
    p, dispatcher, _ = pipeline
    legacy, versioned = (body(f"nova-34.0.0-compute_task.build_instances{suffix}.json")
                         for suffix in ("", ".error"))
    assert p.process([Inbound(body=legacy), Inbound(body=versioned)]) == [Outcome.STORED] * 2
    first, second = dispatcher.messages
    # one key: the store keeps the first and absorbs the second like a redelivery
    assert first.message_id == second.message_id and first.message_id.startswith("fact:")
    assert (first.user_message, first.resource_uuid) == (second.user_message,
                                                         second.resource_uuid)
