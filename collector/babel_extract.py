"""Babel's extractor for the catalogue: ``pybabel extract`` writes the .pot.

The catalogue's texts are not ``_()`` calls in code: they are the entries,
Choice phrases and step names of :mod:`collector.sanctioned`. This
extractor yields them as ``pgettext`` messages with the contexts
:mod:`collector.locales` looks them up by (the event ID, ``phrase``,
``step``), and tells the translator which placeholders a template has and
what they receive. Run (docs/catalogue.md)::

    pybabel extract -F babel-catalogue.cfg --sort-output \\
        -o collector/locale/herald-catalogue.pot .
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from collector import catalogue, locales
from collector.params import Choice

Message = tuple[int, str, tuple[str, ...], list[str]]


def _line(source: str, needle: str) -> int:
    """Where ``needle`` is quoted in the module (1 when it is not)."""
    at = source.find(f'"{needle}"')
    return source.count("\n", 0, at) + 1 if at >= 0 else 1


def messages(source: str = "", cat: catalogue.Catalogue | None = None) -> Iterator[Message]:
    """Every text of the sanctioned catalogue (or ``cat``), as Babel's
    extractors yield."""
    cat = catalogue.sanctioned() if cat is None else cat
    seen: set[str] = set()
    for e in cat:
        kinds = ", ".join(f"{{{n}}}: {p.spec}" for n, p in sorted(e.params.items()))
        note = [f"{e.event_type}, {e.level}. Keep exactly these placeholders, as they are: "
                f"{kinds or '(none)'}. A Choice placeholder receives a translated phrase."]
        if e.plural is None:
            yield _line(source, e.event_id), "pgettext", (e.event_id, e.template.text), note
        else:  # it counts: the language's plural forms, chosen by {count}
            yield (_line(source, e.event_id), "npgettext",
                   (e.event_id, e.template.text, e.plural.text),
                   [*note, f"The form is chosen by {{{e.count}}}."])
        for name, ptype in sorted(e.params.items()):
            if not isinstance(ptype, Choice):
                continue
            for value, phrase in ptype.phrases.items():
                if phrase in seen:
                    continue
                seen.add(phrase)
                yield (_line(source, value), "pgettext", (locales.PHRASE, phrase),
                       [f"Completes a sentence, as {{{name}}} of {e.event_id}. No braces."])
    for key, label in sorted(cat.steps.items()):
        yield (_line(source, key), "pgettext", (locales.STEP, label),
               ["The name of a provisioning step, shown as a heading. No braces."])


def extract(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
            options: Mapping[str, Any]) -> Iterator[Message]:
    """Babel's extraction method (``babel.extractors`` entry point); the
    file is collector/sanctioned.py, read for line numbers only."""
    yield from messages(fileobj.read().decode("utf-8"))
