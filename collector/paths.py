"""Field paths into a notification, compiled once when the rules load.

The notation is JSONPath's dotted subset, as Ceilometer's
``event_definitions.yaml`` uses it: ``payload.volume_properties.size``,
``ctxt.project_id``, ``payload.'nova_object.data'.fault`` (quote a key that
holds a dot), ``payload.block_devices[0].volume_id``. Filters, wildcards and
recursive descent are not supported: a rule names one place, and reading it
is a handful of dictionary lookups instead of a JSONPath interpreter run.

Roots: ``payload``, ``ctxt`` (the context keys herald reads, see
:data:`collector.envelope.CONTEXT_KEYS`), ``publisher_id``, ``event_type``,
``priority``, ``timestamp``, ``message_id``, and ``exception`` (the class
name a rule extracts from its ``exception`` fields).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from collector.model import Notification

ROOTS = ("payload", "ctxt", "publisher_id", "event_type", "priority", "timestamp",
         "message_id", "exception")
_TOKEN = re.compile(r"""\.(?:([A-Za-z0-9_-]+)|'([^']+)'|"([^"]+)")|\[(\d+)\]""")
_ROOT = re.compile(r"[a-z_]+")


class PathError(ValueError):
    """A path that cannot be compiled (the reason is in the message)."""


Reader = Callable[[Notification, Any], Any]


def _root_reader(root: str) -> Reader:
    if root == "payload":
        return lambda n, exc: n.payload
    if root == "ctxt":
        return lambda n, exc: n.context
    if root == "exception":
        return lambda n, exc: exc
    return lambda n, exc: getattr(n, root)


class Path:
    """A compiled path; ``read(n, exception)`` returns the value or None."""

    __slots__ = ("_root", "_steps", "last", "root", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise PathError(f"a path must be a string, not {type(text).__name__}")
        m = _ROOT.match(text)
        if m is None or m.group() not in ROOTS:
            raise PathError(f"path {text!r} must start with one of {', '.join(ROOTS)}")
        steps: list[str | int] = []
        pos = m.end()
        while pos < len(text):
            t = _TOKEN.match(text, pos)
            if t is None:
                raise PathError(f"path {text!r}: cannot read from character {pos + 1} "
                                "(use .key, .'key.with.dots' or [index])")
            key, single, double, index = t.groups()
            steps.append(int(index) if index is not None else (key or single or double))
            pos = t.end()
        self.text = text
        self.root = m.group()
        if steps and self.root not in ("payload", "ctxt"):
            raise PathError(f"path {text!r}: {self.root} is a single value")
        self._root = _root_reader(self.root)
        self._steps = tuple(steps)
        #: the last key named (what the value is called), for free-text checks
        self.last = next((s for s in reversed(steps) if isinstance(s, str)), self.root)

    def read(self, n: Notification, exception: str | None = None) -> Any:
        value = self._root(n, exception)
        for step in self._steps:
            if type(step) is int:
                if type(value) is not list or step >= len(value):
                    return None
            elif type(value) is not dict:
                return None
            else:
                value = value.get(step)
                continue
            value = value[step]
        return value

    def names(self) -> tuple[str, ...]:
        """Every key along the path (for free-text checks)."""
        return (self.root,) + tuple(s for s in self._steps if isinstance(s, str))

    def __repr__(self) -> str:
        return f"Path({self.text!r})"
