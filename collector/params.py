"""Typed template parameters: the only way untrusted values reach user text.

Each type checks a value taken from a notification and returns the exact
text substituted into the template. The checks are allow-lists (a charset,
a range, a fixed set), so markup, format directives (``{``, ``$``, ``%``),
control characters, CR/LF and bidi overrides never pass. Error reasons name
the expected type and never echo the value: they are logged and stored.
"""

from __future__ import annotations

import abc
import datetime
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from collector import patterns

__all__ = ["Choice", "Identifier", "Integer", "Name", "ParamError", "ParamType", "Timestamp",
           "UUID"]


class ParamError(ValueError):
    """A value does not fit its declared type (reason is safe to log)."""


def _type_name(value: Any) -> str:
    return type(value).__name__


class ParamType(abc.ABC):
    """Base class of parameter types."""

    @abc.abstractmethod
    def check(self, value: Any) -> str:
        """Return the text to substitute, or raise :class:`ParamError`."""

    @property
    @abc.abstractmethod
    def spec(self) -> str:
        """Compact, stable description, e.g. ``integer[1..1024]``."""

    @property
    @abc.abstractmethod
    def max_length(self) -> int:
        """Longest text :meth:`check` can return (bounds rendered messages)."""

    @abc.abstractmethod
    def example(self) -> Any:
        """A value that passes :meth:`check` (docs, samples, smoke tests)."""

    def __repr__(self) -> str:
        return f"<{self.spec}>"


class Integer(ParamType):
    def __init__(self, min: int = 0, max: int = 2**31 - 1) -> None:
        if min > max:
            raise ValueError("min > max")
        self.min, self.max = min, max

    def check(self, value: Any) -> str:
        if type(value) is not int:  # bool is an int subclass: refuse it too
            raise ParamError(f"expected an integer, got {_type_name(value)}")
        if not self.min <= value <= self.max:
            raise ParamError(f"integer out of range {self.min}..{self.max}")
        return str(value)

    @property
    def spec(self) -> str:
        return f"integer[{self.min}..{self.max}]"

    def example(self) -> int:
        return min(max(self.min, 10), self.max)

    @property
    def max_length(self) -> int:
        return max(len(str(self.min)), len(str(self.max)))




class Timestamp(ParamType):
    """A moment in UTC (a ``datetime`` or an ISO 8601 string), rendered to
    the minute: ``2026-12-05 21:40 UTC``."""

    def check(self, value: Any) -> str:
        if type(value) is str:
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise ParamError("expected an ISO 8601 date and time") from None
        if not isinstance(value, datetime.datetime):
            raise ParamError(f"expected a date and time, got {_type_name(value)}")
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        text: str = value.strftime("%Y-%m-%d %H:%M UTC")
        return text

    @property
    def spec(self) -> str:
        return "timestamp"

    def example(self) -> str:
        return "2026-12-05T21:40:00"

    @property
    def max_length(self) -> int:
        return 20


class UUID(ParamType):
    def check(self, value: Any) -> str:
        if type(value) is not str:
            raise ParamError(f"expected a UUID string, got {_type_name(value)}")
        if len(value) != 36 or patterns.UUID.fullmatch(value) is None:
            raise ParamError("expected a canonical UUID (8-4-4-4-12 hex digits)")
        return value.lower()

    @property
    def spec(self) -> str:
        return "uuid"

    def example(self) -> str:
        return "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"

    @property
    def max_length(self) -> int:
        return 36


class _BoundedString(ParamType):
    pattern: re.Pattern[str]
    kind: str
    charset: str
    sample: str

    def __init__(self, max_length: int = 64, sample: str | None = None) -> None:
        """``sample``: the example the docs show (the type's own by default)."""
        if not 1 <= max_length <= 255:
            raise ValueError("max_length must be 1..255")
        self._max = max_length
        if sample is not None:
            self.check(sample)  # raises ParamError for a sample that does not fit
            self.sample = sample

    def check(self, value: Any) -> str:
        if type(value) is not str:
            raise ParamError(f"expected a string, got {_type_name(value)}")
        if not value:
            raise ParamError("empty string")
        if len(value) > self._max:
            raise ParamError(f"longer than {self._max} characters")
        if self.pattern.fullmatch(value) is None:
            raise ParamError(f"characters outside the allowed set ({self.charset})")
        return value

    @property
    def spec(self) -> str:
        return f"{self.kind}[{self._max}]"

    def example(self) -> str:
        return self.sample[: self._max]

    @property
    def max_length(self) -> int:
        return self._max


class Identifier(_BoundedString):
    """Machine identifiers: names of types, hosts-free ids, back-end names."""

    kind = "identifier"
    sample = "standard"
    charset = "A-Z a-z 0-9 . _ : @ -, starting with a letter or digit"
    pattern = patterns.IDENTIFIER


class Name(_BoundedString):
    """Names users gave their resources, echoed back to the same project.

    Letters and digits of any script, single spaces and a few punctuation
    marks; no quotes, brackets, markup or format characters.
    """

    kind = "name"
    sample = "web server 1"
    charset = "letters, digits, single spaces and . _ : @ ( ) + , # -"
    # \w is Unicode-aware (letters, digits, underscore of any script) and
    # excludes control and format (Cf: bidi overrides, zero-width) characters.
    pattern = re.compile(r"[\w.:@()+,#-]+(?: [\w.:@()+,#-]+)*")

    def check(self, value: Any) -> str:
        if type(value) is str:
            # Clients send decomposed accents (e + U+0301); compose them so
            # the allow-list sees letters, not combining marks.
            value = unicodedata.normalize("NFC", value)
        return super().check(value)


class Choice(ParamType):
    """A fixed set of values, each rendered as a sanctioned phrase.

    The phrase, not the value, reaches the user; phrases live in the
    catalogue module and are checked by the same rules as templates.
    """

    def __init__(self, phrases: Mapping[str, str]) -> None:
        if not phrases:
            raise ValueError("a Choice needs at least one value")
        self.phrases = dict(phrases)

    def check(self, value: Any) -> str:
        if type(value) is not str:
            raise ParamError(
                f"expected one of {len(self.phrases)} values, got {_type_name(value)}"
            )
        try:
            return self.phrases[value]
        except KeyError:
            raise ParamError(
                "not one of the allowed values: " + ", ".join(sorted(self.phrases))
            ) from None

    @property
    def spec(self) -> str:
        return "choice[" + "|".join(sorted(self.phrases)) + "]"

    def example(self) -> str:
        return next(iter(self.phrases))  # the first declared: the most common case

    @property
    def max_length(self) -> int:
        return max(len(p) for p in self.phrases.values())
