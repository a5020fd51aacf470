"""Failures nobody explains yet: ERROR notifications no rule maps.

On the shared topics, a notification no rule maps is routine traffic and is
only counted, but one sent at ERROR (or CRITICAL) priority is a failure
users are not told about. Each batch's such notifications are tallied by
event type and publishing service (``scheduler`` of ``scheduler.ctrl-1``,
``nova-compute`` of ``nova-compute:host``), with the latest one kept as a
sample for operators: ``herald-manage mapping unmapped`` lists them by
count, and a sample fed to ``herald-manage mapping try`` is where a new
rule starts.

Both are bounded: a worker tracks at most :data:`MAX_KINDS` kinds (then
``other``), kinds are plain identifiers (else ``invalid``), and a sample is
the notification in oslo's 1.0 form with every value under a key that names
a secret (``auth_token``...) replaced, capped in size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from collector import patterns
from collector.model import Notification, Unmapped, utcnow

#: distinct (event type, service) pairs one worker tracks: metric labels and rows
MAX_KINDS = 200
OTHER = ("other", "other")
PRIORITIES = frozenset({"ERROR", "CRITICAL"})
_SECRET = re.compile(r"token|password|passwd|secret|credential|private_key|auth_key",
                     re.IGNORECASE)
_SERVICE_END = re.compile(r"[.:]")
REDACTED = "<redacted>"


class UnmappedLog(Protocol):
    """Where the tally is kept for operators (``storage``)."""

    def record_unmapped(self, records: Sequence[Unmapped]) -> None: ...


def is_failure(n: Notification) -> bool:
    return type(n.priority) is str and n.priority.upper() in PRIORITIES


def service(publisher_id: Any) -> str:
    """The publishing service: ``publisher_id`` up to its first ``.`` or ``:``."""
    if type(publisher_id) is not str:
        return "unknown"
    name = _SERVICE_END.split(publisher_id, maxsplit=1)[0]
    return name if patterns.fits(patterns.IDENTIFIER, name, 64) else "invalid"


def event_type(value: Any) -> str:
    return value if patterns.fits(patterns.IDENTIFIER, value, 255) else "invalid"


def redacted(value: Any) -> Any:
    """``value`` with everything under a secret-naming key replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and _SECRET.search(k) else redacted(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def sample(n: Notification, cap: int) -> tuple[bytes, int]:
    """(the notification as oslo sends it in format 1.0, secrets removed and
    capped at ``cap`` bytes; its full size). Only the context keys herald
    reads were kept from the context (collector.envelope), none a secret."""
    message = {"message_id": n.message_id, "publisher_id": n.publisher_id,
               "event_type": n.event_type, "priority": n.priority, "timestamp": n.timestamp,
               "payload": redacted(n.payload),
               **{f"_context_{k}": v for k, v in redacted(n.context).items()}}
    body = json.dumps(message, default=str, sort_keys=True).encode()
    return body[:cap], len(body)


class Tally:
    """One worker's kinds seen so far (for the bound) and a batch's counts."""

    def __init__(self, sample_cap: int) -> None:
        self.sample_cap = sample_cap
        self._kinds: set[tuple[str, str]] = set()

    def kind(self, n: Notification) -> tuple[str, str]:
        key = (event_type(n.event_type), service(n.publisher_id))
        if key not in self._kinds:
            if len(self._kinds) >= MAX_KINDS:
                return OTHER
            self._kinds.add(key)
        return key

    def batch(self, notifications: Sequence[Notification]) -> list[Unmapped]:
        """One record per kind: its count in the batch and its latest sample."""
        now = utcnow()
        counts: dict[tuple[str, str], int] = {}
        latest: dict[tuple[str, str], Notification] = {}
        for n in notifications:
            key = self.kind(n)
            counts[key] = counts.get(key, 0) + 1
            latest[key] = n
        return [Unmapped(key[0], key[1], count, now, *sample(latest[key], self.sample_cap))
                for key, count in counts.items()]
