"""Publishing user messages, for service developers.

A thin wrapper over an ordinary ``oslo_messaging.Notifier`` that checks a
notification against the catalogue *before* sending it, so a typo in an
event ID or a parameter fails in the service's own tests instead of landing
in herald's quarantine::

    from listener.emitter import Emitter

    emitter = Emitter(transport, publisher_id="volume.host-a")
    # context: an oslo_context RequestContext (a plain dict is dropped by oslo)
    emitter.emit(context, "VOLUME_EXTEND_FAILED", project_id=context.project_id,
                 resource_uuid=volume.id,
                 params={"volume_id": volume.id, "new_size_gb": 20, "reason": "no_capacity"})

The wire contract it follows is in docs/wire-format.md; any Notifier that
follows it works just as well.
"""

from __future__ import annotations

from typing import Any

import oslo_messaging

from collector import catalogue as catalogue_mod
from collector.model import Notification, UserMessage, utcnow
from collector.validation import Validator, new_id

EVENT_TYPE = "user_message.create"


class Emitter:
    def __init__(self, transport: oslo_messaging.Transport, publisher_id: str,
                 topic: str = "user_messages",
                 catalogue: catalogue_mod.Catalogue | None = None,
                 driver: str = "messaging") -> None:
        self.catalogue = catalogue or catalogue_mod.sanctioned()
        self.notifier = oslo_messaging.Notifier(transport, publisher_id=publisher_id,
                                                driver=driver, topics=[topic])
        self._validator = Validator(self.catalogue, ttl=86400, max_clock_skew=300)

    @staticmethod
    def payload(event_id: str, params: dict[str, Any] | None = None,
                **fields: Any) -> dict[str, Any]:
        """The payload herald reads; ``fields``: project_id, resource_uuid,
        resource_type, request_id, user_id, and the event model's id,
        parent_id, root_id and step (None values are left out)."""
        out: dict[str, Any] = {"event_id": event_id, "params": params or {}}
        out.update({k: v for k, v in fields.items() if v is not None})
        return out

    @staticmethod
    def sent_context(context: Any) -> dict[str, Any]:
        """The context a Notifier actually sends: oslo.messaging discards a
        plain dict (or None) and sends a redacted copy of a RequestContext."""
        if context is None or type(context) is dict:
            return {}
        return context.redacted_copy().to_dict()

    def check(self, context: Any, payload: dict[str, Any]) -> UserMessage:
        """What herald would store; raises ``InvalidNotification`` otherwise."""
        n = Notification("check", None, EVENT_TYPE, None, None, payload,
                         self.sent_context(context))
        return self._validator.accept(n, utcnow())

    def emit(self, context: Any, event_id: str, params: dict[str, Any] | None = None,
             parent: UserMessage | None = None, **fields: Any) -> UserMessage:
        """Check, then publish with the priority matching the entry's level.

        The returned message's ``id`` is the one herald will store. Pass the
        message as ``parent`` of the events it causes: they then carry both
        its id and its tree's root, so the tree is right whatever order
        they reach herald in.
        """
        if parent is not None:
            fields.setdefault("parent_id", parent.id)
            if parent.root_id is not None:
                fields.setdefault("root_id", parent.root_id)
        fields.setdefault("id", new_id())
        payload = self.payload(event_id, params, **fields)
        message = self.check(context, payload)
        send = getattr(self.notifier, catalogue_mod.PRIORITY[message.message_level])
        send(context, EVENT_TYPE, payload)
        return message
