"""The shipped mapping rules as a table in docs/mapping.md.

``herald-manage mapping docs --output docs/mapping.md`` rewrites the part of
that file between the markers below; a test fails when it no longer matches
the shipped rules, as for the catalogue reference.
"""

from __future__ import annotations

from collector.rules import Rule, RuleSet

BEGIN = "<!-- BEGIN GENERATED: herald-manage mapping docs -->"
END = "<!-- END GENERATED -->"


def _cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def _conditions(rule: Rule) -> str:
    parts = []
    if rule.priorities is not None:
        parts.append("priority " + " or ".join(sorted(rule.priorities)))
    if rule.publishers is not None:
        parts.append("publisher " + " or ".join(f"`{p}`" for p in rule.publishers))
    for c in rule.conditions:
        parts.append(f"{c.spec.text} matches " + " or ".join(
            f"`{p}`" for p in c.test.values))
    if rule.exclude:
        parts.append("not " + ", ".join(f"`{e}`" for e in rule.exclude))
    return "; ".join(parts) or "—"


def _rule(rule: Rule) -> list[str]:
    out = [f"### `{rule.name}`", "", _cell(rule.description) or "(no description)", "",
           "| | |", "|---|---|",
           "| event type | " + ", ".join(f"`{t}`" for t in rule.include) + " |",
           f"| only when | {_cell(_conditions(rule))} |"]
    if rule.exception is not None:
        out.append(f"| exception class from | {_cell(rule.exception.text)} |")
    out.append(f"| event ID | {_cell(rule.event_id.text)} |")
    for name, spec in rule.fields.items():
        out.append(f"| {name} | {_cell(spec.text)} |")
    for name, spec in rule.params.items():
        out.append(f"| parameter `{name}` | {_cell(spec.text)} |")
    return out + [""]


def render(rules: RuleSet) -> str:
    lines = [BEGIN, "",
             f"{len(rules)} shipped rules, tried in this order (the first that applies wins).",
             ""]
    source = None
    for rule in rules.rules:
        if rule.source != source:
            source = rule.source
            lines += [f"## {source.removeprefix('shipped ')}", ""]
        lines += _rule(rule)
    return "\n".join(lines + [END]) + "\n"


def splice(document: str, generated: str) -> str:
    """``document`` with its generated part replaced (appended if absent)."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        return document.rstrip("\n") + "\n\n" + generated
    return document[:start] + generated + document[end + len(END) + 1:]
