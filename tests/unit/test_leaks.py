"""A translation can never leak: hostile translations are refused at load,
and what is accepted renders only its own words and checked values."""

from __future__ import annotations

import json
import re
import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector import catalogue, leaks, locales
from collector.catalogue import MAX_MESSAGE_LENGTH
from collector.rendering import Renderer
from collector.template import Template

CATALOGUE = catalogue.sanctioned()
EXTEND = CATALOGUE.get("VOLUME_EXTEND_FAILED")
LENGTHS = {n: p.max_length for n, p in EXTEND.params.items()}
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
PARAMS = json.dumps({"volume_id": VOL, "new_size_gb": 20, "reason": "no_capacity"})
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = "Datenträger {volume_id}: nicht auf {new_size_gb} GB erweitert ({reason})."


def check(text):
    return leaks.problems(EXTEND.template, text, LENGTHS, MAX_MESSAGE_LENGTH)


def test_a_good_translation_passes():
    assert check(GOOD) == []


@pytest.mark.parametrize(("text", "why"), [
    (GOOD.replace("{volume_id}", "{volume_id.__class__}"), "attribute or index"),
    (GOOD.replace("{volume_id}", "{volume_id[0]}"), "attribute or index"),
    (GOOD.replace("{volume_id}", "{volume_id!r}"), "conversions"),
    (GOOD.replace("{volume_id}", "{volume_id:>900}"), "format specifications"),
    (GOOD.replace("{volume_id}", "{}"), "positional"),
    (GOOD.replace("{volume_id}", "{0}"), "positional"),
    (GOOD + " {host}", "{host} is not in the original"),
    (GOOD.replace("{reason}", "x"), "{reason} of the original is missing"),
    (GOOD + " <b>!</b>", "markup"),
    (GOOD + " &amp;", "markup"),
    (GOOD + "\n", "whitespace"),
    (GOOD.replace(" ", "\u202e", 1), "control or format"),
    (GOOD.replace(" ", "\x1b", 1), "control or format"),
    (GOOD + " %(password)s", "printf"),
    (GOOD + " %s", "printf"),
    (GOOD + " {", "opening brace"),
    (GOOD + " }", "closing brace"),
    (GOOD + " {{volume_id}}", "brace"),
    ("x" * 301 + " {volume_id} {new_size_gb} {reason}", "longer than 300"),
    ("", "empty"),
    (None, "empty"),
])
def test_hostile_translations_are_refused(text, why):
    found = check(text)
    assert found and any(why in p for p in found), found


def test_a_refused_translation_is_logged_and_english_shown():
    refused = []
    hostile = {"VOLUME_EXTEND_FAILED": GOOD.replace("{reason}", "{reason.__init__}")}
    loc = locales.build(CATALOGUE, "xx", lambda ctx, msgid: hostile.get(ctx, msgid),
                        log=refused.append)
    assert "VOLUME_EXTEND_FAILED" not in loc.templates
    assert refused and "attribute or index access" in refused[0]
    text = Renderer(CATALOGUE, {"xx": loc}).render("VOLUME_EXTEND_FAILED", PARAMS, "s", "xx")
    assert text.startswith(f"Volume {VOL} could not be extended")


def test_values_that_look_like_fields_are_inert():
    """Rendering joins segments: nothing is parsed, a value stays text."""
    assert Template("a {x} b").render({"x": "{x.__class__} %s {0}"}) == (
        "a {x.__class__} %s {0} b")


# -- properties ---------------------------------------------------------------
NAMES = sorted(EXTEND.template.names)
piece = st.one_of(
    st.sampled_from([f"{{{n}}}" for n in NAMES]),
    st.sampled_from(["{", "}", "{}", "{0}", "{host}", "{volume_id.x}", "{reason!r}",
                     "{new_size_gb:>99}", "%s", "%(x)s", "<", ">", "&", "`", "\x00", "\n",
                     "\u202e", "\u200b", "\u2028", " ", "GB", "ボリューム", "é"]),
    st.text(alphabet=string.ascii_letters + string.digits + " .,:;()", max_size=20),
)
translation = st.lists(piece, max_size=12).map("".join)


def _literal_parts(text: str) -> list[str]:
    return re.split(r"\{[a-z_]+\}", text)


@FAST
@given(translation)
def test_any_translation_is_refused_or_renders_only_its_words_and_values(text):
    refused = []
    loc = locales.build(CATALOGUE, "xx", lambda ctx, msgid: (
        text if ctx == "VOLUME_EXTEND_FAILED" else msgid), log=refused.append)
    rendered = Renderer(CATALOGUE, {"xx": loc}).render(
        "VOLUME_EXTEND_FAILED", PARAMS, "stored", "xx")
    if "VOLUME_EXTEND_FAILED" not in loc.templates:
        assert refused or text == EXTEND.template.text
        assert rendered.startswith(f"Volume {VOL}")  # English
        return
    assert refused == []
    # exactly the template's placeholders, each a bare name, nothing else braced
    assert set(re.findall(r"\{([^{}]*)\}", text)) == EXTEND.template.names
    assert "{" not in rendered and "}" not in rendered
    assert not any(c in "<>&`" for c in rendered)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in rendered)
    assert len(rendered) <= MAX_MESSAGE_LENGTH
    expected = text.replace("{volume_id}", VOL).replace("{new_size_gb}", "20").replace(
        "{reason}", "the storage back end does not have enough free capacity")
    assert rendered == expected
    assert all(part in rendered for part in _literal_parts(text))


hostile_value = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
    st.text(max_size=60), st.sampled_from(["{0.__globals__}", "%s", "<script>", VOL.upper(),
                                           "no_capacity", "in_use", "\u202e"]),
    st.lists(st.integers(), max_size=2))


@FAST
@given(st.dictionaries(st.sampled_from(["volume_id", "new_size_gb", "reason", "x"]),
                       hostile_value, max_size=4),
       st.sampled_from(["en", "de", "fr", "ja", "pt_BR", "zh_CN", "xx"]))
def test_stored_params_are_checked_again_when_read(params, locale):
    """Whatever the database holds, a reader sees a rendering of checked
    values or the stored text, never the raw value."""
    rendered = RENDERER.render("VOLUME_EXTEND_FAILED", json.dumps(params), "stored", locale)
    if rendered == "stored":
        return
    assert set(params) == set(EXTEND.params)
    assert VOL in rendered or params["volume_id"].lower() in rendered
    assert "{" not in rendered and "<" not in rendered and "\u202e" not in rendered


def _shipped_renderer():
    out = {}
    for loc in locales.shipped():
        out[loc] = locales.build(CATALOGUE, loc, locales.read(loc).pgettext)
    return Renderer(CATALOGUE, out)


RENDERER = _shipped_renderer()
