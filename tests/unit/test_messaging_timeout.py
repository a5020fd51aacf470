"""nova's burial of a build whose scheduler never answered, as real nova sent it.

With nova-scheduler down, the conductor's ``select_destinations`` call times
out after ``rpc_response_timeout`` (oslo.messaging's ``MessagingTimeout``,
raised in the conductor itself, so not ``_Remote``), and nova buries the
instance in cell0 with that reason in ``compute_task.build_instances``
(legacy: the exception's ``repr``) and ``compute_task.build_instances.error``
(an ExceptionPayload). Bodies captured from nova 34
(tests/samples/captured/SOURCE.txt); tests/integration/test_nova_stalls.py
produces them on every run.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from collector.model import Inbound, Outcome
from tests.fakes import mapping_pipeline

CAPTURED = pathlib.Path(__file__).parent.parent / "samples" / "captured"
INSTANCE = "25c0d5a1-8f2c-4f23-b201-2cd69b81e0a0"
REQUEST = "req-6e867f03-da7f-49bc-b5e6-2b3beb6bf5bc"
BODIES = ["nova-34.0.0-compute_task.build_instances.timeout.json",
          "nova-34.0.0-compute_task.build_instances.error.timeout.json"]


@pytest.mark.parametrize("name", BODIES)
def test_a_scheduler_that_never_answered_reads_as_not_responding(conf, name):
    body = (CAPTURED / name).read_bytes()
    assert "MessagingTimeout" in json.loads(json.loads(body)["oslo.message"])["payload"].__repr__()
    p, dispatcher, quarantine = mapping_pipeline(conf)
    assert p.process([Inbound(body=body)]) == [Outcome.STORED], quarantine.records
    (m,) = dispatcher.messages
    assert (m.event_id, m.project_id, m.resource_uuid, m.request_id) == (
        "INSTANCE_CREATE_SERVICE_NOT_RESPONDING", "demo", INSTANCE, REQUEST)
    assert m.user_message == (f"Instance {INSTANCE} could not be created: the compute "
                              "service is not responding. Delete it and try again later.")
    for secret in ("unexpected", "MessagingTimeout", "Timed out", "message ID", "nova-it",
                   "demo-token", "Traceback"):
        assert secret not in m.user_message


def test_both_formats_are_one_message(conf):
    p, dispatcher, _ = mapping_pipeline(conf)
    bodies = [Inbound(body=(CAPTURED / name).read_bytes()) for name in BODIES]
    assert p.process(bodies) == [Outcome.STORED] * 2
    first, second = dispatcher.messages
    assert first.message_id == second.message_id  # the store keeps one
