"""Make untrusted fragments safe to put in logs and rejection reasons.

Rejection reasons are stored and logged, so a value quoted in one must not
carry CR/LF (forged log lines), escape sequences or markup. Only a short,
allow-listed excerpt is ever quoted.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:@/+=,-]")


def excerpt(value: Any, limit: int = 40) -> str:
    """A quoted, ASCII-only, bounded rendering of an untrusted value.

    Characters outside a small allow-list become ``?``; the result is always
    wrapped in single quotes and marked when cut, so an operator can tell
    the excerpt from herald's own words.
    """
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    cut = len(value) > limit
    text = _UNSAFE.sub("?", value[:limit])
    return f"'{text}'" + ("..." if cut else "")
