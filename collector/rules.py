"""Mapping rules: the notifications services already emit, as catalogue messages.

A rules file is a YAML list; each rule matches notifications and says which
catalogue entry they become and where its parameters come from (the format
is documented in docs/mapping.md)::

    - name: cinder.scheduler.extend_volume
      event_type: scheduler.extend_volume        # globs; '!glob' excludes
      priority: error                            # optional
      exception: payload.reason                  # where the exception is
      event_id:
        fields: exception                        # its class name selects
        plugin: {name: map, parameters: {values: {NoValidBackend:
                 VOLUME_NO_VALID_BACKEND}, default: VOLUME_UNKNOWN_ERROR}}
      fields:
        project_id: [payload.volume_properties.project_id, ctxt.project_id]
        resource_uuid: payload.volume_id
      params:
        volume_id: payload.volume_id
        operation: {value: extend}

Loading checks every rule against the catalogue (:mod:`collector.rulecheck`);
a broken rule stops the daemon at start, as a broken catalogue does.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import yaml
from oslo_config import cfg

from collector.exceptions import InvalidNotification, MappingError
from collector.extract import MapPlugin, Spec, SpecError, compile_specs
from collector.model import Notification

SHIPPED_DIR = os.path.join(os.path.dirname(__file__), "shipped_rules")
SHIPPED = ("nova", "cinder", "manila")

OPTS = [
    cfg.ListOpt(
        "shipped_rules",
        default=list(SHIPPED),
        help="Mapping rules shipped with herald to load, by service: nova, cinder, "
        "manila (docs/mapping.md lists every rule). Empty: only herald's own "
        "payload and [mapping] rules_file are understood.",
    ),
    cfg.StrOpt(
        "rules_file",
        help="YAML file of the operator's own mapping rules (docs/mapping.md). "
        "They are tried before the shipped ones; a rule with the name of a "
        "shipped rule replaces it, and ``enabled: false`` switches it off. "
        "Check a file with ``herald-manage mapping check FILE``. An invalid "
        "file stops herald at start-up; on SIGHUP the previous rules are kept "
        "and the error is logged.",
    ),
]

MESSAGE_FIELDS = ("project_id", "resource_uuid", "request_id", "user_id")
_RULE_KEYS = {"name", "description", "enabled", "event_type", "priority", "publisher_id",
              "conditions", "exception", "event_id", "fields", "params"}
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
_CLASS = re.compile(r"\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)*([A-Za-z_][A-Za-z0-9_]{0,99})\s*(?:\(|$)")
# nova's legacy payloads carry an exception that crossed RPC as the repr of
# its serialised dict, the class last: "{'kwargs': ..., 'class': 'NoValidHost_Remote'}"
_SERIALISED = re.compile(r"\{.*'class': '([A-Za-z_][A-Za-z0-9_]{0,99})'\}\s*$", re.DOTALL)
# oslo.messaging re-raises a remote exception as a subclass named <class>_Remote
_REMOTE = "_Remote"


def exception_class(value: Any) -> str | None:
    """The class name of an exception as services send it: ``repr(exc)``
    (``"NoValidBackend('No valid backend...')"``), nova's ExceptionPayload,
    the repr of an exception serialised across RPC (what real nova sends in
    legacy payloads), or a bare class name. An exception re-raised from
    another service (``NoValidHost_Remote``) is its original class. Nothing
    else of the text is kept."""
    if type(value) is dict:
        value = value.get("nova_object.data", value)
        value = value.get("exception") if type(value) is dict else None
    if type(value) is not str:
        return None
    m = _SERIALISED.match(value) or _CLASS.match(value)
    if m is None:
        return None
    name = m.group(1)
    return name[:-len(_REMOTE)] if name.endswith(_REMOTE) and len(name) > len(_REMOTE) else name


def _globs(raw: Any, what: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(g, str) and g for g in items):
        raise SpecError(f"{what} must be a non-empty string or list of strings")
    return tuple(items)


class _Condition:
    """``{fields: ..., matches: glob or [globs]}``: the value must match."""

    def __init__(self, raw: Any) -> None:
        if not isinstance(raw, dict) or set(raw) != {"fields", "matches"}:
            raise SpecError("a condition is {fields: <path or list>, matches: <glob or list>}")
        self.spec = Spec({"fields": raw["fields"]})
        self.test = MapPlugin({"values": dict.fromkeys(_globs(raw["matches"], "matches"), True),
                               "default": False})

    def __call__(self, n: Notification, exc: str | None) -> bool:
        return bool(self.test(self.spec.evaluate(n, exc)))


@dataclasses.dataclass(eq=False)
class Rule:
    """One compiled rule."""

    name: str
    source: str
    description: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    priorities: frozenset[str] | None
    publishers: tuple[str, ...] | None
    conditions: tuple[_Condition, ...]
    exception: Spec | None
    event_id: Spec
    fields: dict[str, Spec]
    params: dict[str, Spec]
    #: event ID -> the parameters its entry declares (set by the checker)
    wanted: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def matches_type(self, event_type: str) -> bool:
        return (any(fnmatch.fnmatchcase(event_type, g) for g in self.include)
                and not any(fnmatch.fnmatchcase(event_type, g) for g in self.exclude))

    def applies(self, n: Notification) -> bool:
        if self.priorities is not None and (n.priority or "").lower() not in self.priorities:
            return False
        if self.publishers is not None and not any(
                fnmatch.fnmatchcase(n.publisher_id or "", g) for g in self.publishers):
            return False
        if self.conditions:
            exc = self._exception(n)
            return all(c(n, exc) for c in self.conditions)
        return True

    def _exception(self, n: Notification) -> str | None:
        return None if self.exception is None else exception_class(self.exception.evaluate(n))

    def _missing(self, what: str, spec: Spec) -> InvalidNotification:
        return InvalidNotification("unmappable", f"rule {self.name}: no value for {what} "
                                                 f"(read from {spec.text})")

    def translate(self, n: Notification) -> Notification:
        """herald's own payload for ``n``, as a notification the validator
        checks like any other; raises ``unmappable`` when a value is missing."""
        exc = self._exception(n)
        event_id = self.event_id.evaluate(n, exc)
        if event_id is None:
            raise self._missing("event_id", self.event_id)
        params = {}
        for name in self.wanted.get(event_id, ()):
            spec = self.params[name]
            value = spec.evaluate(n, exc)
            if value is None:
                raise self._missing(f"parameter {name} of {event_id}", spec)
            params[name] = value
        payload: dict[str, Any] = {"event_id": event_id, "params": params}
        for name, spec in self.fields.items():
            value = spec.evaluate(n, exc)
            if value is not None:
                payload[name] = value
        if "project_id" not in payload:
            raise self._missing("project_id", self.fields["project_id"])
        context: dict[str, Any] = {k: n.context[k] for k in ("session_id", "active_claim")
                                   if k in n.context}
        return Notification(n.message_id, n.publisher_id, n.event_type, n.priority,
                            n.timestamp, payload, context, rule=self.name)


def compile_rule(raw: Any, source: str) -> Rule:
    """One rule from its YAML form; :class:`SpecError` says what is wrong."""
    if not isinstance(raw, dict):
        raise SpecError("a rule must be a mapping")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise SpecError(f"unknown key {', '.join(sorted(map(str, unknown)))}")
    for key in ("event_type", "event_id", "fields"):
        if key not in raw:
            raise SpecError(f"{key} is required")
    types = _globs(raw["event_type"], "event_type")
    priority = raw.get("priority")
    event_id = raw["event_id"]
    return Rule(
        name=raw["name"], source=source, description=str(raw.get("description", "")).strip(),
        include=tuple(t for t in types if not t.startswith("!")) or ("*",),
        exclude=tuple(t[1:] for t in types if t.startswith("!")),
        priorities=None if priority is None else frozenset(
            p.lower() for p in _globs(priority, "priority")),
        publishers=None if "publisher_id" not in raw else _globs(raw["publisher_id"],
                                                                 "publisher_id"),
        conditions=tuple(_Condition(c) for c in _list(raw.get("conditions"), "conditions")),
        exception=None if "exception" not in raw else Spec({"fields": raw["exception"]}),
        event_id=Spec({"value": event_id} if isinstance(event_id, str) else event_id),
        fields=compile_specs(raw["fields"], "fields"),
        params=compile_specs(raw.get("params") or {}, "params"),
    )


def _list(raw: Any, what: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SpecError(f"{what} must be a list")
    return raw


class RuleSet:
    """Rules in the order they are tried; the first that applies wins.

    Which rules can match an event type is worked out once per event type
    (cached), so a notification no rule is about costs one dict lookup.
    """

    CACHE = 4096

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._by_type: dict[str, tuple[Rule, ...]] = {}

    def candidates(self, event_type: str) -> tuple[Rule, ...]:
        found = self._by_type.get(event_type)
        if found is None:
            if len(self._by_type) >= self.CACHE:
                self._by_type.clear()
            found = self._by_type[event_type] = tuple(
                r for r in self.rules if r.matches_type(event_type))
        return found

    def find(self, n: Notification) -> Rule | None:
        if type(n.event_type) is not str:
            return None
        for rule in self.candidates(n.event_type):
            if rule.applies(n):
                return rule
        return None

    def __len__(self) -> int:
        return len(self.rules)


def read_file(path: str, source: str | None = None) -> list[tuple[dict[str, Any] | Any, str]]:
    """The raw rules of a file, each with where it comes from."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise MappingError(f"cannot read mapping rules file {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping rules file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise MappingError(f"mapping rules file {path} must be a YAML list of rules")
    return [(raw, source or path) for raw in data]


def merge(shipped: Iterable[tuple[Any, str]], own: Iterable[tuple[Any, str]]
          ) -> list[tuple[Any, str]]:
    """The operator's rules first, except those that replace a shipped rule
    by name, which take its place; ``enabled: false`` removes a rule."""
    own = list(own)
    replacing = {r.get("name"): (r, s) for r, s in own if isinstance(r, dict)}
    shipped_names = set()
    out = []
    for raw, source in shipped:
        name = raw.get("name") if isinstance(raw, dict) else None
        shipped_names.add(name)
        out.append(replacing.get(name, (raw, source)))
    first = [(r, s) for r, s in own
             if not (isinstance(r, dict) and r.get("name") in shipped_names)]
    return [(r, s) for r, s in first + out
            if not (isinstance(r, dict) and r.get("enabled", True) is False)]


def shipped_file(name: str) -> str:
    if name not in SHIPPED:
        raise MappingError(f"[mapping] shipped_rules: no shipped rules for {name!r} "
                           f"(available: {', '.join(SHIPPED)})")
    return os.path.join(SHIPPED_DIR, f"{name}.yaml")


def raw_rules(conf: cfg.ConfigOpts) -> list[tuple[Any, str]]:
    shipped = [item for name in conf.mapping.shipped_rules
               for item in read_file(shipped_file(name), f"shipped {name}")]
    own = read_file(conf.mapping.rules_file) if conf.mapping.rules_file else []
    return merge(shipped, own)


def name_ok(name: Any) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None
