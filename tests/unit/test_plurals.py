"""Entries that count something: ngettext plural forms in English and in
each language's own forms (here Polish's three), each form leak-checked."""

from __future__ import annotations

import datetime
import json

import pytest

from collector import locales
from collector.babel_extract import messages
from collector.catalogue import Catalogue, counted, entry
from collector.exceptions import CatalogueError
from collector.model import Notification
from collector.params import UUID, Integer, Name
from collector.rendering import Renderer
from collector.validation import Validator

GROUP = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
SINGULAR = "{count} volume of group {group_id} could not be deleted."
PLURAL = "{count} volumes of group {group_id} could not be deleted."
CATALOGUE = Catalogue([
    counted("GROUP_VOLUMES_NOT_DELETED", "group.delete.failed", "action", "ERROR", SINGULAR,
            PLURAL, "count", count=Integer(1, 10_000), group_id=UUID()),
    entry("GROUP_DELETED", "group.delete.completed", "action", "INFO",
          "Group {group_id} was deleted.", group_id=UUID()),
])
PO = f'''msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=3; "
"plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"

msgctxt "GROUP_VOLUMES_NOT_DELETED"
msgid "{SINGULAR}"
msgid_plural "{PLURAL}"
msgstr[0] "{{count}} wolumin grupy {{group_id}} nie został usunięty."
msgstr[1] "{{count}} woluminy grupy {{group_id}} nie zostały usunięte."
msgstr[2] "{{count}} woluminów grupy {{group_id}} nie zostało usuniętych."
'''


def accept(count: int):
    n = Notification("m-1", "volume.host-a", "user_message.create", "ERROR", None,
                     {"event_id": "GROUP_VOLUMES_NOT_DELETED",
                      "params": {"count": count, "group_id": GROUP}},
                     {"project_id": "p1"})
    return Validator(CATALOGUE, ttl=86400, max_clock_skew=300).accept(
        n, datetime.datetime(2026, 12, 5, 12))


def test_english_chooses_by_the_count():
    assert accept(1).user_message == f"1 volume of group {GROUP} could not be deleted."
    assert accept(5).user_message == f"5 volumes of group {GROUP} could not be deleted."


def test_a_counted_entry_is_checked():
    with pytest.raises(CatalogueError) as exc:
        Catalogue([counted("BAD_COUNT", "group.delete.failed", "action", "ERROR",
                           "{name} one.", "{name} many.", "name", name=Name(10)),
                   counted("BAD_PLURAL", "group.delete.failed", "action", "ERROR",
                           "{n} one.", "{n} many {x}.", "n", n=Integer()),
                   counted("BAD_TEMPLATE", "group.delete.failed", "action", "ERROR",
                           "{n} one.", "<b>{n}</b>", "n", n=Integer())])
    assert "BAD_COUNT: count 'name' must name an integer parameter" in str(exc.value)
    assert "BAD_PLURAL: the plural template must use the singular's" in str(exc.value)
    assert "BAD_TEMPLATE: plural template: markup" in str(exc.value)


def test_it_is_extracted_for_npgettext():
    found = {m[2][0]: m[1:3] for m in messages(cat=CATALOGUE)}
    assert found["GROUP_VOLUMES_NOT_DELETED"] == (
        "npgettext", ("GROUP_VOLUMES_NOT_DELETED", SINGULAR, PLURAL))
    assert found["GROUP_DELETED"][0] == "pgettext"


def _polish(tmp_path, po=PO, log=None):
    (tmp_path / "pl" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "pl" / "LC_MESSAGES" / f"{locales.DOMAIN}.po").write_text(po, encoding="utf-8")
    t = locales.read("pl", tmp_path)
    return locales.build(CATALOGUE, "pl", t.pgettext, ngettext_=t.npgettext,
                         plural=t.plural, log=log or (lambda p: None))


@pytest.mark.parametrize(("count", "want"), [
    (1, "1 wolumin grupy {g} nie został usunięty."),
    (3, "3 woluminy grupy {g} nie zostały usunięte."),
    (5, "5 woluminów grupy {g} nie zostało usuniętych."),
    (22, "22 woluminy grupy {g} nie zostały usunięte."),
    (112, "112 woluminów grupy {g} nie zostało usuniętych."),
])
def test_each_language_has_its_own_plural_forms(tmp_path, count, want):
    renderer = Renderer(CATALOGUE, {"pl": _polish(tmp_path)})
    params = json.dumps({"count": count, "group_id": GROUP})
    assert renderer.render("GROUP_VOLUMES_NOT_DELETED", params, "s", "pl") == want.format(
        g=GROUP)


def test_one_hostile_form_refuses_the_entry(tmp_path):
    refused = []
    loc = _polish(tmp_path, PO.replace('msgstr[1] "{count}', 'msgstr[1] "{count.real}'),
                  refused.append)
    assert "GROUP_VOLUMES_NOT_DELETED" not in loc.templates
    assert refused and "attribute or index access" in refused[0]
    text = Renderer(CATALOGUE, {"pl": loc}).render(
        "GROUP_VOLUMES_NOT_DELETED", json.dumps({"count": 3, "group_id": GROUP}), "s", "pl")
    assert text == f"3 volumes of group {GROUP} could not be deleted."
