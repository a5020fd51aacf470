"""herald beside real nova 34 and placement 16 (PyPI), in each notification format.

nova sends legacy notifications by default (topic ``notifications``),
versioned ones with ``notification_format = versioned`` (topic
``versioned_notifications``), and both with ``both``. A boot no host can
take must become exactly one message, INSTANCE_CREATE_NO_VALID_HOST, for
its owner and the instance, whatever the format.
"""

from __future__ import annotations

import pytest

from tests import services
from tests.integration.nova import Nova

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]

SHARED = ["notifications", "versioned_notifications"]
TOPICS = {"unversioned": ["notifications"], "versioned": ["versioned_notifications"],
          "both": ["notifications", "versioned_notifications"]}


def kept(vhost, queue: str) -> int:
    q = vhost.queue(queue)
    return 0 if q is None else q.message_count


@pytest.fixture
def nova(request, nova_venv, vhost, databases, tmp_path):
    made = []

    def make(notification_format: str) -> Nova:
        n = Nova(nova_venv, vhost, databases, tmp_path, notification_format)
        made.append(n)
        return n

    yield make
    for n in made:
        n.stop()


@pytest.mark.parametrize("notification_format", ["unversioned", "versioned", "both"])
def test_a_boot_no_host_can_take_is_one_message(herald, nova, vhost, notification_format):
    h = herald(["nova"], SHARED).start()
    assert "The exchange 'nova' does not exist" in h.listener.log()
    cloud = nova(notification_format).start()  # nova creates its exchange, transient
    assert vhost.entity("exchanges", "nova")["durable"] == "false"
    h.listener.wait_log("The exchange 'nova' exists now")

    server_id, request_id = cloud.boot()
    cloud.wait_status(server_id, "ERROR")
    # every notification nova sent for it is in the topic queues nova's Notifier
    # made (nobody reads them here) and herald has handled its own copies
    for topic in TOPICS[notification_format]:
        services.wait_until(lambda t=topic: kept(vhost, f"{t}.error") >= 1, 30, topic)
        assert kept(vhost, f"{topic}.error") == 1
    services.wait_until(lambda: vhost.drained(h.listener.shared_queue), 30,
                        "herald to handle its copies")
    h.listener.wait_for_outcomes(1, 0)
    (row,) = h.listener.rows()
    assert (row["project_id"], row["event_id"], row["resource_type"], row["resource_uuid"],
            row["request_id"]) == ("demo", "INSTANCE_CREATE_NO_VALID_HOST", "INSTANCE",
                                   server_id, request_id)
    assert row["user_message"] == (
        f"Instance {server_id} could not be created: no compute host currently has enough "
        "free resources for it. Another flavor or a later attempt may succeed.")
    (listed,) = h.openstack("demo", "list")
    assert (listed["Resource UUID"], listed["Request ID"]) == (server_id, request_id)
    assert h.openstack("other", "list") == []
    # what the stand-ins were asked for the boot (and the status reads)
    assert set(cloud.glance.calls) == {("GET", "/v2/images/{id}"), ("GET", "/v2/schemas/image")}
    assert set(cloud.neutron.calls) <= {("GET", "/v2.0/ports")}
    assert "PRECONDITION_FAILED" not in cloud.logs_text()
