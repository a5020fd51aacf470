"""Generated references (docs/catalogue.md, docs/mapping.md) must never drift."""

from pathlib import Path

from collector import catalogue, reference
from collector.params import Choice
from listener.cmd import manage

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "catalogue.md"


def _reference() -> str:
    return reference.render(catalogue.sanctioned(), catalogue.operators())


def test_docs_catalogue_md_is_current():
    assert _reference() == DOC.read_text(encoding="utf-8"), (
        "docs/catalogue.md is stale: run "
        "'herald-manage catalogue docs --output docs/catalogue.md' and review both together")


def test_every_entry_and_choice_is_documented():
    cat = catalogue.sanctioned()
    text = reference.render(cat)
    for e in cat:
        assert f"### `{e.event_id}`" in text
        assert f"- template: {e.template.text}" in text
        assert f"event type: `{e.event_type}`; category: {e.category}; level: {e.level}" in text
        for name, ptype in e.params.items():
            assert f"| `{name}` | `{ptype.spec.replace('|', chr(92) + '|')}` |" in text
            if isinstance(ptype, Choice):
                for value in ptype.phrases:
                    assert f"`{value}`: " in text
    for step in cat.steps:
        assert f"| `{step}` |" in text


def test_operator_entries_are_documented_apart_and_never_checkable_by_notifications():
    ops, cat = catalogue.operators(), catalogue.sanctioned()
    assert len(ops) >= 3
    assert not {e.event_id for e in ops} & {e.event_id for e in cat}
    text = _reference()
    section = text[text.index("## Operators only"):]
    for e in ops:
        assert f"### `{e.event_id}`" in section and f"- template: {e.template.text}" in section


def test_the_command_writes_what_render_returns(tmp_path, capsys):
    conf = tmp_path / "herald.conf"
    conf.write_text(f"[database]\nconnection = sqlite:///{tmp_path}/h.sqlite\n")
    out = tmp_path / "catalogue.md"
    rc = manage.main(["--config-file", str(conf), "catalogue", "docs", "--output", str(out)])
    assert rc == 0 and f"wrote {out}" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8") == _reference()


def test_docs_mapping_md_shows_the_shipped_rules_as_they_are():
    """Regenerate with: herald-manage mapping docs --output docs/mapping.md"""
    from collector import rulecheck, rules, rules_reference

    shipped = rulecheck.build([item for name in rules.SHIPPED for item in rules.read_file(
        rules.shipped_file(name), f"shipped {name}")], catalogue.sanctioned())
    generated = rules_reference.render(shipped)
    with open(ROOT / "docs" / "mapping.md", encoding="utf-8") as f:
        document = f.read()
    assert generated in document, "docs/mapping.md is stale: run herald-manage mapping docs"
    assert rules_reference.splice(document, generated) == document
    for rule in shipped.rules:
        assert f"### `{rule.name}`" in generated
