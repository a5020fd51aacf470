"""Property tests: whatever arrives, the outcome is safe.

For any input, the decoder and the validator either reject it with a
stable reason code, or produce a message whose text is a catalogue template
with checked parameter values in it -- never an exception escaping, never
text from anywhere else.
"""

from __future__ import annotations

import json
import re
import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from collector import catalogue, envelope
from collector.exceptions import InvalidNotification
from collector.model import Notification, utcnow
from collector.params import UUID, Choice, Identifier, Integer, Name, Timestamp
from collector.template import Template
from collector.validation import Validator
from tests import wire

CATALOGUE = catalogue.sanctioned()
ENTRIES = [e for e in CATALOGUE if not e.herald_only]  # herald_only: refused (below)
VALIDATOR = Validator(CATALOGUE, ttl=30 * 86400, max_clock_skew=300)
CODES = {"malformed_json", "bad_encoding", "oversized", "bad_envelope", "missing_field",
         "unknown_event_id", "bad_field", "resource_type_mismatch", "bad_parameter",
         "bad_timestamp"}
FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# hostile text: controls, CR/LF, bidi overrides, markup, format directives
hostile = st.text(alphabet=st.sampled_from(
    list(string.printable) + ["\x00", "\x1b", "\u202e", "\u2028", "é", "数", "<", "{", "$",
                              "%", "\\", "'", '"']), max_size=80)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                        st.floats(allow_nan=False), hostile)
json_value = st.recursive(json_scalar, lambda c: st.one_of(
    st.lists(c, max_size=4), st.dictionaries(hostile, c, max_size=4)), max_leaves=12)


def value_pattern(ptype) -> str:
    if isinstance(ptype, Integer):
        return r"-?\d+"
    if isinstance(ptype, UUID):
        return r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    if isinstance(ptype, Identifier):
        return r"[A-Za-z0-9][A-Za-z0-9._:@-]*"
    if isinstance(ptype, Name):
        return r"[\w.:@()+,#-]+(?: [\w.:@()+,#-]+)*"
    if isinstance(ptype, Choice):
        return "(?:" + "|".join(re.escape(p) for p in ptype.phrases.values()) + ")"
    if isinstance(ptype, Timestamp):
        return r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
    raise AssertionError(ptype)


PATTERNS = {}
for _e in ENTRIES:
    _pieces = re.split(r"\{([a-z][a-z0-9_]*)\}", _e.template.text)
    _regex = "".join(re.escape(p) if i % 2 == 0 else value_pattern(_e.params[p])
                     for i, p in enumerate(_pieces))
    PATTERNS[_e.event_id] = re.compile(_regex)


def mostly(draw, good, bad, bad_in=8):
    """``good`` most of the time (so acceptance is exercised too), else ``bad``."""
    return draw(bad) if draw(st.integers(0, bad_in - 1)) == 0 else good


@st.composite
def payloads(draw):
    entry = draw(st.sampled_from(ENTRIES))
    params = {}
    for name, ptype in entry.params.items():
        if draw(st.integers(0, 15)) == 0:
            continue  # a missing parameter now and then
        good = draw(st.one_of(st.just(ptype.example()), valid_value(ptype)))
        params[name] = mostly(draw, good, json_value)
    if draw(st.integers(0, 9)) == 0:
        params[draw(hostile)] = draw(json_value)  # an extra one
    payload = {"event_id": mostly(draw, entry.event_id, st.one_of(hostile, json_scalar)),
               "params": mostly(draw, params, json_value, bad_in=16)}
    for field in ("project_id", "user_id", "request_id", "resource_uuid"):
        if draw(st.booleans()):
            payload[field] = mostly(draw, "ok-id", st.one_of(hostile, json_scalar))
    if draw(st.integers(0, 5)) == 0:
        payload["resource_type"] = draw(st.one_of(st.just(entry.resource_type.upper()),
                                                  hostile))
    return payload


def valid_value(ptype):
    """Values of every shape that must pass their type (not only examples)."""
    if isinstance(ptype, Integer):
        return st.integers(ptype.min, ptype.max)
    if isinstance(ptype, UUID):
        return st.uuids().map(lambda u: str(u).upper() if u.int % 2 else str(u))
    if isinstance(ptype, Choice):
        return st.sampled_from(sorted(ptype.phrases))
    if isinstance(ptype, Identifier):
        return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,20}", fullmatch=True)
    return st.from_regex(r"[a-zA-Z0-9é数]{1,10}( [a-z0-9#,()]{1,10}){0,2}", fullmatch=True)


@st.composite
def notifications(draw):
    payload = mostly(draw, draw(payloads()), json_value, bad_in=10)
    context = draw(st.dictionaries(st.sampled_from(envelope.CONTEXT_KEYS), json_scalar,
                                   max_size=3))
    context["project_id"] = mostly(draw, "proj-1", json_scalar)
    now = str(utcnow())
    timestamp = mostly(draw, draw(st.sampled_from([None, now])), json_scalar)
    return Notification("m-1", "pub", "e", "ERROR", timestamp, payload, context)


@FAST
@given(n=notifications())
def test_validator_renders_only_sanctioned_text_or_rejects(n):
    try:
        m = VALIDATOR.accept(n, utcnow())
    except InvalidNotification as exc:
        assert exc.code in CODES
        assert not re.search(r"[\x00-\x1f\x7f\u2028\u202e]", exc.detail)
        return
    assert PATTERNS[m.event_id].fullmatch(m.user_message), m.user_message
    assert not re.search(r"[\x00-\x1f\x7f<>{}$%\u202e\u2028]", m.user_message)
    for field in ("project_id", "user_id", "request_id", "resource_uuid"):
        value = getattr(m, field)
        assert value is None or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:@-]*", value)


def test_the_strategy_exercises_both_outcomes():
    """The property above is not vacuous: its strategy produces accepted and
    rejected notifications alike (a derandomized run of the same strategy,
    so this guard is deterministic; the property itself explores freely)."""
    outcomes: dict[str, int] = {}

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(n=notifications())
    def count(n):
        try:
            VALIDATOR.accept(n, utcnow())
            outcomes["accepted"] = outcomes.get("accepted", 0) + 1
        except InvalidNotification as exc:
            outcomes[exc.code] = outcomes.get(exc.code, 0) + 1

    count()
    # (29 accepted of 300 with this catalogue and seed; 0 would be vacuous)
    assert outcomes.get("accepted", 0) >= 20, outcomes
    assert sum(v for k, v in outcomes.items() if k != "accepted") >= 20, outcomes


@FAST
@given(body=st.one_of(
    st.binary(max_size=300),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda p, mid: wire.body_v2(wire.message(p, message_id=mid)),
              payloads(), st.one_of(hostile, st.just("m-1"))),
    st.builds(lambda p: wire.body_v1(wire.message(p)), payloads())))
def test_decoder_and_validator_never_raise_anything_else(body):
    try:
        n = envelope.from_body(body, 65536)
        VALIDATOR.accept(n, utcnow())
    except InvalidNotification as exc:
        assert exc.code in CODES


@FAST
@given(values=st.lists(hostile, min_size=3, max_size=3))
def test_rendering_never_interprets_values(values):
    t = Template("A {a} B {b} C {c} D")
    assert t.render(dict(zip("abc", values))) == "A {} B {} C {} D".format(*values)


@FAST
@given(data=st.data())
def test_a_valid_entry_always_renders(data):
    entry = data.draw(st.sampled_from(ENTRIES))
    params = wire.example_params(entry)
    n = Notification("m-1", "pub", "e", "ERROR", None,
                     {"event_id": entry.event_id, "params": params}, {"project_id": "p"})
    m = VALIDATOR.accept(n, utcnow())
    assume(m is not None)
    assert m.user_message == wire.expected_text(entry, params)
