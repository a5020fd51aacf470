"""The values that travel through the collector, from intake to storage.

Plain slotted dataclasses: cheap to build per message, and typed so that
dispatcher plugins have a documented shape to read.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any


@dataclasses.dataclass(slots=True)
class Notification:
    """A decoded oslo.messaging notification (wire format 1.0 or 2.0).

    ``context`` holds only the context keys herald reads (see
    :data:`collector.envelope.CONTEXT_KEYS`), without the ``_context_``
    prefix.
    """

    message_id: str
    publisher_id: str | None
    event_type: str | None
    priority: str | None
    timestamp: str | None
    payload: Any
    context: dict[str, Any]
    #: the mapping rule that produced this payload from a service's own
    #: notification (None: herald's own payload)
    rule: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class StepReport:
    """A notification's ``step`` block: progress of a long operation."""

    name: str            # a key of the catalogue's STEPS
    type: str            # creating, scaling, deleting, upgrading
    completed: int
    total: int
    successful: bool | None


@dataclasses.dataclass(slots=True)
class UserMessage:
    """An accepted notification rendered from the catalogue.

    ``user_message`` is built only from a catalogue template and checked
    parameters. ``publisher_id`` (often a host name), ``session_id`` and
    ``claim`` are kept for operators and must never be shown to users.
    """

    id: str
    message_id: str
    project_id: str
    user_id: str | None
    request_id: str | None
    event_id: str
    resource_type: str
    resource_uuid: str | None
    message_level: str
    user_message: str
    publisher_id: str | None
    created_at: datetime.datetime
    expires_at: datetime.datetime
    event_type: str | None = None
    category: str | None = None
    parent_id: str | None = None
    #: None until resolved: the parent's root, the parent, or the message itself
    root_id: str | None = None
    session_id: str | None = None
    claim: str | None = None
    #: provision_steps.id, set by the database dispatcher when ``step`` is
    step_id: str | None = None
    #: repeats folded into this message, and when the last one arrived
    count: int = 1
    last_seen_at: datetime.datetime | None = None
    #: the entry's validated parameters as JSON (the values as given, each of
    #: which passed its type's check): herald-api renders the text from them
    params: str | None = None
    #: not stored as such: the progress report the message carried
    step: StepReport | None = None


@dataclasses.dataclass(slots=True)
class Rejection:
    """Why a notification was quarantined, with what identifies it.

    ``dedupe_key`` is the notification's ``message_id`` when it could be
    read, else a hash of the raw body: a redelivered rejection never makes a
    second row. ``raw_body`` is capped; ``raw_size`` is the original size.
    """

    dedupe_key: str
    code: str
    detail: str
    message_id: str | None
    event_id: str | None
    project_id: str | None
    publisher_id: str | None
    event_type: str | None
    received_at: datetime.datetime
    raw_body: bytes
    raw_size: int


@dataclasses.dataclass(slots=True)
class Unmapped:
    """ERROR notifications of one kind that no rule maps: failures users are
    not told about. ``sample`` is the latest one (secrets removed, capped)."""

    event_type: str
    service: str
    count: int
    last_seen: datetime.datetime
    sample: bytes
    sample_size: int


class Outcome(enum.Enum):
    """What became of one delivery; everything but RETRY is acknowledged."""

    STORED = "stored"
    REJECTED = "rejected"
    FILTERED = "filtered"
    #: routine traffic no rule maps (not herald's own payload): counted only
    IGNORED = "ignored"
    RETRY = "retry"


def utcnow() -> datetime.datetime:
    """Naive UTC, the convention of every timestamp column."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@dataclasses.dataclass(slots=True)
class Inbound:
    """One delivery as an intake hands it to the pipeline.

    Exactly one of ``body`` (raw AMQP body, decoded by herald; ``str`` when
    the AMQP client already decoded its declared content encoding) and
    ``decoded`` (a message already decoded by oslo.messaging) is set.
    """

    body: bytes | str | None = None
    decoded: dict[str, Any] | None = None
    priority: str | None = None
    redelivered: bool = False
    #: it came on one of herald's own topics ([listener] topics), which carry
    #: nothing but notifications meant for herald: what no rule maps there is
    #: a service's bug (quarantined), not routine traffic
    own_topic: bool = False
