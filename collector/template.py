"""Message templates: ``{name}`` placeholders, compiled once, joined per use.

Rendering is a join of pre-split literal parts and already-checked parameter
texts: nothing is parsed at render time, so a parameter value containing
``{x}``, ``%s`` or ``$x`` is inert text (and the parameter types refuse
those characters anyway). ``str.format`` is never involved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MAX_TEMPLATE_LENGTH = 300
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,31})\}")
_MARKUP = frozenset("<>&`")


def text_problems(text: str, *, allow_placeholders: bool) -> list[str]:
    """Why ``text`` may not be shown to users (empty list: it may).

    Shared by templates and :class:`~collector.params.Choice` phrases so that
    every piece of sanctioned text obeys the same rules.
    """
    problems = []
    if not isinstance(text, str) or not text:
        return ["empty or not a string"]
    if len(text) > MAX_TEMPLATE_LENGTH:
        problems.append(f"longer than {MAX_TEMPLATE_LENGTH} characters")
    if text != text.strip():
        problems.append("leading or trailing whitespace")
    if any(c in _MARKUP for c in text):
        problems.append("markup characters (< > & `) are not allowed")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        problems.append("control or format characters are not allowed")
    stripped = _PLACEHOLDER.sub("", text) if allow_placeholders else text
    if "{" in stripped or "}" in stripped:
        problems.append(
            "braces are only allowed as {placeholder} with a lowercase name"
            if allow_placeholders
            else "braces are not allowed"
        )
    return problems


class Template:
    """A checked, compiled template."""

    __slots__ = ("_first", "_pairs", "names", "text")

    def __init__(self, text: str) -> None:
        problems = text_problems(text, allow_placeholders=True)
        if problems:
            raise ValueError("; ".join(problems))
        self.text = text
        pieces = _PLACEHOLDER.split(text)  # literal, name, literal, name, ...
        self._first = pieces[0]
        self._pairs = tuple(zip(pieces[1::2], pieces[2::2]))
        self.names = frozenset(pieces[1::2])

    def render(self, values: Mapping[str, str]) -> str:
        """Join literals with the texts of ``values`` (already checked)."""
        out = [self._first]
        for name, literal in self._pairs:
            out.append(values[name])
            out.append(literal)
        return "".join(out)

    def literal_length(self) -> int:
        return len(self._first) + sum(len(lit) for _, lit in self._pairs)

    def placeholder_count(self, name: str) -> int:
        return sum(1 for n, _ in self._pairs if n == name)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"
