"""The spec's test cases for herald-api: what a project's users read after failures."""

from __future__ import annotations

from tempest import config
from tempest.common import waiters
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from herald_tempest_plugin.tests.api import base

CONF = config.CONF
VOLUME_NO_VALID_BACKEND = "VOLUME_NO_VALID_BACKEND"


class MessagesTest(base.BaseHeraldTest):

    def _too_large_volume(self):
        """A volume no back end can hold: it fails at the scheduler.
        (volume, the create's request ID)."""
        body = self.volumes_client.create_volume(size=CONF.herald.too_large_volume_size)
        volume = body["volume"]
        self.addCleanup(self.delete_volume, self.volumes_client, volume["id"])
        request_id = body.response["x-openstack-request-id"]
        waiters.wait_for_volume_resource_status(self.volumes_client, volume["id"], "error")
        return volume, request_id

    @decorators.idempotent_id("0b1e3f3a-6a58-4d0e-9a36-7f1c1c2e0d01")
    def test_list_messages_with_none(self):
        """A new project has no messages."""
        self.assertEqual([], self.alt_messages_client.list_messages()["messages"])

    @decorators.idempotent_id("0b1e3f3a-6a58-4d0e-9a36-7f1c1c2e0d02")
    def test_too_large_volume_is_a_scheduling_error_message(self):
        """The spec's own case: a volume too large for any back end, and its
        scheduling error message: event ID, text, resource and request ID."""
        volume, request_id = self._too_large_volume()
        message = self.wait_for_message(resource_uuid=volume["id"])
        self.assertEqual(VOLUME_NO_VALID_BACKEND, message["event_id"])
        self.assertEqual("ERROR", message["message_level"])
        self.assertEqual("VOLUME", message["resource_type"])
        self.assertEqual(request_id, message["request_id"])
        self.assertIn(f"The creation of volume {volume['id']} failed: no storage back end",
                      message["user_message"])
        # herald's event model, asked for with user-messages 1.0
        self.assertEqual("volume.schedule.failed", message["event_type"])
        self.assertGreaterEqual(message["count"], 1)
        self.assertNotIn("publisher_id", message)

        # the other project sees nothing of it, listed or shown
        alt = self.alt_messages_client
        self.assertNotIn(message["id"], [m["id"] for m in alt.list_messages()["messages"]])
        self.assertRaises(lib_exc.NotFound, alt.show_message, message["id"])
        self.assertRaises(lib_exc.NotFound, alt.delete_message, message["id"])

    @decorators.idempotent_id("0b1e3f3a-6a58-4d0e-9a36-7f1c1c2e0d03")
    def test_list_with_filters(self):
        volume, request_id = self._too_large_volume()
        message = self.wait_for_message(resource_uuid=volume["id"])
        list_ = self.messages_client.list_messages
        for spelling in ("VOLUME", "volume"):  # Cinder's, and herald's old one
            found = list_(resource_type=spelling, resource_uuid=volume["id"])["messages"]
            self.assertEqual([message["id"]], [m["id"] for m in found])
        self.assertEqual([], list_(resource_type="INSTANCE",
                                   resource_uuid=volume["id"])["messages"])
        self.assertEqual([message["id"]], [m["id"] for m in list_(
            request_id=request_id)["messages"]])
        found = list_(event_id=VOLUME_NO_VALID_BACKEND, message_level="ERROR")["messages"]
        self.assertIn(message["id"], [m["id"] for m in found])
        self.assertEqual([], list_(event_id="VOLUME_EXTEND_FAILED",
                                   resource_uuid=volume["id"])["messages"])

    @decorators.idempotent_id("0b1e3f3a-6a58-4d0e-9a36-7f1c1c2e0d04")
    def test_show_and_delete(self):
        volume, _ = self._too_large_volume()
        message = self.wait_for_message(resource_uuid=volume["id"])
        shown = self.messages_client.show_message(message["id"])["message"]
        self.assertEqual(message, shown)
        self.messages_client.delete_message(message["id"])
        self.messages_client.wait_for_resource_deletion(message["id"])
        self.assertEqual([], self.messages_client.list_messages(
            resource_uuid=volume["id"])["messages"])
