"""The shapes of the identifiers herald accepts: one definition of each.

Identifiers are what services put in the fields that reach columns and logs
(keystone ids, request ids, resource ids, publisher ids): ASCII letters,
digits and ``. _ : @ -``. Lengths are checked separately, by each caller,
because each column has its own.
"""

from __future__ import annotations

import re
from typing import Any

_CHARS = "A-Za-z0-9._:@"  # and "-", last in each class
#: an identifier: starts with a letter or a digit
IDENTIFIER = re.compile(rf"[A-Za-z0-9][{_CHARS}-]*", re.ASCII)
#: a publisher_id (``volume.host-a@lvm``, ``nova-compute:host``, paths with ``/``)
PUBLISHER = re.compile(rf"[A-Za-z0-9][{_CHARS}/-]*", re.ASCII)
#: oslo's message_id (a UUID from oslo; any identifier characters from others)
MESSAGE_ID = re.compile(rf"[{_CHARS}-]+", re.ASCII)
#: a canonical UUID, any case
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                  re.ASCII | re.IGNORECASE)


def fits(pattern: re.Pattern[str], value: Any, limit: int) -> bool:
    """``value`` is a string of at most ``limit`` characters of this shape."""
    return type(value) is str and len(value) <= limit and pattern.fullmatch(value) is not None
