"""Microversions, as Cinder's v3 API speaks them.

``OpenStack-API-Version: volume 3.N`` (or ``latest``) selects the version;
the response says which one was used and that it varies with the header.
Cinder treats a request without the header as 3.0, where messages do not
exist (404): openstacksdk and ``openstack volume message list`` send no
header unless configured. herald is lenient there: no header means the
latest version (docs/api.md).

At every ``volume`` version a body is exactly what Cinder sends: Tempest
validates it with ``additionalProperties: false``. herald's event model
(``event_type``, ``count``, ``root_id``...) is an opt-in no Cinder client
sends: herald's own service in the same header, ``user-messages 1.0``
(alone, or beside a ``volume`` version: ``volume 3.5, user-messages 1.0``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

SERVICE = "volume"
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Volume-API-Version"
MIN = (3, 0)
MAX = (3, 71)
#: messages exist from 3.3; filters, sort and pagination are read from 3.5
#: (Cinder's routes without a project id exist from 3.67; herald's at any
#: version from 3.3, scoped to the caller's project like the others)
MESSAGES = (3, 3)
QUERY = (3, 5)
_VERSION = re.compile(r"(\d+)\.(\d+)")
#: herald's own microversions: the event model's keys in every message
HERALD_SERVICE = "user-messages"
HERALD_MIN = HERALD_MAX = (1, 0)


class VersionError(ValueError):
    """406 (out of range) or 400 (unreadable)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, version: tuple[int, int]) -> bool:
        return (self.major, self.minor) >= version


LATEST = Version(*MAX)


HERALD_LATEST = Version(*HERALD_MAX)


def _entry(raw: str | None, service: str) -> str | None:
    """The version ``service`` is given in an ``OpenStack-API-Version``
    header ("volume 3.5, user-messages 1.0"), or None."""
    if raw is None:
        return None
    entries = [e.strip().split(None, 1) for e in raw.split(",")]
    mine = [e[1].strip() if len(e) == 2 else "" for e in entries
            if e and e[0].lower() == service]
    return mine[0] if mine else None


def _version(value: str, low: tuple[int, int], high: Version) -> Version:
    if value.lower() == "latest":
        return high
    m = _VERSION.fullmatch(value)
    if m is None:
        raise VersionError(f"invalid microversion {value[:20]!r}: "
                           f"{low[0]}.N or latest", 400)
    version = Version(int(m.group(1)), int(m.group(2)))
    if not Version(*low) <= version <= high:
        raise VersionError(f"version {version} is not supported: {low[0]}.{low[1]} to "
                           f"{high}", 406)
    return version


def parse(headers: Mapping[str, str]) -> Version:
    """The volume version a request asks for (the latest when it asks none)."""
    value = _entry(headers.get(HEADER), SERVICE)
    if value is None:
        if HEADER in headers:  # other services' entries are not ours
            return LATEST
        legacy = headers.get(LEGACY_HEADER)
        if legacy is None:
            return LATEST
        value = legacy.strip()
    return _version(value, MIN, LATEST)


def parse_herald(headers: Mapping[str, str]) -> Version | None:
    """herald's own version (``user-messages 1.0``), None when the request
    does not opt in to the event model's keys (no Cinder client does)."""
    value = _entry(headers.get(HEADER), HERALD_SERVICE)
    return None if value is None else _version(value, HERALD_MIN, HERALD_LATEST)
