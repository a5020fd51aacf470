"""Microversions, as Cinder's v3 API speaks them.

``OpenStack-API-Version: volume 3.N`` (or ``latest``) selects the version;
the response says which one was used and that it varies with the header.
Cinder treats a request without the header as 3.0, where messages do not
exist (404): openstacksdk and ``openstack volume message list`` send no
header unless configured. herald is lenient there: no header means the
latest version (docs/api.md).
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


def parse(headers: Mapping[str, str]) -> Version:
    """The version a request asks for (the latest when it asks none)."""
    raw = headers.get(HEADER)
    if raw is not None:  # "volume 3.5"; other services' entries are not ours
        entries = [e.strip().split(None, 1) for e in raw.split(",")]
        mine = [e[1].strip() if len(e) == 2 else "" for e in entries
                if e and e[0].lower() == SERVICE]
        if not mine:
            return LATEST
        value = mine[0]
    else:
        legacy = headers.get(LEGACY_HEADER)
        if legacy is None:
            return LATEST
        value = legacy.strip()
    if value.lower() == "latest":
        return LATEST
    m = _VERSION.fullmatch(value)
    if m is None:
        raise VersionError(f"invalid microversion {value[:20]!r}: 3.N or latest", 400)
    version = Version(int(m.group(1)), int(m.group(2)))
    if not Version(*MIN) <= version <= LATEST:
        raise VersionError(f"version {version} is not supported: {MIN[0]}.{MIN[1]} to "
                           f"{LATEST}", 406)
    return version
