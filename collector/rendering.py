"""Stored messages rendered when they are read, in the reader's language.

A ``messages`` row keeps its event ID, its parameters as they were
validated (JSON) and the English text rendered at intake. herald-api
renders the text again from the catalogue as it is now, so that a
rewording applies to messages already stored, and in the locale the
request negotiated. The parameters are checked again against their types
(the stored JSON is data, not trusted code); a row that cannot be rendered
(written before the parameters were stored, an entry whose types have
since changed) shows its stored text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from oslo_config import cfg

from collector import catalogue as catalogues
from collector import locales
from collector.catalogue import Catalogue
from collector.exceptions import CatalogueError
from collector.params import Choice, ParamError

LOG = logging.getLogger(__name__)


class Renderer:
    """One catalogue and its localizations; immutable (swap it on SIGHUP)."""

    def __init__(self, catalogue: Catalogue,
                 localizations: Mapping[str, locales.Localization] | None = None) -> None:
        self.catalogue = catalogue
        self.localizations = dict(localizations or {})

    @property
    def languages(self) -> tuple[str, ...]:
        """What a reader may be served: the source language first."""
        return (locales.SOURCE_LOCALE, *sorted(self.localizations))

    def render(self, event_id: str, params: str | None, stored: str,
               locale: str = locales.SOURCE_LOCALE) -> str:
        """The text of one message (``stored`` when it cannot be rendered)."""
        if params is None:
            return stored
        entry = self.catalogue.get(event_id)
        if entry is None:
            return stored
        try:
            values = orjson.loads(params)
            if type(values) is not dict or values.keys() != entry.params.keys():
                return stored
            texts = {name: ptype.check(values[name]) for name, ptype in entry.params.items()}
        except (orjson.JSONDecodeError, ParamError):
            return stored
        loc = self.localizations.get(locale)
        template = None if loc is None else loc.template(entry, values)
        if loc is None or template is None:  # not translated (or refused): English
            return entry.template_for(values).render(texts)
        for name, ptype in entry.params.items():
            if isinstance(ptype, Choice):
                texts[name] = loc.phrase(texts[name])
        return template.render(texts)

    def for_locale(self, locale: str) -> Callable[[Mapping[str, Any]], str]:
        """``row -> text`` for one request's rows."""
        render = self.render

        def text(row: Mapping[str, Any]) -> str:
            return render(row["event_id"], row.get("params"), row["user_message"], locale)

        return text

    def step_name(self, key: str, locale: str = locales.SOURCE_LOCALE) -> str:
        loc = self.localizations.get(locale)
        english = self.catalogue.steps.get(key, key)
        return english if loc is None else loc.steps.get(key, english)


def load(conf: cfg.ConfigOpts) -> Renderer:
    """The catalogue as the daemon uses it (sanctioned plus the English
    override) and every shipped locale with its overrides."""
    sanctioned = catalogues.sanctioned()
    current = sanctioned
    if conf.catalogue.override_file:
        current = sanctioned.with_overrides(
            catalogues.read_override_file(conf.catalogue.override_file),
            source=conf.catalogue.override_file)
    return Renderer(current, locales.load(conf, sanctioned))


class Texts:
    """The renderer a process serves with, re-read on SIGHUP: an invalid
    English override keeps the previous one (logged), as herald-listener
    does."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self.current = load(conf)

    def reload(self) -> None:
        try:
            self.current = load(self.conf)
        except CatalogueError as exc:
            LOG.error("SIGHUP: keeping the previous catalogue: %s", exc)
            return
        LOG.info("SIGHUP: catalogue reloaded; locales %s", ", ".join(self.current.languages))
