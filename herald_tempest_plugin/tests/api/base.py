"""A Cinder volume test with herald-api's messages clients beside the volume clients."""

from __future__ import annotations

import time

from tempest import config
from tempest.api.volume import base
from tempest.lib import exceptions as lib_exc

CONF = config.CONF


class BaseHeraldTest(base.BaseVolumeTest):
    """Volumes are created in Cinder as any user does; their messages are
    read from herald-api, through its own catalog entry."""

    credentials = ["primary", "alt"]

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.herald:
            raise cls.skipException("herald is not available")

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.messages_client = cls._messages_client(cls.os_primary)
        cls.alt_messages_client = cls._messages_client(cls.os_alt)

    @staticmethod
    def _messages_client(manager):
        client = manager.herald.MessagesClient()
        client.volume_microversion = CONF.herald.volume_microversion
        client.herald_microversion = CONF.herald.max_microversion
        return client

    def wait_for_message(self, client=None, **filters):
        """The first message matching ``filters`` (herald stores it moments
        after the service's notification), or a timeout."""
        client = client or self.messages_client
        deadline = time.monotonic() + CONF.herald.message_timeout
        while True:
            found = client.list_messages(**filters)["messages"]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise lib_exc.TimeoutException(f"no message matching {filters} after "
                                               f"{CONF.herald.message_timeout} s")
            time.sleep(CONF.herald.build_interval)
