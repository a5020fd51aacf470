"""Turn a decoded notification into a user message, or say exactly why not.

A pure function of (catalogue, notification, receive time): no broker, no
database, no clock of its own. Every field that reaches the ``messages``
table is checked here against an allow-list, because the read API serves
those columns to users as they are.
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

import orjson
from oslo_config import cfg

from collector import patterns, resources
from collector.catalogue import STEP_TYPES, Catalogue, Entry
from collector.envelope import CONTEXT_FALLBACKS
from collector.exceptions import InvalidNotification
from collector.model import Notification, StepReport, UserMessage
from collector.params import ParamError
from collector.sanitise import excerpt

OPTS = [
    cfg.IntOpt(
        "message_ttl",
        default=30 * 86400,
        min=60,
        help="Seconds a user message lives after its creation time; its "
        "``expires_at`` is set to ``created_at + message_ttl`` and the reaper "
        "deletes it afterwards. A notification older than this on arrival is "
        "rejected (code ``bad_timestamp``) instead of being stored already "
        "expired.",
    ),
    cfg.IntOpt(
        "max_clock_skew",
        default=300,
        min=0,
        help="Seconds a notification's timestamp may be ahead of this host's "
        "clock. Further in the future it is rejected (``bad_timestamp``): it "
        "would sort above every real message until it expired.",
    ),
]

# Identifiers copied into user-visible columns (keystone ids, request ids
# ``req-<uuid>``, resource ids): no spaces, quotes, markup or controls.
_FIELD_LIMITS = {"project_id": 64, "user_id": 64, "request_id": 128, "resource_uuid": 64}


def _uuid_field(payload: dict[str, Any], name: str) -> str | None:
    """An optional message id given by the emitter (its own id, so that it
    can name it as the parent of later events): a canonical UUID."""
    value: str | None = payload[name]
    if value is None:
        return None
    if not patterns.fits(patterns.UUID, value, 36):
        raise InvalidNotification("bad_field", f"{name} {excerpt(value)} is not a UUID")
    return value.lower()


def _operator_only(value: Any, limit: int,
                   pattern: re.Pattern[str] = patterns.IDENTIFIER) -> str | None:
    """Identifiers kept for operators: stored when plain, else not."""
    return value if patterns.fits(pattern, value, limit) else None


def _tree(payload: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(id, parent_id, root_id): the event-model fields, all optional (and
    absent from most notifications, which then cost nothing here)."""
    message_id = (_uuid_field(payload, "id") if "id" in payload else None) or new_id()
    parent_id = _uuid_field(payload, "parent_id") if "parent_id" in payload else None
    root_id = _uuid_field(payload, "root_id") if "root_id" in payload else None
    if root_id is None and parent_id is None:
        root_id = message_id  # the first event of its own chain
    return message_id, parent_id, root_id


def new_id() -> str:
    """A random (version 4) UUID string, as ``str(uuid.uuid4())`` but with
    one urandom call and no UUID object: it is made for every message."""
    h = os.urandom(16).hex()
    return (f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"
            f"{h[20:]}")


def _field(n: Notification, name: str) -> str | None:
    """A payload field, else its context fallback; checked when present."""
    value = n.payload.get(name)
    if value is None:
        context = n.context
        for key in CONTEXT_FALLBACKS[name]:
            value = context.get(key)
            if value is not None:
                break
        else:
            return None
    limit = _FIELD_LIMITS[name]
    if not patterns.fits(patterns.IDENTIFIER, value, limit):
        raise InvalidNotification(
            "bad_field",
            f"{name} {excerpt(value)} is not an identifier of at most {limit} characters "
            "(A-Z a-z 0-9 . _ : @ -)",
        )
    return str(value)


def parse_timestamp(value: Any) -> datetime.datetime:
    """oslo sends ``str(naive UTC datetime)``; accept ISO 8601 with an offset."""
    if type(value) is not str or len(value) > 40:
        raise InvalidNotification("bad_timestamp", f"timestamp {excerpt(value)} is not a string")
    try:
        ts = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidNotification(
            "bad_timestamp", f"timestamp {excerpt(value)} is not ISO 8601"
        ) from None
    if ts.tzinfo is not None:
        ts = ts.astimezone(datetime.UTC).replace(tzinfo=None)
    return ts


class Validator:
    """Checks notifications against one catalogue."""

    def __init__(self, catalogue: Catalogue, ttl: int, max_clock_skew: int) -> None:
        self.catalogue = catalogue
        self.ttl = datetime.timedelta(seconds=ttl)
        self.skew = datetime.timedelta(seconds=max_clock_skew)

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, catalogue: Catalogue) -> Validator:
        return cls(catalogue, conf.collector.message_ttl, conf.collector.max_clock_skew)

    def accept(self, n: Notification, received_at: datetime.datetime, *,
               herald: bool = False) -> UserMessage:
        """The user message ``n`` becomes, or :class:`InvalidNotification`.

        ``herald``: ``n`` is herald's own (the stall watcher's), which alone
        may name herald's own entries; the pipeline never passes it."""
        payload = n.payload
        if type(payload) is not dict:
            raise InvalidNotification("bad_envelope", "payload is not a JSON object")
        entry = self._entry(payload, herald)
        project_id = _field(n, "project_id")
        if project_id is None:
            raise InvalidNotification(
                "missing_field", "no project_id in the payload or the context"
            )
        texts = self._params(entry.event_id, entry.params, payload)
        text = entry.template_for(payload.get("params", {})).render(texts)
        # every value passed its type's check (and params has no other key):
        # herald-api checks them again and renders them when they are read
        params = orjson.dumps(payload.get("params", {}), option=orjson.OPT_SORT_KEYS).decode()
        created_at = self._created_at(n.timestamp, received_at)
        message_id, parent_id, root_id = _tree(payload)
        step = self._step(payload) if "step" in payload else None
        resource_uuid = _field(n, "resource_uuid")
        if step is not None and resource_uuid is None:
            raise InvalidNotification("bad_field", "a step report needs a resource_uuid")
        session, claim = n.context.get("session_id"), n.context.get("active_claim")
        return UserMessage(
            id=message_id,
            message_id=n.message_id,
            project_id=project_id,
            user_id=_field(n, "user_id"),
            # Cinder's messages always name one: herald derives it when none came
            request_id=(_field(n, "request_id")
                        or resources.derived_request_id(n.message_id)),
            event_id=entry.event_id,
            resource_type=entry.resource_type,
            resource_uuid=resource_uuid,
            message_level=entry.level,
            user_message=text,
            params=params,
            # operators only; kept when it is a plain identifier
            publisher_id=_operator_only(n.publisher_id, 255, patterns.PUBLISHER),
            created_at=created_at,
            expires_at=created_at + self.ttl,
            event_type=entry.event_type,
            category=entry.category,
            parent_id=parent_id,
            root_id=root_id,  # None: the pipeline resolves it from the parent
            session_id=None if session is None else _operator_only(session, 128),
            claim=None if claim is None else _operator_only(claim, 255),
            step=step,
            last_seen_at=created_at,
        )

    def _entry(self, payload: dict[str, Any], herald: bool = False) -> Entry:
        """The catalogue entry the payload names (and, if it says one, of
        the resource type it says)."""
        event_id = payload.get("event_id")
        if event_id is None or event_id == "":
            raise InvalidNotification("missing_field", "payload has no event_id")
        entry = self.catalogue.get(event_id) if type(event_id) is str else None
        if entry is None:
            raise InvalidNotification(
                "unknown_event_id", f"event_id {excerpt(event_id)} is not in the catalogue"
            )
        if entry.herald_only and not herald:
            # herald's own texts (the broker outage banner): a service never
            # speaks for herald, so its notification naming one is refused
            raise InvalidNotification(
                "unknown_event_id", f"event_id {entry.event_id} is herald's own and is never "
                "accepted from a notification"
            )
        resource_type = payload.get("resource_type")
        if resource_type is not None and (
            type(resource_type) is not str
            or resources.normalise(resource_type) != entry.resource_type
        ):
            raise InvalidNotification(
                "resource_type_mismatch",
                f"resource_type {excerpt(resource_type)} is not {entry.resource_type!r} "
                f"as catalogued for {entry.event_id}",
            )
        return entry

    def _step(self, payload: dict[str, Any]) -> StepReport:
        """Progress of a long operation: sanctioned step names only."""
        step = payload["step"]
        if type(step) is not dict:
            raise InvalidNotification("bad_field", "step is not a JSON object")
        name, kind = step.get("name"), step.get("type")
        completed, total, ok = step.get("completed"), step.get("total"), step.get("successful")
        if type(name) is not str or name not in self.catalogue.steps:
            raise InvalidNotification("bad_field",
                                      f"step name {excerpt(name)} is not in the catalogue")
        if kind not in STEP_TYPES:
            raise InvalidNotification("bad_field", f"step type {excerpt(kind)} is not one of "
                                                   + ", ".join(STEP_TYPES))
        if (type(completed) is not int or type(total) is not int
                or not 0 <= completed <= total or not 0 < total <= 10**9):
            raise InvalidNotification("bad_field",
                                      "step completed/total must be integers, 0 <= completed "
                                      "<= total, total >= 1")
        if ok is not None and type(ok) is not bool:
            raise InvalidNotification("bad_field", "step successful must be true, false or null")
        return StepReport(name, kind, completed, total, ok)

    @staticmethod
    def _params(event_id: str, declared: Any, payload: dict[str, Any]) -> dict[str, str]:
        given = payload.get("params", {})
        if type(given) is not dict:
            raise InvalidNotification("bad_parameter", "params is not a JSON object")
        if given.keys() != declared.keys():
            missing = sorted(declared.keys() - given.keys())
            extra = sorted(excerpt(k) for k in given.keys() - declared.keys())
            parts = []
            if missing:
                parts.append("missing " + ", ".join(repr(m) for m in missing))
            if extra:
                parts.append("unexpected " + ", ".join(extra[:5]))
            raise InvalidNotification("bad_parameter", f"{event_id}: " + "; ".join(parts))
        texts = {}
        for name, ptype in declared.items():
            try:
                texts[name] = ptype.check(given[name])
            except ParamError as exc:
                raise InvalidNotification(
                    "bad_parameter", f"{event_id}: parameter {name!r}: {exc}"
                ) from None
        return texts

    def _created_at(self, timestamp: Any, received_at: datetime.datetime) -> datetime.datetime:
        if timestamp is None:
            return received_at
        ts = parse_timestamp(timestamp)
        if ts - received_at > self.skew:
            raise InvalidNotification(
                "bad_timestamp",
                f"timestamp is {int((ts - received_at).total_seconds())} s in the future "
                f"(max_clock_skew={int(self.skew.total_seconds())})",
            )
        if received_at - ts > self.ttl:
            raise InvalidNotification(
                "bad_timestamp",
                "timestamp is older than message_ttl: the message would already have expired",
            )
        return ts
