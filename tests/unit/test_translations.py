"""The catalogue's translations, as CI checks them: current with the
catalogue, complete, in Horizon's words, and unable to leak."""

from __future__ import annotations

import json
import logging

import pytest
from babel.messages import pofile

from collector import catalogue, locales, rendering
from collector.babel_extract import messages
from collector.params import Choice
from tests.wire import example_params

SHIPPED = ("de", "fr", "ja", "pt_BR", "zh_CN")
# what Horizon's own django.po calls a volume, an instance, a snapshot, a backup
# and a quota in each language, so that a message reads like the page around it
HORIZON = {
    "de": {"volume": "Datenträger", "instance": "Instanz", "snapshot": "Schattenkopie",
           "backup": "Sicherungskopie", "quota": "kontingent", "flavor": "Variante"},
    "fr": {"volume": "volume", "instance": "instance", "snapshot": "instantané",
           "backup": "sauvegarde", "quota": "quota", "flavor": "gabarit"},
    "ja": {"volume": "ボリューム", "instance": "インスタンス", "snapshot": "スナップショット",
           "backup": "バックアップ", "quota": "クォータ", "flavor": "フレーバー"},
    "zh_CN": {"volume": "卷", "instance": "实例", "snapshot": "快照", "backup": "备份",
              "quota": "配额", "flavor": "实例类型"},
    "pt_BR": {"volume": "volume", "instance": "instância", "snapshot": "snapshot",
              "backup": "backup", "quota": "cota", "flavor": "flavor"},
}


@pytest.fixture(scope="module")
def sanctioned():
    return catalogue.sanctioned()


def test_the_pot_is_current():
    """Regenerate with the command in docs/catalogue.md when this fails."""
    with (locales.LOCALE_DIR / f"{locales.DOMAIN}.pot").open("rb") as f:
        pot = pofile.read_po(f)
    stored = {(m.context, *(m.id if isinstance(m.id, tuple) else (m.id,))) for m in pot if m.id}
    assert stored == {m for _, _, m, _ in messages()}


def test_every_shipped_locale_is_found():
    assert set(locales.shipped()) >= set(SHIPPED)


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_text_is_translated_and_passes_the_leak_check(sanctioned, locale):
    refused = []
    translations = locales.read(locale)
    loc = locales.build(sanctioned, locale, translations.pgettext, log=refused.append,
                        ngettext_=translations.npgettext, plural=locales._plural(translations))
    assert refused == []
    assert set(loc.templates) == {e.event_id for e in sanctioned}
    assert set(loc.steps) == set(sanctioned.steps)
    phrases = {p for e in sanctioned for t in e.params.values() if isinstance(t, Choice)
               for p in t.phrases.values()}
    with (locales.LOCALE_DIR / locale / "LC_MESSAGES" / f"{locales.DOMAIN}.po").open("rb") as f:
        po = pofile.read_po(f)
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    assert phrases <= {m.id for m in po if m.context == locales.PHRASE}


@pytest.mark.parametrize("locale", SHIPPED)
def test_horizons_terms(sanctioned, locale):
    translations = locales.read(locale)
    loc = locales.build(sanctioned, locale, translations.pgettext,
                        ngettext_=translations.npgettext, plural=locales._plural(translations))
    terms = HORIZON[locale]
    for e in sanctioned:
        english = e.template.text.lower()
        text = loc.templates[e.event_id][0].text.lower()
        for word, term in terms.items():
            if english.startswith(word) or f" {word} " in english:
                assert term.lower() in text, (locale, e.event_id, word)


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_entry_renders_in_every_language(sanctioned, locale, conf):
    renderer = rendering.load(conf)
    for e in sanctioned:
        params = example_params(e)
        text = renderer.render(e.event_id, json.dumps(params), "stored", locale)
        english = renderer.render(e.event_id, json.dumps(params), "stored")
        assert text not in ("stored", english)
        assert "{" not in text and "}" not in text
        assert len(text) <= catalogue.MAX_MESSAGE_LENGTH
        for name, ptype in e.params.items():
            if not isinstance(ptype, Choice):  # values appear as they are
                assert ptype.check(params[name]) in text


def test_a_locale_without_a_mo_is_compiled_from_its_po(tmp_path):
    (tmp_path / "xx" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "xx" / "LC_MESSAGES" / f"{locales.DOMAIN}.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgctxt "step"\nmsgid "Waiting for ssh"\nmsgstr "Warten"\n', encoding="utf-8")
    assert locales.shipped(tmp_path) == ("xx",)
    assert locales.read("xx", tmp_path).pgettext("step", "Waiting for ssh") == "Warten"


def test_an_unreadable_translation_is_logged_and_english_is_shown(tmp_path, conf, caplog):
    (tmp_path / "xx" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "xx" / "LC_MESSAGES" / f"{locales.DOMAIN}.mo").write_bytes(b"not a mo file")
    with caplog.at_level(logging.ERROR):
        assert locales.load(conf, catalogue.sanctioned(), tmp_path) == {}
    assert "xx cannot be read" in caplog.text


OVERRIDE = "ボリューム {volume_id} は {new_size_gb} GB になりませんでした（{reason}）。"
PARAMS = json.dumps({"volume_id": "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20", "new_size_gb": 20,
                     "reason": "no_capacity"})


def test_deployer_overrides_per_locale_are_checked_and_reloaded(conf, tmp_path, caplog):
    """Like the English override: same placeholders; a bad file or entry
    is logged and ignored (the shipped translation stays); SIGHUP reads
    the files again."""
    ja, de = tmp_path / "ja.yaml", tmp_path / "de.yaml"
    ja.write_text(f'VOLUME_EXTEND_FAILED: "{OVERRIDE}"\n', encoding="utf-8")
    de.write_text("VOLUME_EXTEND_FAILED: 'Datenträger {volume_id.__dict__} {new_size_gb} "
                  "{reason}'\nNO_SUCH_EVENT: 'x'\n", encoding="utf-8")
    conf.set_override("translation_override_files",
                      {"ja": str(ja), "de": str(de), "xx": str(ja)}, group="catalogue")
    with caplog.at_level(logging.WARNING):
        texts = rendering.Texts(conf)
    render = texts.current.render
    assert render("VOLUME_EXTEND_FAILED", PARAMS, "s", "ja") == (
        "ボリューム 2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20 は 20 GB になりませんでした"
        "（ストレージバックエンドに十分な空き容量がありません）。")
    shipped_de = render("VOLUME_EXTEND_FAILED", PARAMS, "s", "de")
    assert shipped_de.startswith("Datenträger 2f1e0c5e") and "__dict__" not in shipped_de
    assert "override of VOLUME_EXTEND_FAILED: attribute or index access" in caplog.text
    assert "override of NO_SUCH_EVENT: not in the sanctioned catalogue" in caplog.text
    assert "no 'xx' translation to override" in caplog.text

    ja.write_text("VOLUME_EXTEND_FAILED: [not, a, template]\n", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        texts.reload()  # what SIGHUP does
    assert "keys and values must be strings" in caplog.text
    assert texts.current.render("VOLUME_EXTEND_FAILED", PARAMS, "s", "ja").endswith(
        "ボリュームは以前のサイズのまま使用できます。")  # the shipped translation again


def test_the_build_compiles_every_catalogue(tmp_path):
    """setup.py's build_py writes a .mo beside every .po (herald's domain and
    the dashboard's django), which gettext reads as the .po says."""
    import gettext
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib",
                             str(tmp_path)], cwd=root, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    built = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.mo"))
    assert built == sorted(
        [f"collector/locale/{loc}/LC_MESSAGES/herald-catalogue.mo" for loc in SHIPPED]
        + [f"herald_dashboard/locale/{loc}/LC_MESSAGES/django.mo"
           for loc in ("de", "fr", "ja", "pt_BR", "zh_Hans")])
    with (tmp_path / "collector/locale/ja/LC_MESSAGES/herald-catalogue.mo").open("rb") as f:
        ja = gettext.GNUTranslations(f)
    assert ja.pgettext("step", "Waiting for ssh") == "SSH を待機しています"
    with (tmp_path / "herald_dashboard/locale/ja/LC_MESSAGES/django.mo").open("rb") as f:
        assert gettext.GNUTranslations(f).gettext("Message") == "メッセージ"
