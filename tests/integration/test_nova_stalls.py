"""Boots nobody answers, with real nova 34 and placement 16 (PyPI).

- nova-scheduler down, nova-conductor up: the conductor's call to the
  scheduler times out (``rpc_response_timeout``, 5 s here) and nova buries
  the instance itself with a ``MessagingTimeout`` reason: its owner reads
  "the compute service is not responding", not "an unexpected error".
- nova-conductor down: nothing consumes the boot, the server stays BUILD and
  nobody says a word; herald's stall watcher (its service account reading
  nova's API through Keystone) tells the owner. When the conductor returns
  and the boot fails for want of a host, that failure joins the stall's tree.
"""

from __future__ import annotations

import textwrap

import pytest

from tests import services
from tests.integration.keystone import Keystone
from tests.integration.nova import Nova

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]

SHARED = ["notifications", "versioned_notifications"]


def test_a_boot_whose_scheduler_does_not_answer_reads_as_not_responding(
        herald, nova_venv, vhost, databases, tmp_path):
    h = herald(["nova"], SHARED).start()
    cloud = Nova(nova_venv, vhost, databases, tmp_path, "both", rpc_response_timeout=5)
    try:
        cloud.start()
        cloud.processes.pop("nova-scheduler").stop()
        server_id, request_id = cloud.boot()
        cloud.wait_status(server_id, "ERROR")
        services.wait_until(lambda: vhost.drained(h.listener.shared_queue), 30,
                            "herald to handle nova's notifications")
        h.listener.wait_for_outcomes(1, 0)
        (row,) = h.listener.rows()  # nova's two formats, one message
        assert (row["project_id"], row["event_id"], row["resource_uuid"],
                row["request_id"]) == ("demo", "INSTANCE_CREATE_SERVICE_NOT_RESPONDING",
                                       server_id, request_id)
        assert row["user_message"] == (
            f"Instance {server_id} could not be created: the compute service is not "
            "responding. Delete it and try again later.")
        assert "MessagingTimeout" in cloud.processes["nova-conductor"].log()  # nova's reason
        assert h.listener.rejected() == []
    finally:
        cloud.stop()


@pytest.fixture
def keystone(keystone_venv, tmp_path):
    k = Keystone(keystone_venv, tmp_path)
    yield k
    k.stop()


def test_a_boot_no_conductor_consumes_reaches_its_owner(
        herald, keystone, nova_venv, vhost, databases, tmp_path):
    h = herald(["nova"], SHARED, extra=textwrap.dedent(f"""\
        [stalls]
        enabled = true
        kinds = instance
        interval = 1
        stall_time = 5
        [service_credentials]
        auth_type = password
        auth_url = {keystone.url}
        username = herald
        password = herald
        project_name = admin
        user_domain_id = default
        project_domain_id = default
        region_name = RegionOne
        interface = public
        """))
    keystone.start()
    projects = keystone.provision(f"{h.base}/v3/$(project_id)s")
    keystone.service_account("herald")
    cloud = Nova(nova_venv, vhost, databases, tmp_path, "unversioned", keystone=keystone)
    try:
        keystone.add_service("compute", "nova", f"{cloud.base}/v2.1")
        cloud.start()
        cloud.processes.pop("nova-conductor").stop()  # gone; its queue stays
        h.start()
        demo = projects["demo"]
        server_id, _ = cloud.boot("demo")

        def messages(event_id: str) -> list[dict]:
            return [m for m in h.listener.rows() if m["event_id"] == event_id]

        services.wait_until(lambda: messages("INSTANCE_CREATE_STALLED"), 60,
                            "the owner's stall message")
        (stall,) = messages("INSTANCE_CREATE_STALLED")
        assert (stall["project_id"], stall["resource_uuid"]) == (demo, server_id)
        assert stall["user_message"].startswith(
            f"Instance {server_id} is still being created after 1 minute: the service that "
            "places new instances is not responding.")
        assert cloud.server(server_id)["status"] == "BUILD"
        (listed,) = h.openstack(demo, "list")
        assert listed["ID"] == stall["id"]

        # the conductor returns, consumes the boot; no compute host: NoValidHost
        conf = ["--config-file", str(cloud.conf)]
        cloud._start("nova-conductor", [cloud.venv.bin("nova-conductor"), *conf])
        services.wait_until(lambda: messages("INSTANCE_CREATE_NO_VALID_HOST"), 120,
                            "nova's failure through herald")
        (failure,) = messages("INSTANCE_CREATE_NO_VALID_HOST")
        assert (failure["parent_id"], failure["root_id"]) == (stall["id"], stall["id"])
        assert messages("INSTANCE_CREATE_STALLED") == [stall]
        assert h.listener.rejected() == []
    finally:
        cloud.stop()
