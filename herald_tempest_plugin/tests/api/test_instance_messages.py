"""A boot no compute host can take becomes the owner's message (needs nova)."""

from __future__ import annotations

from tempest import config, exceptions
from tempest.common import waiters
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from herald_tempest_plugin.tests.api import base

CONF = config.CONF


class InstanceMessagesTest(base.BaseHeraldTest):
    credentials = ["primary", "alt", "admin"]
    min_microversion = "2.37"  # "networks": "none": a boot that needs no network

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.nova:
            raise cls.skipException("nova is not available")

    @decorators.idempotent_id("0b1e3f3a-6a58-4d0e-9a36-7f1c1c2e0d05")
    def test_boot_no_host_can_take(self):
        """A server of a flavor no host can take goes to ERROR; its owner
        reads INSTANCE_CREATE_NO_VALID_HOST, the other project nothing.

        The flavor is small (within any quota) but requires a trait no host
        has, so placement finds no candidate."""
        flavors = self.os_admin.flavors_client
        flavor = flavors.create_flavor(name="herald-no-host", ram=64, vcpus=1, disk=1)["flavor"]
        self.addCleanup(flavors.delete_flavor, flavor["id"])
        flavors.set_flavor_extra_spec(flavor["id"], **{"trait:CUSTOM_HERALD_NO_HOST": "required"})
        server = self.servers_client.create_server(
            name="herald-no-host", imageRef=CONF.compute.image_ref,
            flavorRef=flavor["id"], networks="none")["server"]
        self.addCleanup(self.servers_client.delete_server, server["id"])
        self.assertRaises(exceptions.BuildErrorException, waiters.wait_for_server_status,
                          self.servers_client, server["id"], "ACTIVE")
        message = self.wait_for_message(resource_uuid=server["id"])
        self.assertEqual(("INSTANCE_CREATE_NO_VALID_HOST", "INSTANCE", "ERROR"),
                         (message["event_id"], message["resource_type"],
                          message["message_level"]))
        self.assertRaises(lib_exc.NotFound, self.alt_messages_client.show_message,
                          message["id"])
