"""The catalogue as a reference document for downstream consumers (Senlin).

``herald-manage catalogue docs`` writes it to docs/catalogue.md; a test fails
when that file no longer matches the catalogue, so the documented formats
cannot drift from what herald renders.
"""

from __future__ import annotations

import itertools

from collector import locales
from collector.catalogue import CATEGORIES, LEVELS, Catalogue, Entry
from collector.params import Choice

OPERATORS_INTRO = [
    "What herald itself notices about the services (docs/operations.md, \"What herald",
    "notices when no service speaks\"). herald writes these under the reserved project",
    "`_operators`, which herald-api shows to administrators only. No notification can carry",
    "them (they are not in the catalogue notifications are checked against), and an",
    "override file cannot re-word them. They are stored in English and shown as stored",
    "(no parameters are kept for rendering in another language).",
]

# How the catalogue is translated, and where its code lives (issue 24's
# decision), kept here because this file generates docs/catalogue.md.
LANGUAGES = """\
## Languages

herald-api renders each message when it is read, from the parameters stored
with it and the catalogue as it is now, in the language the request asks for
(`Accept-Language`, negotiated once per request: exact locale `pt-BR` ->
`pt_BR`, then the base language `pt`, then aliases such as `zh-Hans` ->
`zh_CN`, else English; the answer says `Content-Language` and
`Vary: Accept-Language`). The Event Viewer sends the user's Horizon language.
Messages stored before migration 0009 have no parameters and keep the English
text they were stored with; so does a message whose parameters no longer pass
their types.

- shipped: {shipped}; gettext domain `herald-catalogue`
- `collector/locale/herald-catalogue.pot`: extracted by Babel with herald's own
  extractor (`collector/babel_extract.py`, entry point `herald_catalogue`):
  `pybabel extract -F babel-catalogue.cfg --sort-output -o
  collector/locale/herald-catalogue.pot .` (a test fails when it is stale)
- `collector/locale/<lang>/LC_MESSAGES/herald-catalogue.po`: one per language,
  `pybabel update -D herald-catalogue -i collector/locale/herald-catalogue.pot
  -d collector/locale` after a change; compiled to `.mo` when herald is built
  (`setup.py`), compiled in memory from the `.po` in a source tree
- message contexts: a template's is its event ID, a Choice phrase's is
  `phrase`, a provisioning step's is `step`; the msgid is the sanctioned English
  text, so an English rewording (`override_file`) does not orphan translations
- terms are Horizon's own (its `django.po`): volume Datenträger / volume /
  ボリューム / 卷 / volume, instance Instanz / instance / インスタンス / 实例 /
  instância, snapshot Schattenkopie / instantané / スナップショット / 快照 /
  snapshot, quota Kontingent / quota / クォータ / 配额 / cota, flavor Variante /
  gabarit / フレーバー / 实例类型 / flavor
- plural forms: an entry whose template counts something is declared with
  `counted(..., singular, plural, count=...)` (an Integer parameter chooses);
  it is extracted as `npgettext` and each language gives its own plural forms
  (its `.po`'s `Plural-Forms`), every form leak-checked. No entry counts
  anything today (sizes are a unit, `GB`)
- deployers re-word a language as they re-word English:
  `[catalogue] translation_override_files = ja:/etc/herald/catalogue-ja.yaml`
  (event ID -> template); checked like a translation, read again on SIGHUP, and
  a bad file or entry is logged and ignored (the shipped text is used)

Every translation, shipped or overridden, is checked in CI
(`tests/unit/test_translations.py`) and again at load (`collector/leaks.py`):
it uses exactly the template's placeholders as bare `{{name}}`s (no attribute
or index access, conversions, format specs, positional fields, or placeholders
the template lacks), carries no markup, control or format characters, no
printf directives, and stays within the catalogue's length limits. What fails
at load is logged and that entry is shown in English. Rendering joins segments
split once at load; `str.format` is never called on any text.

## Where the catalogue's code lives

The catalogue's family is `collector/catalogue.py` (entries and checks),
`sanctioned.py` (the reviewed text), `params.py` (parameter types),
`template.py` (compiled templates), `reference.py` (this document), and now
`locales.py` (translations), `leaks.py` (the leak check), `rendering.py`
(messages rendered when read) and `babel_extract.py`. Decision: it should
become one package, `collector/catalogue/`, because these nine modules are one
reviewed unit that nothing else in `collector/` needs to see beyond
`Catalogue`, `Entry`, the parameter types and `Renderer`. It is not moved in
this change: other work edits `collector/` at the same time and a move would
conflict with all of it; the new modules carry their family's names so that the
move is mechanical. The import arrows point one way: `template`, `params` <-
`catalogue` <- `sanctioned`; `leaks` <- `locales` <- `rendering`; nothing in
the family imports `listener/`, `storage/` or `api/` (herald-api imports
`rendering`, the validator imports `catalogue`).
"""


def _cell(text: str) -> str:
    """Table cells: a pipe separates columns, even inside backticks."""
    return text.replace("|", r"\|")


def _entry(e: Entry) -> list[str]:
    example = e.template.render({n: p.check(p.example()) for n, p in e.params.items()})
    out = [f"### `{e.event_id}`", "",
           f"- event type: `{e.event_type}`; category: {e.category}; level: {e.level}",
           *(["- written by herald itself (herald-api, the Event Viewer); a notification "
              "or a mapping rule naming it is refused"] if e.herald_only else []),
           f"- template: {e.template.text}",
           *([f"- plural (when `{{{e.count}}}` is not 1): {e.plural.text}"]
             if e.plural is not None else []),
           f"- example: {example}", ""]
    if e.params:
        out += ["| parameter | type | rendered as |", "|---|---|---|"]
        for name, ptype in sorted(e.params.items()):
            rendered = "the value"
            if isinstance(ptype, Choice):
                rendered = "; ".join(f"`{v}`: {_cell(p)}" for v, p in sorted(
                    ptype.phrases.items()))
            out.append(f"| `{name}` | `{_cell(ptype.spec)}` | {rendered} |")
        out.append("")
    return out


def render(catalogue: Catalogue, operators: Catalogue | None = None) -> str:
    """``operators``: the operators-only entries, in a section of their own."""
    lines = [
        "# Catalogue reference",
        "",
        "<!-- Generated by `herald-manage catalogue docs --output docs/catalogue.md` "
        "from collector/sanctioned.py. Do not edit: a test fails when it is stale. -->",
        "",
        "Every text herald can show a user, by event ID. Services send the event ID and",
        "the typed parameters ([wire-format.md](wire-format.md)); operators may re-word a",
        "template with the same placeholders (`[catalogue] override_file`). Event IDs are",
        "stable: they are never renamed or reused.",
        "",
        f"- levels (the severity): {', '.join(LEVELS)}",
        f"- categories: {', '.join(CATEGORIES)}",
        "- event types: `<resource>.<action>[.completed|.failed]`",
        f"- {len(catalogue)} entries; parameter types are described in "
        "[wire-format.md](wire-format.md#parameter-types)",
        "",
    ]
    lines += LANGUAGES.format(shipped=", ".join(locales.shipped())).splitlines() + [""]
    by_resource = itertools.groupby(sorted(catalogue, key=lambda e: (e.resource_type,
                                                                     e.event_id)),
                                    key=lambda e: e.resource_type)
    for resource, entries in by_resource:
        lines += [f"## {resource}", ""]
        for e in entries:
            lines += _entry(e)
    if operators is not None:
        lines += ["## Operators only", "", *OPERATORS_INTRO, ""]
        for e in sorted(operators, key=lambda e: e.event_id):
            lines += _entry(e)
    lines += ["## Provisioning steps", "",
              "Names a notification's `step` block may carry, and what users see:", "",
              "| step name | shown as |", "|---|---|"]
    lines += [f"| `{k}` | {_cell(v)} |" for k, v in sorted(catalogue.steps.items())]
    return "\n".join(lines) + "\n"
