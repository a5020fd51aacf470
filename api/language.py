"""Which language a request reads: ``Accept-Language``, negotiated once.

The header's ranges are taken by quality (then by their order); for each,
the exact locale (``pt-BR`` -> ``pt_BR``), then its base language (``pt``,
or the one locale herald has in that language), then a known alias
(``zh-Hans`` -> ``zh_CN``); a range nothing matches is skipped, and with
none left the source language (English) is served. ``q=0`` refuses a
language, ``*`` accepts the default.

WebOb's ``accept_language.lookup()`` does not match ``pt-BR`` to ``pt_BR``,
and oslo.i18n's lookup keeps every language name it is asked for: the
header's text never reaches ``gettext`` or the file system here, only the
names of locales herald loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HEADER = "Accept-Language"
#: longer headers are read up to here (ranges cut at this point are ignored)
MAX_HEADER = 512
MAX_RANGES = 16
_RANGE = re.compile(r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*"
                    r"(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*")
#: tags that name a locale by another name (BCP 47 script subtags, old names)
ALIASES = {
    "zh-hans": "zh_CN", "zh-hans-cn": "zh_CN", "zh-sg": "zh_CN", "zh-hans-sg": "zh_CN",
    "zh": "zh_CN", "pt": "pt_BR", "nb": "no", "iw": "he", "in": "id",
}


def ranges(header: str | None) -> list[str]:
    """The header's language ranges, best first, without refused ones."""
    if not header:
        return []
    weighted = []
    for i, part in enumerate(header[:MAX_HEADER].split(",")[:MAX_RANGES]):
        match = _RANGE.fullmatch(part)
        if match is None:
            continue
        try:
            q = 1.0 if match.group(2) is None else float(match.group(2))
        except ValueError:
            continue
        if 0 < q <= 1:
            weighted.append((-q, i, match.group(1).lower()))
    return [tag for _, _, tag in sorted(weighted)]


class Negotiator:
    """Matches requests to a fixed set of locales (``pt_BR``, ``ja``...)."""

    def __init__(self, locales: Iterable[str], default: str = "en") -> None:
        self.default = default
        known = {default, *locales}
        self._exact = {loc.lower().replace("_", "-"): loc for loc in known}
        by_base: dict[str, list[str]] = {}
        for loc in sorted(known):
            by_base.setdefault(loc.split("_")[0].lower(), []).append(loc)
        self._base = {}
        for base, locs in by_base.items():
            if base in self._exact:
                self._base[base] = self._exact[base]
            elif ALIASES.get(base) in locs:
                self._base[base] = ALIASES[base]
            elif len(locs) == 1:
                self._base[base] = locs[0]
        self._aliases = {tag: loc for tag, loc in ALIASES.items() if loc in known}

    def match(self, tag: str) -> str | None:
        """One language range (lowercase) to a locale, or None."""
        if tag == "*":
            return self.default
        exact = self._exact.get(tag)
        if exact is not None:
            return exact
        language = tag.split("-", 1)[0]
        # zh-Hant-TW must not read simplified Chinese: only aliases map zh-*
        base = self._base.get(language) if language != "zh" else None
        return base if base is not None else self._aliases.get(tag)

    def negotiate(self, header: str | None) -> str:
        for tag in ranges(header):
            found = self.match(tag)
            if found is not None:
                return found
        return self.default


def content_language(locale: str) -> str:
    """``pt_BR`` -> ``pt-BR`` (the header's form)."""
    return locale.replace("_", "-")
