"""Values a mapping rule reads from a notification: paths, constants, maps.

A value spec is written the way Ceilometer's trait definitions are:

* ``payload.volume_id`` -- one path;
* ``[payload.volume_properties.project_id, ctxt.project_id]`` -- the first
  path that holds a value (not null);
* ``{value: create}`` -- a constant;
* ``{fields: <path or list>, plugin: {name: map, parameters: {values:
  {PATTERN: RESULT, ...}, default: RESULT, case_sensitive: true}}}`` --
  the value looked up in a table whose keys are exact values or globs
  (``*LimitExceeded``), first match in the order written; without a match,
  ``default`` (or no value).

Free text (exception messages, reasons, tracebacks, host names) may be read
only to *select* something -- through a map, or as the value of a choice
parameter -- never copied: :attr:`Spec.free_text` tells the rule checker.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from collector.paths import Path, PathError

#: keys whose values are free text or name hosts; reading them can only select
FREE_TEXT = frozenset({
    "exception", "exception_message", "traceback", "message", "reason", "fail_reason",
    "fault", "details", "detail", "error", "error_message", "msg", "host", "node",
    "hostname", "publisher_id", "function_name", "module_name",
})
_SPEC_KEYS = {"fields", "value", "plugin"}


class SpecError(ValueError):
    """A value spec that cannot work (the reason is in the message)."""


class MapPlugin:
    """Ceilometer's ``map`` trait plugin: exact keys first, then globs."""

    def __init__(self, parameters: Any) -> None:
        if not isinstance(parameters, dict) or not isinstance(parameters.get("values"), dict):
            raise SpecError("the map plugin needs parameters: {values: {...}}")
        unknown = set(parameters) - {"values", "default", "case_sensitive"}
        if unknown:
            raise SpecError(f"the map plugin has no parameter {', '.join(sorted(unknown))}")
        self.case_sensitive = parameters.get("case_sensitive", True)
        if not isinstance(self.case_sensitive, bool):
            raise SpecError("map case_sensitive must be true or false")
        self.default = parameters.get("default")
        self.values: dict[str, Any] = {}
        self._exact: dict[str, Any] = {}
        self._globs: list[tuple[re.Pattern[str], Any]] = []
        for key, result in parameters["values"].items():
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise SpecError(f"map key {key!r} must be a string or an integer")
            pattern = self._fold(str(key))
            self.values[str(key)] = result
            if any(c in pattern for c in "*?["):
                flags = 0 if self.case_sensitive else re.IGNORECASE
                self._globs.append((re.compile(fnmatch.translate(pattern), flags), result))
            else:
                self._exact.setdefault(pattern, result)

    def _fold(self, text: str) -> str:
        return text if self.case_sensitive else text.lower()

    def __call__(self, value: Any) -> Any:
        if type(value) in (int, bool):
            value = str(value).lower() if type(value) is bool else str(value)
        if type(value) is not str:
            return self.default
        key = self._fold(value)
        if key in self._exact:
            return self._exact[key]
        for pattern, result in self._globs:
            if pattern.match(value):
                return result
        return self.default

    def results(self) -> list[Any]:
        out = list(self.values.values())
        return out + ([self.default] if self.default is not None else [])


class Spec:
    """One compiled value spec."""

    __slots__ = ("constant", "mapper", "paths", "text")

    def __init__(self, raw: Any) -> None:
        self.paths: tuple[Path, ...] = ()
        self.constant: Any = None
        self.mapper: MapPlugin | None = None
        if isinstance(raw, dict):
            unknown = set(raw) - _SPEC_KEYS
            if unknown:
                raise SpecError(f"unknown key {', '.join(sorted(map(str, unknown)))} (a value "
                                "is a path, a list of paths, {value: ...} or {fields: ..., "
                                "plugin: ...})")
            if ("fields" in raw) == ("value" in raw):
                raise SpecError("give exactly one of fields and value")
            if "value" in raw:
                if "plugin" in raw:
                    raise SpecError("a constant value takes no plugin")
                if not isinstance(raw["value"], str | int) or isinstance(raw["value"], bool):
                    raise SpecError("a constant value must be a string or an integer")
                self.constant = raw["value"]
            else:
                self.paths = _paths(raw["fields"])
                if "plugin" in raw:
                    self.mapper = _plugin(raw["plugin"])
        else:
            self.paths = _paths(raw)
        self.text = _describe(raw)

    def evaluate(self, n: Any, exception: str | None = None) -> Any:
        value = self.constant
        for path in self.paths:
            value = path.read(n, exception)
            if value is not None:
                break
        return value if self.mapper is None else self.mapper(value)

    @property
    def free_text(self) -> bool:
        """True when a path reads free text and no map stands in between."""
        return self.mapper is None and any(
            FREE_TEXT.intersection(p.names()) for p in self.paths)

    @property
    def reads_exception(self) -> bool:
        return any(p.root == "exception" for p in self.paths)

    def closed_outputs(self) -> list[Any] | None:
        """Every value this spec can produce, when known at load time."""
        if not self.paths:
            return [self.constant]
        if self.mapper is not None:
            return self.mapper.results()
        return None


def _paths(raw: Any) -> tuple[Path, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise SpecError("an empty list of fields")
    try:
        return tuple(Path(p) for p in items)
    except PathError as exc:
        raise SpecError(str(exc)) from None


def _plugin(raw: Any) -> MapPlugin:
    if not isinstance(raw, dict) or raw.get("name") != "map" or set(raw) - {"name",
                                                                           "parameters"}:
        raise SpecError("the only plugin is {name: map, parameters: {values: ..., default: "
                        "...}}")
    return MapPlugin(raw.get("parameters"))


def _describe(raw: Any) -> str:
    """A short, stable rendering for the generated docs."""
    if isinstance(raw, str):
        return f"`{raw}`"
    if isinstance(raw, list):
        return " or ".join(f"`{p}`" for p in raw)
    if "value" in raw:
        return f"`{raw['value']}`"
    text = _describe(raw["fields"])
    if "plugin" in raw:
        params = raw["plugin"].get("parameters") or {}
        pairs = [f"{k} → {v}" for k, v in (params.get("values") or {}).items()]
        if params.get("default") is not None:
            pairs.append(f"otherwise {params['default']}")
        text += " mapped: " + "; ".join(pairs)
    return text


def compile_specs(raw: Mapping[str, Any], what: str) -> dict[str, Spec]:
    if not isinstance(raw, dict):
        raise SpecError(f"{what} must be a mapping of name to value")
    out = {}
    for name, spec in raw.items():
        try:
            out[str(name)] = Spec(spec)
        except SpecError as exc:
            raise SpecError(f"{what}.{name}: {exc}") from None
    return out
