"""nova's burial of a build whose scheduler never answered.

With nova-scheduler down, the conductor's ``select_destinations`` call times
out after ``rpc_response_timeout`` (oslo.messaging's ``MessagingTimeout``,
raised in the conductor itself, so not ``_Remote``), and nova buries the
instance in cell0 with that reason in ``compute_task.build_instances``
(legacy: ``repr`` of the exception, as nova's JsonPayloadSerializer makes
it) and ``compute_task.build_instances.error`` (an ExceptionPayload). The
bodies are the captured NoValidHost ones with the reason nova gives then.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from collector.model import Inbound, Outcome
from tests.fakes import mapping_pipeline

CAPTURED = pathlib.Path(__file__).parent.parent / "samples" / "captured"
INSTANCE = "544e4905-de8b-486c-90ef-4df99295ae75"
TIMEOUT = "Timed out waiting for a reply to message ID 6f1b1a1c2b3d4e5f8a9b0c1d2e3f4a5b"


def _with_reason(name: str, set_reason) -> bytes:
    outer = json.loads((CAPTURED / name).read_text())
    inner = json.loads(outer["oslo.message"])
    set_reason(inner["payload"])
    inner["message_id"] = inner["message_id"][:-4] + "beef"
    outer["oslo.message"] = json.dumps(inner)
    return json.dumps(outer).encode()


def legacy() -> bytes:
    def reason(payload):
        payload["reason"] = f"MessagingTimeout('{TIMEOUT}')"
    return _with_reason("nova-34.0.0-compute_task.build_instances.json", reason)


def versioned() -> bytes:
    def reason(payload):
        payload["nova_object.data"]["reason"]["nova_object.data"].update(
            module_name="oslo_messaging._drivers.amqpdriver", function_name="wait",
            exception="MessagingTimeout", exception_message=TIMEOUT,
            traceback="Traceback (most recent call last):\n  File \"/usr/lib/python3/"
                      "nova/conductor/manager.py\", line 1683, in "
                      "schedule_and_build_instances\noslo_messaging.exceptions."
                      f"MessagingTimeout: {TIMEOUT}\n")
    return _with_reason("nova-34.0.0-compute_task.build_instances.error.json", reason)


@pytest.mark.parametrize("body", [legacy, versioned], ids=["legacy", "versioned"])
def test_a_scheduler_that_never_answered_reads_as_not_responding(conf, body):
    p, dispatcher, quarantine = mapping_pipeline(conf)
    assert p.process([Inbound(body=body())]) == [Outcome.STORED], quarantine.records
    (m,) = dispatcher.messages
    assert (m.event_id, m.project_id, m.resource_uuid) == (
        "INSTANCE_CREATE_SERVICE_NOT_RESPONDING", "demo", INSTANCE)
    assert m.user_message == (f"Instance {INSTANCE} could not be created: the compute "
                              "service is not responding. Delete it and try again later.")
    assert "unexpected" not in m.user_message
    for secret in ("MessagingTimeout", "Timed out", "message ID", "nova-proto"):
        assert secret not in m.user_message
