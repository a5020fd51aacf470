"""The leak check: may a translated or re-worded text stand for a template?

A translation is text from outside the review of :mod:`collector.sanctioned`
(a translator, a deployer's override), read by a daemon that renders it for
every user. It must not be able to reach anything but the values the
template already shows: it uses exactly the template's placeholders, each as
a bare ``{name}``. Attribute or index access (``{volume_id.__class__}``,
``{a[0]}``), conversions (``{a!r}``), format specs (``{a:>999}``), positional
fields (``{}``, ``{0}``) and placeholders the template lacks are refused,
and so is markup, any control or format character, and text that could
exceed the catalogue's length limits. herald never calls ``str.format`` on
any text (:class:`collector.template.Template` joins pre-split segments), so
these checks are a second wall: a refused translation is logged and the
English text is shown instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from collector.template import MAX_TEMPLATE_LENGTH, Template, text_problems

#: whatever a brace opens, up to the matching close (or the end of the text)
_FIELD = re.compile(r"\{([^{}]*)\}?")
_BARE = re.compile(r"[a-z][a-z0-9_]{0,31}")
# printf-style directives are inert in herald (nothing interpolates them), but a
# translation holding one was made for another program's string: refuse it
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcoa%]")


def _field_problem(inside: str) -> str:
    """What is wrong with ``{inside}`` when it is not a bare name."""
    if inside == "" or inside.isdigit():
        return "positional fields ({} or {0}) are not allowed"
    if "!" in inside:
        return "conversions ({name!r}) are not allowed"
    if ":" in inside:
        return "format specifications ({name:...}) are not allowed"
    if "." in inside or "[" in inside:
        return "attribute or index access ({name.attr}, {name[0]}) is not allowed"
    return f"{{{inside[:40]}}} is not a placeholder name"


def problems(source: Template, text: object, lengths: Mapping[str, int],
             max_message_length: int) -> list[str]:
    """Why ``text`` may not replace ``source`` (empty list: it may).

    ``lengths``: the longest text each placeholder can receive in the
    language of ``text`` (a Choice's phrases are translated too).
    """
    if not isinstance(text, str) or not text:
        return ["empty or not a string"]
    found: list[str] = []
    names: set[str] = set()
    for match in _FIELD.finditer(text):
        inside = match.group(1)
        if not match.group(0).endswith("}"):
            found.append("an opening brace without its closing brace")
        elif _BARE.fullmatch(inside):
            names.add(inside)
        else:
            found.append(_field_problem(inside))
    if "}" in _FIELD.sub("", text):
        found.append("a closing brace without its opening brace")
    for name in sorted(names - source.names):
        found.append(f"placeholder {{{name}}} is not in the original")
    for name in sorted(source.names - names):
        found.append(f"placeholder {{{name}}} of the original is missing")
    if _PRINTF.search(text):
        found.append("printf directives (%s, %(name)s) are not allowed")
    # markup, control and format characters, whitespace, the template limit
    found += [p for p in text_problems(text, allow_placeholders=True)
              if "braces" not in p]  # reported above, precisely
    if found:
        return list(dict.fromkeys(found))
    template = Template(text)
    longest = template.literal_length() + sum(
        template.placeholder_count(n) * length for n, length in lengths.items())
    if longest > max_message_length:
        return [f"rendered text can reach {longest} > {max_message_length} characters"]
    return []


def phrase_problems(text: object) -> list[str]:
    """Why a translated phrase (a Choice's value, a step name) may not be shown."""
    if not isinstance(text, str) or not text:
        return ["empty or not a string"]
    found = text_problems(text, allow_placeholders=False)
    if _PRINTF.search(text):
        found.append("printf directives (%s, %(name)s) are not allowed")
    return found


__all__ = ["MAX_TEMPLATE_LENGTH", "phrase_problems", "problems"]
