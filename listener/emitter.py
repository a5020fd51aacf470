"""Publishing user messages, for service developers.

A thin wrapper over an ordinary ``oslo_messaging.Notifier`` that checks a
notification against the catalogue *before* sending it, so a typo in an
event ID or a parameter fails in the service's own tests instead of landing
in herald's quarantine::

    from listener.emitter import Emitter

    emitter = Emitter(transport, publisher_id="volume.host-a", timeout=5)
    # context: an oslo_context RequestContext (a plain dict is dropped by oslo)
    try:
        emitter.emit(context, "VOLUME_EXTEND_FAILED", project_id=context.project_id,
                     resource_uuid=volume.id, params={"volume_id": volume.id,
                                                      "new_size_gb": 20,
                                                      "reason": "no_capacity"})
    except EmitError as exc:  # not published: record it, retry later with exc.message.id
        ...

Unlike an oslo Notifier, which logs "Could not send notification" and
returns as if it had sent it, ``emit`` returns only once the transport took
the message (on RabbitMQ: the broker confirmed it; oslo.messaging's rabbit
driver publishes with confirms), and raises :class:`EmitError` otherwise,
at the latest after ``timeout`` seconds. It publishes exactly what a
Notifier would (same envelope, same sanitised context, same declarations),
through the transport's own driver; the oslo message ID is the message's
own ``id``, so a retry with ``id=`` the first attempt's is stored once.

The wire contract it follows is in docs/wire-format.md; any Notifier that
follows it works just as well, minus the confirmation.
"""

from __future__ import annotations

import threading
from typing import Any

import oslo_messaging
from oslo_utils import timeutils

from collector import catalogue as catalogue_mod
from collector.exceptions import EmitError, EmitTimeout
from collector.model import Notification, UserMessage, utcnow
from collector.validation import Validator, new_id

EVENT_TYPE = "user_message.create"
VERSIONS = {"messaging": 1.0, "messagingv2": 2.0}
#: sends still waiting for the transport; past this, emit fails at once
MAX_PENDING = 4


class Emitter:
    """``driver``: the wire format, as a Notifier's (``messaging``: 1.0,
    ``messagingv2``: 2.0). ``timeout``: seconds ``emit`` waits at most.
    ``retry``: reconnection attempts the transport makes within that time."""

    def __init__(self, transport: oslo_messaging.Transport, publisher_id: str,
                 topic: str = "user_messages",
                 catalogue: catalogue_mod.Catalogue | None = None,
                 driver: str = "messaging", timeout: float = 10.0, retry: int = 2) -> None:
        if driver not in VERSIONS:
            raise ValueError(f"driver must be one of {', '.join(VERSIONS)}, not {driver!r}")
        self.catalogue = catalogue or catalogue_mod.sanctioned()
        self.transport, self.publisher_id, self.topic = transport, publisher_id, topic
        self.version, self.timeout, self.retry = VERSIONS[driver], timeout, retry
        self._validator = Validator(self.catalogue, ttl=86400, max_clock_skew=300)
        self._pending = threading.BoundedSemaphore(MAX_PENDING)

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
             parent: UserMessage | None = None, timeout: float | None = None,
             **fields: Any) -> UserMessage:
        """Check, then publish with the priority matching the entry's level.

        The returned message's ``id`` is the one herald will store. Pass the
        message as ``parent`` of the events it causes: they then carry both
        its id and its tree's root, so the tree is right whatever order
        they reach herald in.

        Raises ``InvalidNotification`` (nothing sent) if the catalogue
        refuses it, :class:`EmitError` if the transport did not take it, and
        :class:`EmitTimeout` if it did not say within ``timeout`` seconds
        (default: the emitter's).
        """
        if parent is not None:
            fields.setdefault("parent_id", parent.id)
            if parent.root_id is not None:
                fields.setdefault("root_id", parent.root_id)
        fields.setdefault("id", new_id())
        payload = self.payload(event_id, params, **fields)
        message = self.check(context, payload)
        priority = catalogue_mod.PRIORITY[message.message_level]
        wire = {"message_id": message.id, "publisher_id": self.publisher_id,
                "event_type": EVENT_TYPE, "priority": priority.upper(), "payload": payload,
                "timestamp": str(timeutils.utcnow())}
        self._send(wire, f"{self.topic}.{priority}", self.sent_context(context), message,
                   self.timeout if timeout is None else timeout)
        return message

    def _send(self, wire: dict[str, Any], topic: str, context: dict[str, Any],
              message: UserMessage, wait: float) -> None:
        """Through the transport's own driver (``_send_notification`` raises
        where a Notifier would log and carry on), in a daemon thread, so that
        the caller's wait is bounded even when the driver blocks (an
        unreachable host, a broker blocking publishers) and a stuck send
        never holds the process at exit."""
        if not self._pending.acquire(blocking=False):
            raise EmitTimeout(f"not published: {MAX_PENDING} earlier messages are still "
                              "waiting for the message transport", message)
        done, failure = threading.Event(), []

        def send() -> None:
            try:
                self.transport._send_notification(oslo_messaging.Target(topic=topic), context,
                                                  wire, version=self.version, retry=self.retry)
            except Exception as exc:
                failure.append(exc)
            finally:
                self._pending.release()
                done.set()

        threading.Thread(target=send, name="herald-emit", daemon=True).start()
        if not done.wait(wait):
            raise EmitTimeout(f"not confirmed within {wait:g} s: the message transport "
                              "neither took nor refused it", message)
        if failure:
            exc = failure[0]
            raise EmitError(f"not published: {type(exc).__name__}: {exc}", message) from exc
