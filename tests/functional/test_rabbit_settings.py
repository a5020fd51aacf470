"""Queue settings on the real broker: quorum queues, and a mismatch."""

from __future__ import annotations

import subprocess

import kombu
import pytest

from tests import services

pytestmark = [pytest.mark.rabbit]

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
QUORUM = "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\nrabbit_quorum_delivery_limit = 5\n"


def queue_info(name):
    out = subprocess.run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers",
                          "name", "type", "durable", "arguments"],
                         capture_output=True, text=True, check=True).stdout
    return next((line for line in out.splitlines() if line.split("\t")[0] == name), None)


def delete_quorum_payload():
    return {"event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL, "reason": "in_use"}}


def test_quorum_queues_declared_like_the_services(herald):
    """Services and herald both set rabbit_quorum_queue: same declaration, no
    PRECONDITION_FAILED on either side, messages flow."""
    h = herald("sqlite", extra=QUORUM).start()
    info = queue_info(f"{h.topic}.error")
    assert info is not None and "\tquorum\t" in info and "x-delivery-limit" in info
    notifier = h.notifier(rabbit_quorum_queue=True, rabbit_quorum_delivery_limit=5)
    notifier.error({}, "user_message.create", {**delete_quorum_payload(), "project_id": "p"})
    h.wait_for_outcomes(1, 0)
    assert "RabbitMQ refused" not in h.log()
    assert h.stop() == 0


def test_a_mismatched_queue_is_reported_and_still_consumed(herald):
    """The queue already exists as a classic queue; herald is configured for
    quorum queues. It logs what to align and consumes the existing queue."""
    h = herald("sqlite", extra=QUORUM)
    name = f"{h.topic}.error"
    with kombu.Connection(services.AMQP_URL) as conn:
        exchange = kombu.Exchange(h.exchange, "topic", durable=True)
        kombu.Queue(name, exchange, routing_key=name, durable=True)(conn.channel()).declare()
    h.start()
    log = h.log()
    assert f"RabbitMQ refused herald's declaration of queue '{name}'" in log
    assert "rabbit_quorum_queue=True" in log and "PRECONDITION_FAILED" in log
    assert "\tclassic\t" in queue_info(name)  # left as it was
    h.notifier().error({}, "user_message.create",
                       {**delete_quorum_payload(), "project_id": "p"})
    h.wait_for_outcomes(1, 0)
    assert h.stop() == 0
