"""Resource types as the services' own messages APIs spell them.

Cinder's and Manila's ``message_field.Resource`` say ``VOLUME``,
``VOLUME_SNAPSHOT``, ``VOLUME_BACKUP``, ``SHARE``, ``SHARE_SNAPSHOT``...;
``cinder message-list --resource_type VOLUME`` must find herald's messages
too. A catalogue entry's resource type is its event type's first part in
upper case, except where Cinder names the resource after the volume
(``snapshot``, ``backup``); nova's by the same rule is ``INSTANCE``.

herald once stored the lower-case first part (``volume``, ``snapshot``);
:func:`normalise` reads both spellings, so filters written for either
keep working (migration 0013 rewrote the stored rows).
"""

from __future__ import annotations

import uuid

#: event type prefixes whose Cinder name is not simply the prefix in upper case
ALIASES = {"snapshot": "VOLUME_SNAPSHOT", "backup": "VOLUME_BACKUP"}
#: what a derived request ID is made from (uuid5 of the notification's message_id)
REQUEST_ID_NAMESPACE = uuid.UUID("5d0c3b57-1b1e-4c4e-9a57-6865726c6421")


def of_event_type(event_type: str) -> str:
    """``snapshot.create.failed`` -> ``VOLUME_SNAPSHOT``."""
    return normalise(event_type.split(".", 1)[0])


def normalise(value: str) -> str:
    """Either spelling (``volume``, ``VOLUME``, ``snapshot``,
    ``VOLUME_SNAPSHOT``) -> the services' own."""
    return ALIASES.get(value.lower(), value.upper())


def derived_request_id(notification_message_id: str) -> str:
    """The request ID of a notification that came without one:
    ``req-<uuid>`` as oslo.context makes them, but derived from the
    notification's ``message_id``, so that a redelivery (or the migration
    of a stored row) gives the same ID."""
    return f"req-{uuid.uuid5(REQUEST_ID_NAMESPACE, notification_message_id)}"
