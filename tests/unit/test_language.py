"""Accept-Language, negotiated once per request against herald's locales."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.language import Negotiator, content_language, ranges

LOCALES = ("de", "fr", "ja", "pt_BR", "zh_CN")


@pytest.fixture(scope="module")
def negotiator():
    return Negotiator(LOCALES)


@pytest.mark.parametrize(("header", "want"), [
    (None, "en"), ("", "en"), ("en", "en"), ("en-US", "en"),
    ("ja", "ja"), ("ja-JP", "ja"), ("JA", "ja"),
    ("pt-BR", "pt_BR"), ("pt_BR", "en"),  # an underscore is not a language tag
    ("pt", "pt_BR"), ("pt-PT", "pt_BR"),  # the base language, herald's one pt
    ("de-CH", "de"), ("fr-CA,fr;q=0.9", "fr"),
    ("zh-Hans", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"), ("zh-Hans-CN", "zh_CN"),
    ("zh-Hant-TW", "en"), ("zh-TW, ja;q=0.5", "ja"),  # never simplified for traditional
    ("ko, ja;q=0.8, en;q=0.9", "en"), ("ko, ja;q=0.9, en;q=0.8", "ja"),
    ("ja;q=0, de", "de"), ("ja;q=0", "en"), ("*", "en"), ("ko, *;q=0.1", "en"),
    ("de;q=0.5, fr;q=0.5", "de"),  # equal quality: the order of the header
    ("ja;q=2", "en"), ("ja;q=abc", "en"), ("../../etc/passwd", "en"), ("ja\x00", "en"),
])
def test_negotiation(negotiator, header, want):
    assert negotiator.negotiate(header) == want


def test_content_language_is_a_language_tag():
    assert [content_language(x) for x in ("pt_BR", "zh_CN", "ja", "en")] == [
        "pt-BR", "zh-CN", "ja", "en"]


def test_long_headers_are_read_within_bounds():
    assert len(ranges(", ".join(["ko"] * 10_000))) <= 16
    assert Negotiator(LOCALES).negotiate("ko;q=1, " * 5000 + "ja") == "en"


@given(st.text(max_size=300))
def test_any_header_gives_a_known_locale(header):
    """Whatever a client sends, only names herald loaded come out."""
    assert Negotiator(LOCALES).negotiate(header) in {"en", *LOCALES}
