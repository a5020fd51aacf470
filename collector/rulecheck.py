"""Checking mapping rules against the catalogue, before any notification.

Every problem of every rule is collected and reported at once (as the
catalogue does), so an operator fixes a file in one pass. What is checked:

* the entries a rule can produce exist (its ``event_id`` is a constant or a
  map whose every result and default is an event ID);
* each of those entries gets every parameter it declares, and every
  parameter a rule gives is used by one of them;
* values known at load time (constants, map results) fit the parameter's
  type (a choice value exists, an integer is in range...);
* free text -- exception text, reasons, tracebacks, host names, and the
  exception class itself -- is only ever used to select an entry, a choice
  or a condition, never copied into a parameter or a message field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from oslo_config import cfg

from collector.catalogue import Catalogue, Entry
from collector.exceptions import MappingError
from collector.extract import Spec, SpecError
from collector.params import Choice, ParamError
from collector.rules import MESSAGE_FIELDS, Rule, RuleSet, compile_rule, name_ok, raw_rules


def _entries(rule: Rule, catalogue: Catalogue) -> tuple[list[Entry], list[str]]:
    outputs = rule.event_id.closed_outputs()
    if outputs is None:
        return [], ["event_id must be an event ID or a map to event IDs (it cannot be "
                    "copied from the notification)"]
    problems = []
    if rule.event_id.mapper is not None and rule.event_id.mapper.default is None:
        problems.append("event_id: the map needs a default (an unknown-error entry), so "
                        "that every matched notification has a message")
    entries = []
    for event_id in dict.fromkeys(outputs):
        entry = catalogue.get(event_id) if isinstance(event_id, str) else None
        if entry is None:
            problems.append(f"event_id {event_id!r} is not in the catalogue")
        elif entry.herald_only:
            problems.append(f"event_id {event_id!r} is herald's own text; no rule may "
                            "produce it")
        else:
            entries.append(entry)
    return entries, problems


def _param_problems(rule: Rule, entries: list[Entry]) -> list[str]:
    problems = []
    declared: set[str] = set()
    for e in entries:
        declared |= set(e.params)
        missing = sorted(set(e.params) - set(rule.params))
        if missing:
            problems.append(f"{e.event_id} needs parameter(s) {', '.join(missing)}")
    for name in sorted(set(rule.params) - declared):
        problems.append(f"params.{name} is not a parameter of "
                        f"{', '.join(e.event_id for e in entries) or 'its entries'}")
    for name, spec in rule.params.items():
        for e in entries:
            ptype = e.params.get(name)
            if ptype is None:
                continue
            problems += _fits(f"params.{name}", spec, ptype, e.event_id)
    return problems


def _fits(what: str, spec: Spec, ptype: Any, event_id: str) -> list[str]:
    outputs = spec.closed_outputs()
    if outputs is not None:
        bad = []
        for value in outputs:
            try:
                ptype.check(value)
            except ParamError as exc:
                bad.append(f"{what}: {value!r} does not fit {event_id}'s {ptype.spec} ({exc})")
        return bad
    if isinstance(ptype, Choice):
        return []  # the value only selects a sanctioned phrase
    if spec.free_text or spec.reads_exception:
        return [f"{what} reads free text ({spec.text}); free text may only select an "
                "entry or a choice: map it to a value"]
    return []


def _field_problems(rule: Rule) -> list[str]:
    problems = []
    unknown = sorted(set(rule.fields) - set(MESSAGE_FIELDS))
    if unknown:
        problems.append(f"fields: unknown {', '.join(unknown)} (allowed: "
                        f"{', '.join(MESSAGE_FIELDS)})")
    if "project_id" not in rule.fields:
        problems.append("fields.project_id is required (the owner of the resource first, "
                        "the context's project last)")
    for name, spec in rule.fields.items():
        if spec.free_text or spec.reads_exception:
            problems.append(f"fields.{name} reads free text ({spec.text})")
    return problems


def check(rule: Rule, catalogue: Catalogue) -> list[str]:
    entries, problems = _entries(rule, catalogue)
    rule.wanted = {e.event_id: tuple(sorted(e.params)) for e in entries}
    return problems + _param_problems(rule, entries) + _field_problems(rule)


def build(raw: Iterable[tuple[Any, str]], catalogue: Catalogue) -> RuleSet:
    """Compile and check rules; :class:`MappingError` lists every problem."""
    problems: list[str] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, (item, source) in enumerate(raw, 1):
        name = item.get("name") if isinstance(item, dict) else None
        label = f"{source}: rule {name if isinstance(name, str) else f'#{i}'}"
        if not name_ok(name) or not isinstance(name, str):
            problems.append(f"{label}: name is required: lowercase a-z 0-9 . _ -, "
                            "at most 100 characters")
            continue
        if name in seen:
            problems.append(f"{label}: duplicate rule name")
            continue
        seen.add(name)
        try:
            rule = compile_rule(item, source)
        except SpecError as exc:
            problems.append(f"{label}: {exc}")
            continue
        found = check(rule, catalogue)
        problems += [f"{label}: {p}" for p in found]
        if not found:
            rules.append(rule)
    if problems:
        raise MappingError("invalid mapping rules:\n  " + "\n  ".join(problems))
    return RuleSet(rules)


def load(conf: cfg.ConfigOpts, catalogue: Catalogue) -> RuleSet:
    """The rules the daemon uses: the operator's, then the shipped ones."""
    return build(raw_rules(conf), catalogue)
