"""The sanctioned catalogue: the only source of text users ever see.

Entries are defined in :mod:`collector.sanctioned` (reviewed like code);
operators may re-word existing entries in an override file but never add
one. Both go through the same checks, and any failure is a
:class:`~collector.exceptions.CatalogueError` listing every problem, so a
broken catalogue stops the daemon at start-up instead of leaking text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import yaml
from oslo_config import cfg

from collector import resources
from collector.exceptions import CatalogueError
from collector.params import Choice, Integer, ParamType
from collector.template import Template, text_problems

OPTS = [
    cfg.StrOpt(
        "override_file",
        help="YAML file mapping event IDs of the sanctioned catalogue to "
        "re-worded templates, e.g. ``VOLUME_EXTEND_FAILED: \"Volume "
        "{volume_id} was not extended: {reason}.\"``. A re-worded template "
        "must use exactly the placeholders of the original; IDs cannot be "
        "added. Check a file with ``herald-manage catalogue check FILE``. "
        "An invalid file stops herald at start-up; on SIGHUP the previous "
        "wording is kept and the error is logged.",
    ),
]

LEVELS = ("ERROR", "WARNING", "INFO")
#: the oslo notification priority that goes with each level
PRIORITY = {"ERROR": "error", "WARNING": "warn", "INFO": "info"}
#: what an event is about (Nuvla's categories)
CATEGORIES = ("state", "alarm", "action", "system", "user")
MAX_MESSAGE_LENGTH = 1024
_EVENT_ID = re.compile(r"[A-Z][A-Z0-9_]{2,63}")
# <resource>.<action>[.completed|.failed], e.g. volume.extend.failed
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,31}(?:\.(?:completed|failed))?")


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One sanctioned message."""

    event_id: str
    event_type: str
    category: str
    level: str
    template: Template
    params: Mapping[str, ParamType]
    #: a text herald writes itself (the broker outage banner...): a
    #: notification or a mapping rule naming it is refused
    herald_only: bool = False
    #: a template that counts something (ngettext): its plural wording, and
    #: the Integer parameter that chooses (``template`` is the singular)
    plural: Template | None = None
    count: str | None = None

    @property
    def resource_type(self) -> str:
        """What the services' messages APIs call the resource
        (``VOLUME``, ``VOLUME_SNAPSHOT``...), from the event type's first part."""
        return resources.of_event_type(self.event_type)

    def template_for(self, values: Mapping[str, Any]) -> Template:
        """The English form for these (checked) values: the singular for a
        count of 1, else the plural, as English ngettext chooses."""
        if self.plural is None or values.get(self.count or "") == 1:
            return self.template
        return self.plural

    def describe(self) -> dict[str, object]:
        """The public, JSON-able form (``herald-manage catalogue list``)."""
        out: dict[str, object] = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "category": self.category,
            "resource_type": self.resource_type,
            "level": self.level,
            "template": self.template.text,
            "params": {name: ptype.spec for name, ptype in sorted(self.params.items())},
            "herald_only": self.herald_only,
        }
        if self.plural is not None:
            out.update(plural=self.plural.text, count=self.count)
        return out


def entry(event_id: str, event_type: str, category: str, level: str, template: str,
          **params: ParamType) -> Entry | tuple[str, str]:
    """Build an :class:`Entry` for the catalogue module.

    A template that does not compile is returned as ``(event_id, problem)``
    so that :class:`Catalogue` reports it with all other problems.
    """
    try:
        compiled = Template(template)
    except ValueError as exc:
        return (event_id, f"template: {exc}")
    return Entry(event_id, event_type, category, level, compiled, params)


def herald_entry(event_id: str, event_type: str, category: str, level: str, template: str,
                 **params: ParamType) -> Entry | tuple[str, str]:
    """An entry only herald itself renders; never accepted from a notification."""
    built = entry(event_id, event_type, category, level, template, **params)
    return dataclasses.replace(built, herald_only=True) if isinstance(built, Entry) else built


def counted(event_id: str, event_type: str, category: str, level: str, singular: str,
            plural: str, count: str, /, **params: ParamType) -> Entry | tuple[str, str]:
    """An :class:`Entry` whose template counts something: ``singular`` for a
    count of 1, ``plural`` otherwise (translations have their language's
    plural forms); ``count`` names the Integer parameter that counts (and
    may itself be called ``count``: the arguments before it are positional)."""
    built = entry(event_id, event_type, category, level, singular, **params)
    if isinstance(built, tuple):
        return built
    try:
        return dataclasses.replace(built, plural=Template(plural), count=count)
    except ValueError as exc:
        return (event_id, f"plural template: {exc}")


def _entry_problems(e: Entry) -> list[str]:
    problems = []
    if not _EVENT_ID.fullmatch(e.event_id):
        problems.append("event ID must be 3-64 characters A-Z 0-9 _ starting with a letter")
    if not _EVENT_TYPE.fullmatch(e.event_type):
        problems.append("event type must be <resource>.<action>[.completed|.failed] in "
                        "lowercase a-z 0-9 _")
    if e.category not in CATEGORIES:
        problems.append(f"category must be one of {', '.join(CATEGORIES)}")
    if e.level not in LEVELS:
        problems.append(f"level must be one of {', '.join(LEVELS)}")
    declared = set(e.params)
    used = set(e.template.names)
    for name in sorted(used - declared):
        problems.append(f"placeholder {{{name}}} is not a declared parameter")
    for name in sorted(declared - used):
        problems.append(f"parameter {name!r} is declared but not used")
    for name, ptype in e.params.items():
        if not isinstance(ptype, ParamType):
            problems.append(f"parameter {name!r} has no parameter type")
        elif isinstance(ptype, Choice):
            for value, phrase in ptype.phrases.items():
                for p in text_problems(phrase, allow_placeholders=False):
                    problems.append(f"parameter {name!r} phrase for {value!r}: {p}")
    if e.plural is not None:
        if e.plural.names != e.template.names:
            problems.append("the plural template must use the singular's placeholders")
        if not isinstance(e.params.get(e.count or ""), Integer):
            problems.append(f"count {e.count!r} must name an integer parameter")
    if not problems:
        longest = max(t.literal_length() + sum(
            t.placeholder_count(n) * p.max_length for n, p in e.params.items())
            for t in (e.template, e.plural) if t is not None)
        if longest > MAX_MESSAGE_LENGTH:
            problems.append(f"rendered text can reach {longest} > {MAX_MESSAGE_LENGTH} characters")
    return problems


_STEP_ID = re.compile(r"[A-Z][A-Z0-9_]{2,63}")
STEP_TYPES = ("creating", "scaling", "deleting", "upgrading")


def _step_problems(steps: Mapping[str, str]) -> list[str]:
    problems = []
    for key, label in steps.items():
        if not _STEP_ID.fullmatch(key):
            problems.append(f"step {key!r}: name must be 3-64 characters A-Z 0-9 _")
        for p in text_problems(label, allow_placeholders=False):
            problems.append(f"step {key}: {p}")
    return problems


class Catalogue:
    """A checked, immutable set of entries keyed by event ID, and the
    sanctioned names of provisioning steps."""

    def __init__(self, entries: Iterable[Entry | tuple[str, str]],
                 steps: Mapping[str, str] | None = None) -> None:
        self.steps = dict(steps or {})
        problems: list[str] = _step_problems(self.steps)
        by_id: dict[str, Entry] = {}
        for e in entries:
            if isinstance(e, tuple):  # a template that did not compile
                problems.append(f"{e[0]}: {e[1]}")
                continue
            if e.event_id in by_id:
                problems.append(f"{e.event_id}: duplicate event ID")
                continue
            problems.extend(f"{e.event_id}: {p}" for p in _entry_problems(e))
            by_id[e.event_id] = e
        if not by_id and not problems:
            problems.append("the catalogue is empty")
        if problems:
            raise CatalogueError("invalid catalogue:\n  " + "\n  ".join(problems))
        self._by_id = by_id

    def get(self, event_id: str) -> Entry | None:
        return self._by_id.get(event_id)

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._by_id.values(), key=lambda e: e.event_id))

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._by_id

    def with_overrides(self, overrides: Mapping[str, str], source: str = "override") -> Catalogue:
        """A new catalogue with some templates re-worded.

        The same placeholders must be used: the parameter types were
        reviewed together with the original wording.
        """
        problems = []
        replaced = dict(self._by_id)
        for event_id, text in overrides.items():
            original = self._by_id.get(event_id)
            if original is None:
                problems.append(
                    f"{event_id}: not in the sanctioned catalogue (IDs cannot be added)"
                )
                continue
            try:
                template = Template(text)
            except ValueError as exc:
                problems.append(f"{event_id}: template: {exc}")
                continue
            if template.names != original.template.names:
                expected = ", ".join(f"{{{n}}}" for n in sorted(original.template.names))
                problems.append(
                    f"{event_id}: placeholders must be exactly {expected or '(none)'}"
                )
                continue
            # a counted entry re-worded with one text reads it for every count
            replaced[event_id] = dataclasses.replace(original, template=template,
                                                     plural=None, count=None)
        if problems:
            raise CatalogueError(f"invalid {source}:\n  " + "\n  ".join(problems))
        return Catalogue(replaced.values(), self.steps)


def read_override_file(path: str) -> dict[str, str]:
    """Parse an override file into ``{event_id: template}``."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise CatalogueError(
            f"cannot read catalogue override file {path}: {exc.strerror}"
        ) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"catalogue override file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogueError(
            f"catalogue override file {path} must be a mapping of event ID to template"
        )
    bad = [repr(k) for k, v in data.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise CatalogueError(
            f"catalogue override file {path}: keys and values must be strings "
            f"(offending keys: {', '.join(bad)})"
        )
    return data


def sanctioned() -> Catalogue:
    """The catalogue as reviewed, without operator overrides."""
    from collector import sanctioned as module

    return Catalogue(module.ENTRIES, module.STEPS)


#: the reserved project operator messages are stored under: herald-api shows
#: it to administrators only (Keystone project IDs are 32 hex digits, so no
#: real project can have this one)
OPERATORS_PROJECT = "_operators"


def operators() -> Catalogue:
    """The operators-only entries: what herald itself writes for the cloud's
    administrators (:mod:`listener.watch`). Kept out of :func:`sanctioned`,
    which is what notifications are checked against, so that no service can
    send one of them to a project; an event ID is never in both (a unit
    test checks it)."""
    from collector import sanctioned as module

    return Catalogue(module.OPERATOR_ENTRIES)


def load(conf: cfg.ConfigOpts) -> Catalogue:
    """The catalogue the daemon uses: sanctioned entries plus overrides."""
    catalogue = sanctioned()
    path = conf.catalogue.override_file
    if path:
        catalogue = catalogue.with_overrides(read_override_file(path), source=path)
    return catalogue
