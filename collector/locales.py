"""The catalogue in other languages: gettext catalogues, checked at load.

The catalogue has a gettext domain of its own, ``herald-catalogue``, kept
as OpenStack keeps translations: ``collector/locale/herald-catalogue.pot``
extracted by Babel (:mod:`collector.babel_extract`), and
``collector/locale/<lang>/LC_MESSAGES/herald-catalogue.po`` per language,
compiled to ``.mo`` when herald is built (setup.py). A source tree or an
editable install has no ``.mo``: the ``.po`` is compiled in memory instead.

Message contexts keep the three kinds of text apart: a template's context is
its event ID (``msgctxt "VOLUME_EXTEND_FAILED"``), a Choice's phrase has
``phrase`` and a provisioning step's name ``step``. The msgid is always the
*sanctioned* English text: a deployer's English rewording does not orphan a
translation.

Every translation, shipped or overridden, goes through
:mod:`collector.leaks` once, here; what fails is logged and the English text
is used for that entry. Rendering then joins pre-split segments
(:class:`~collector.template.Template`): nothing is parsed per message.
Locale names reach the file system only when they are the names of the
directories found here, never from a request.
"""

from __future__ import annotations

import dataclasses
import gettext
import io
import logging
import pathlib
from collections.abc import Callable, Mapping
from typing import Any

from oslo_config import cfg

from collector import leaks
from collector.catalogue import MAX_MESSAGE_LENGTH, Catalogue, Entry, read_override_file
from collector.exceptions import CatalogueError
from collector.params import Choice
from collector.template import Template

LOG = logging.getLogger(__name__)

DOMAIN = "herald-catalogue"
LOCALE_DIR = pathlib.Path(__file__).parent / "locale"
PHRASE = "phrase"
STEP = "step"
#: the catalogue's own language: its text is the msgid
SOURCE_LOCALE = "en"

OPTS = [
    cfg.DictOpt(
        "translation_override_files",
        default={},
        help="Per locale, a YAML file re-wording that locale's translations as "
        "``override_file`` re-words English, e.g. ``ja:/etc/herald/catalogue-ja.yaml,"
        "de:/etc/herald/catalogue-de.yaml``; a file maps event IDs to templates with "
        "exactly the placeholders of the original. The locale must be one herald "
        "ships. Each file is checked like a translation; a bad file or entry is "
        "logged and ignored (the shipped translation is used), and the files are "
        "read again on SIGHUP.",
    ),
]


def shipped(localedir: pathlib.Path = LOCALE_DIR) -> tuple[str, ...]:
    """The locales with a translation of the catalogue (directory names)."""
    if not localedir.is_dir():
        return ()
    return tuple(sorted(
        d.name for d in localedir.iterdir()
        if (d / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
        or (d / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()))


def read(locale: str, localedir: pathlib.Path = LOCALE_DIR) -> gettext.GNUTranslations:
    """One locale's compiled catalogue: the ``.mo`` built with herald, else
    its ``.po`` compiled in memory. ``locale`` is a name :func:`shipped`
    returned."""
    base = localedir / locale / "LC_MESSAGES" / DOMAIN
    mo = base.with_suffix(".mo")
    if mo.is_file():
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    from babel.messages import mofile, pofile

    with base.with_suffix(".po").open("rb") as f:
        catalog = pofile.read_po(f, locale=locale, domain=DOMAIN)
    buf = io.BytesIO()
    mofile.write_mo(buf, catalog)  # fuzzy entries left out, as msgfmt does
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _english_plural(n: int) -> int:
    return int(n != 1)


#: counts tried to find one count per plural form of a language (every
#: Plural-Forms rule gettext knows has shown all its forms below 1000)
_SAMPLE_COUNTS = range(1000)


@dataclasses.dataclass(frozen=True, slots=True)
class Localization:
    """One locale's checked, compiled text; what it lacks is shown in English."""

    locale: str
    #: event ID -> its template's forms: one, or the language's plural forms
    #: for an entry that counts (indexed by ``plural(count)``)
    templates: Mapping[str, tuple[Template, ...]]
    #: a Choice's English phrase -> its translation
    phrases: Mapping[str, str]
    #: a step's name (STEPS key) -> its translation
    steps: Mapping[str, str]
    #: the language's plural rule (its .po's Plural-Forms)
    plural: Callable[[int], int] = _english_plural

    def phrase(self, english: str) -> str:
        return self.phrases.get(english, english)

    def template(self, e: Entry, values: Mapping[str, Any]) -> Template | None:
        """The form for these checked values, or None (not translated)."""
        forms = self.templates.get(e.event_id)
        if forms is None:
            return None
        if e.count is None or len(forms) == 1:
            return forms[0]
        return forms[min(self.plural(values[e.count]), len(forms) - 1)]


def _lengths(e: Entry, phrases: Mapping[str, str]) -> dict[str, int]:
    """The longest text each parameter can receive in this locale."""
    out = {}
    for name, ptype in e.params.items():
        if isinstance(ptype, Choice):
            out[name] = max(len(phrases.get(p, p)) for p in ptype.phrases.values())
        else:
            out[name] = ptype.max_length
    return out


NGettext = Callable[[str, str, str, int], str]


def _forms(e: Entry, ngettext_: NGettext | None, plural: Callable[[int], int]
           ) -> tuple[str, ...] | None:
    """A counted entry's translated forms, in plural-index order (None: not
    translated)."""
    assert e.plural is not None
    if ngettext_ is None:
        return None
    counts: dict[int, int] = {}
    for n in _SAMPLE_COUNTS:
        counts.setdefault(plural(n), n)
    forms = tuple(ngettext_(e.event_id, e.template.text, e.plural.text, counts[i])
                  for i in sorted(counts))
    if all(f in (e.template.text, e.plural.text) for f in forms):
        return None
    return forms


def build(sanctioned: Catalogue, locale: str, gettext_: Callable[[str, str], str],
          overrides: Mapping[str, str] | None = None,
          log: Callable[[str], None] = LOG.warning, ngettext_: NGettext | None = None,
          plural: Callable[[int], int] = _english_plural) -> Localization:
    """Check and compile one locale. ``gettext_(context, msgid)`` is the
    locale's ``pgettext``, ``ngettext_`` its ``npgettext`` and ``plural`` its
    plural rule (for entries that count); ``overrides`` (event ID ->
    template, one text for every count) take precedence. A text that fails
    a check is logged with ``log`` and left out (English is shown)."""
    phrases: dict[str, str] = {}
    for e in sanctioned:
        for ptype in e.params.values():
            if isinstance(ptype, Choice):
                for english in ptype.phrases.values():
                    text = gettext_(PHRASE, english)
                    if text == english or english in phrases:
                        continue
                    found = leaks.phrase_problems(text)
                    if found:
                        log(f"{locale}: phrase {english!r}: {'; '.join(found)}")
                    else:
                        phrases[english] = text
    steps = {}
    for key, english in sanctioned.steps.items():
        text = gettext_(STEP, english)
        found = leaks.phrase_problems(text) if text != english else ["untranslated"]
        if not found:
            steps[key] = text
        elif text != english:
            log(f"{locale}: step {key}: {'; '.join(found)}")
    templates: dict[str, tuple[Template, ...]] = {}
    overrides = dict(overrides or {})
    for event_id in sorted(set(overrides) - {e.event_id for e in sanctioned}):
        log(f"{locale}: override of {event_id}: not in the sanctioned catalogue")
    for e in sanctioned:
        source = e.template.text
        candidates: list[tuple[str, tuple[str, ...] | None]] = []
        if e.event_id in overrides:
            candidates.append(("override", (overrides[e.event_id],)))
        candidates.append(("translation", (gettext_(e.event_id, source),) if e.plural is None
                           else _forms(e, ngettext_, plural)))
        for origin, texts in candidates:
            if texts is None or texts == (source,):
                break  # not translated: English
            found = [p for text in texts for p in leaks.problems(
                e.template, text, _lengths(e, phrases), MAX_MESSAGE_LENGTH)]
            if found:
                log(f"{locale}: {origin} of {e.event_id}: {'; '.join(dict.fromkeys(found))}")
                continue
            templates[e.event_id] = tuple(Template(text) for text in texts)
            break
    return Localization(locale, templates, phrases, steps, plural)


def _plural(translations: gettext.GNUTranslations) -> Callable[[int], int]:
    """The catalogue's Plural-Forms rule (gettext parsed it from the header)."""
    rule: Callable[[int], int] = getattr(translations, "plural", _english_plural)
    return rule


def check_override(sanctioned: Catalogue, locale: str, overrides: Mapping[str, str],
                   localedir: pathlib.Path = LOCALE_DIR) -> list[str]:
    """Why a deployer's override of ``locale`` would be ignored, entry by
    entry (``herald-manage catalogue check FILE --locale L``)."""
    if locale not in shipped(localedir):
        return [f"herald has no {locale!r} translation to override "
                f"(it has {', '.join(shipped(localedir)) or 'none'})"]
    problems: list[str] = []
    translations = read(locale, localedir)
    build(sanctioned, locale, translations.pgettext, overrides,
          log=lambda p: problems.append(p) if "override of" in p else None,
          ngettext_=translations.npgettext, plural=_plural(translations))
    return problems


def load(conf: cfg.ConfigOpts, sanctioned: Catalogue,
         localedir: pathlib.Path = LOCALE_DIR) -> dict[str, Localization]:
    """Every shipped locale, with the deployer's overrides; nothing here
    stops herald: what is wrong is logged and English is shown instead."""
    overrides = conf.catalogue.translation_override_files or {}
    available = shipped(localedir)
    for locale in sorted(set(overrides) - set(available)):
        LOG.error("[catalogue] translation_override_files: herald has no %r translation "
                  "to override; ignored", locale)
    out = {}
    for locale in available:
        try:
            translations = read(locale, localedir)
        except (OSError, ValueError) as exc:
            LOG.error("catalogue translation %s cannot be read, English is shown: %s",
                      locale, exc)
            continue
        own: dict[str, str] = {}
        if overrides.get(locale):
            try:
                own = read_override_file(overrides[locale])
            except CatalogueError as exc:
                LOG.error("%s; the shipped %s translation is used", exc, locale)
        out[locale] = build(sanctioned, locale, translations.pgettext, own,
                            ngettext_=translations.npgettext, plural=_plural(translations))
    return out
