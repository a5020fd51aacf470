"""Tempest, unchanged, against herald-api; and herald's own Tempest plugin.

A real Keystone 30; real Cinder 29 with keystone auth, api and scheduler
and no volume service, so every create fails at the scheduler;
herald-listener and herald-api with keystone auth; and the test's own
router (tests/integration/router.py) sending ``/v3/{project}/messages…`` to
herald-api and everything else to cinder-api, as an operator routes it with
haproxy (docs/integration.md). The catalog holds:

- ``volumev3``: cinder-api itself (the control: Cinder's own messages API);
- ``block-storage``: the router (Cinder, with herald's messages);
- ``user-messages``: herald-api (herald's own service type, for the plugin).

``tempest run --regex tempest.api.volume.admin.test_user_messages`` runs
against the first two; both runs must pass both tests. herald's own plugin
(herald_tempest_plugin) then runs with volumes created in Cinder and
messages read from ``user-messages``.
"""

from __future__ import annotations

import pytest

from tests import services
from tests.integration import venvs
from tests.integration.broker import VirtualHost
from tests.integration.cinder import Cinder
from tests.integration.conftest import Herald
from tests.integration.databases import Databases
from tests.integration.keystone import Keystone
from tests.integration.nova import Nova
from tests.integration.router import Router
from tests.integration.standins import IMAGE_ID
from tests.integration.tempest import Tempest

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]

USER_MESSAGES = "tempest.api.volume.admin.test_user_messages"


class Cloud:
    def __init__(self, tmp) -> None:
        if not services.port_open(5432):
            services.unavailable("PostgreSQL on 127.0.0.1:5432")
        self.vhost, self.databases = VirtualHost(), Databases()
        self.keystone = self.herald = self.cinder = self.router = None
        self.tmp = tmp

    def start(self) -> Cloud:
        self.keystone = Keystone(venvs.HORIZON.ensure(), self.tmp).start()
        # nova's exchange too: the plugin's boot (nova starts later, for it only)
        self.herald = Herald(self.tmp, self.vhost, self.databases, ["openstack", "nova"],
                             ["notifications"], keystone_url=self.keystone.url)
        self.keystone.provision(f"{self.herald.base}/v3/$(project_id)s")
        self.herald.start()
        self.cinder = Cinder(venvs.CINDER.ensure(), self.vhost, self.databases, self.tmp,
                             keystone_url=self.keystone.url).start()
        self.router = Router(self.herald.base, self.cinder.base).start()
        self.keystone.add_service("volumev3", "cinder", f"{self.cinder.base}/v3/$(project_id)s")
        self.keystone.add_service("block-storage", "cinder-with-herald",
                               f"{self.router.url}/v3/$(project_id)s")
        return self

    def stop(self) -> None:
        for part in (self.router, self.cinder, self.herald, self.keystone):
            if part is not None:
                part.stop()
        self.vhost.delete()
        self.databases.drop()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    c = Cloud(tmp_path_factory.mktemp("cloud"))
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture(scope="module")
def tempest(cloud, tmp_path_factory):
    return Tempest(venvs.TEMPEST.ensure(), tmp_path_factory.mktemp("tempest"),
                   cloud.keystone.url)


@pytest.fixture(scope="module")
def nova(cloud, tmp_path_factory):
    """nova 34 and placement with keystone auth in the same cloud (no compute
    host: every boot fails at the scheduler), for the plugin's boot test."""
    n = Nova(venvs.NOVA.ensure(), cloud.vhost, cloud.databases,
             tmp_path_factory.mktemp("nova"), "unversioned", keystone=cloud.keystone)
    try:
        n.start()
        cloud.keystone.add_service("compute", "nova", f"{n.base}/v2.1")
        # nova's exchange exists now: herald binds its queue to it before a boot
        cloud.herald.listener.wait_log("The exchange 'nova' exists now", timeout=120)
        yield n
    finally:
        n.stop()


def summary(run: dict) -> str:
    return f"{run['Passed']} passed, {run['Failed']} failed, {run['Skipped']} skipped"


def test_tempests_user_messages_tests_pass_against_herald_api(cloud, tempest):
    """The control first, Cinder's own messages API; then the same tests
    with the messages routes sent to herald-api."""
    control = tempest.run(USER_MESSAGES, "volumev3")
    print(f"Cinder's own messages API: {summary(control)}")
    assert (control["Passed"], control["Failed"]) == (2, 0), control["output"][-6000:]

    before = len(cloud.router.routed)
    herald = tempest.run(USER_MESSAGES, "block-storage")
    print(f"herald-api behind the router: {summary(herald)}")
    assert (herald["Passed"], herald["Failed"]) == (2, 0), (
        herald["output"][-6000:] + cloud.herald.api.log()[-3000:])
    # the messages routes reached herald-api, the rest cinder-api
    routed = cloud.router.routed[before:]
    to_herald = {(m, p.rsplit("/", 1)[-1] if p.count("/") > 3 else "")
                 for m, p, up in routed if up == cloud.herald.base}
    assert {m for m, _ in to_herald} == {"GET", "DELETE"}, routed
    assert all("/messages" in p for _, p, up in routed if up == cloud.herald.base)
    assert any(p.endswith("/volumes") for m, p, up in routed
               if up == cloud.cinder.base and m == "POST")
    # herald made a message of each of the four volumes from Cinder's
    # notifications; tempest deleted the second run's two through herald-api
    rows = cloud.herald.listener.rows()
    assert len(rows) == 2 and {r["resource_type"] for r in rows} == {"VOLUME"}
    assert {r["event_id"] for r in rows} == {"VOLUME_NO_VALID_BACKEND"}
    assert all(r["request_id"].startswith("req-") for r in rows)


def test_heralds_tempest_plugin(cloud, nova, tempest):
    """The plugin's tests, installed as an operator installs them, with
    volumes in Cinder, servers in nova and messages from user-messages."""
    tempest.install_plugin()
    run = tempest.run("herald_tempest_plugin", "volumev3", herald=True, nova=True, extra=f"""\
        [herald]
        message_timeout = 60
        [compute]
        image_ref = {IMAGE_ID}
        image_ref_alt = {IMAGE_ID}
        min_microversion = 2.1
        max_microversion = latest
        build_timeout = 60
        """)
    print(f"herald_tempest_plugin: {summary(run)}")
    assert (run["Passed"], run["Failed"], run["Skipped"]) == (5, 0, 0), (
        run["output"][-8000:] + cloud.herald.api.log()[-3000:] + nova.logs_text()[-4000:])
    assert "test_boot_no_host_can_take" in run["output"]
