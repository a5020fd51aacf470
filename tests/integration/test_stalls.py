"""A create nobody consumes, with real Keystone 30 and Cinder 29 (PyPI).

cinder-api answers 202 and casts the create to cinder-scheduler; with the
scheduler gone nobody sends a word and the volume stays ``creating``. herald
lists what is still creating with its service account (openstacksdk on a
keystoneauth1 session from ``[service_credentials]``, against Cinder's API
authenticated by Keystone) and tells the volume's owner, once. When the
scheduler returns it consumes the waiting create, finds no back end and says
so: that failure joins the stall message's event tree.
"""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa

from storage.tables import stalls
from tests import services
from tests.integration import http
from tests.integration.cinder import Cinder
from tests.integration.keystone import Keystone

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]

STALL_SECONDS = 5


@pytest.fixture
def keystone(keystone_venv, tmp_path):
    k = Keystone(keystone_venv, tmp_path)
    yield k
    k.stop()


def herald_conf(keystone: Keystone) -> str:
    return textwrap.dedent(f"""\
        [stalls]
        enabled = true
        kinds = volume
        interval = 1
        stall_time = {STALL_SECONDS}
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
        """)


def stall_rows(h) -> list[dict]:
    with h.listener.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(stalls))]


def test_a_create_no_scheduler_consumes_reaches_its_owner_and_its_failure_joins(
        herald, keystone, cinder_venv, vhost, databases, tmp_path):
    h = herald(["openstack"], ["notifications"], extra=herald_conf(keystone))
    keystone.start()
    projects = keystone.provision(f"{h.base}/v3/$(project_id)s")
    keystone.service_account("herald")  # the role docs/operations.md names: admin
    cinder = Cinder(cinder_venv, vhost, databases, tmp_path, keystone_url=keystone.url)
    try:
        keystone.add_service("block-storage", "cinderv3", f"{cinder.base}/v3/$(project_id)s")
        cinder.start()
        cinder.processes.pop("cinder-scheduler").stop()  # gone; its queue stays
        h.start()

        demo = projects["demo"]
        token = keystone.token("demo", "demo", "demo")
        status, headers, body = http.call(
            "POST", f"{cinder.base}/v3/{demo}/volumes", {"X-Auth-Token": token},
            {"volume": {"size": 1, "name": "stalled"}})
        assert status == 202, body
        volume_id = body["volume"]["id"]

        def messages(event_id: str) -> list[dict]:
            return [m for m in h.listener.rows() if m["event_id"] == event_id]

        services.wait_until(lambda: messages("VOLUME_CREATE_STALLED"), 60,
                            "the owner's stall message", )
        (stall,) = messages("VOLUME_CREATE_STALLED")
        assert (stall["project_id"], stall["resource_uuid"], stall["resource_type"]) == (
            demo, volume_id, "VOLUME")  # Cinder's own spelling
        assert stall["user_message"].startswith(f"Volume {volume_id} is still being created "
                                                "after 1 minute: the service that places new "
                                                "volumes is not responding.")
        assert "cinder-it" not in stall["user_message"]  # no host
        (listed,) = h.openstack(demo, "list")  # the owner reads it with the usual client
        assert listed["ID"] == stall["id"]
        assert h.openstack(projects["other"], "list") == []
        status, _, body = http.call("GET", f"{cinder.base}/v3/{demo}/volumes/{volume_id}",
                                    {"X-Auth-Token": token})
        assert body["volume"]["status"] == "creating"  # still: nobody consumed the create

        # the scheduler returns, consumes the waiting create, finds no back end
        cinder._start("cinder-scheduler")
        services.wait_until(lambda: messages("VOLUME_NO_VALID_BACKEND"), 120,
                            "cinder's failure through herald")
        (failure,) = messages("VOLUME_NO_VALID_BACKEND")
        assert (failure["project_id"], failure["resource_uuid"]) == (demo, volume_id)
        assert (failure["parent_id"], failure["root_id"]) == (stall["id"], stall["id"])
        services.wait_until(lambda: stall_rows(h)[0]["outcome"] == "failed", 30,
                            "the watcher to close the stall")
        # one message each, the stall's unchanged, nothing else said or refused
        assert sorted(m["event_id"] for m in h.listener.rows()) == [
            "VOLUME_CREATE_STALLED", "VOLUME_NO_VALID_BACKEND"]
        assert messages("VOLUME_CREATE_STALLED") == [stall]
        assert h.listener.rejected() == []
        tree = h.openstack(demo, "list")
        assert {m["ID"] for m in tree} == {stall["id"], failure["id"]}
    finally:
        cinder.stop()
