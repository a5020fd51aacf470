import json

import pytest

from collector import envelope
from collector.exceptions import InvalidNotification
from tests import wire

MAX = 65536


def _code(body, max_size=MAX):
    with pytest.raises(InvalidNotification) as exc:
        envelope.from_body(body, max_size)
    return exc.value.code, exc.value.detail


def test_both_wire_formats_decode_the_same():
    msg = wire.message(wire.payload("X", {"a": 1}), message_id="m-1",
                       context={"project_id": "p1", "user": "u1", "auth_token": "T"})
    n1 = envelope.from_body(wire.body_v1(msg), MAX)
    n2 = envelope.from_body(wire.body_v2(msg), MAX)
    assert n1 == n2
    assert n1.message_id == "m-1"
    assert n1.payload == {"event_id": "X", "params": {"a": 1}}
    assert n1.priority == "ERROR" and n1.publisher_id == "volume.host-a"
    assert n1.context == {"project_id": "p1", "user": "u1"}  # no auth_token copied


@pytest.mark.parametrize("body, code, detail", [
    (b"{not json", "malformed_json", "Expecting property name"),
    (b"", "malformed_json", "Expecting value"),
    (b"\xff\xfe\xfa{}", "bad_encoding", "not valid UTF-8"),
    ('{"a": 1}'.encode("utf-16"), "bad_encoding", "not valid UTF-8"),  # BOM: no guessing
    (b"[" * 5_000 + b"]" * 5_000, "malformed_json", "nested too deeply"),
    (b"[1, 2]", "bad_envelope", "JSON list, not an object"),
    (b'"text"', "bad_envelope", "JSON str"),
    (b'{"oslo.version": "1.0", "oslo.message": "{}"}', "bad_envelope", "unsupported oslo.version"),
    (b'{"oslo.version": "2.0", "oslo.message": {"a": 1}}', "bad_envelope", "not a JSON string"),
    (b'{"oslo.version": "2.0", "oslo.message": "[1]"}', "bad_envelope", "not a JSON object"),
    (b'{"oslo.version": "2.0", "oslo.message": "{bad"}', "malformed_json", "oslo.message"),
    (b'{"payload": {}}', "bad_envelope", "no message_id"),
    (b'{"message_id": "a b\\r\\nFORGED"}', "bad_envelope", "is not an identifier"),
    (b'{"message_id": 7}', "bad_envelope", "is not an identifier"),
])
def test_unusable_bodies(body, code, detail):
    got_code, got_detail = _code(body)
    assert got_code == code
    assert detail in got_detail
    assert "\n" not in got_detail and "\r" not in got_detail


def test_oversized_is_refused_before_parsing():
    code, detail = _code(b"x" * 2000, max_size=1024)
    assert code == "oversized" and "2000 bytes" in detail


def test_from_oslo():
    decoded = {"ctxt": {"project_id": "p1", "auth_token": "T"}, "publisher_id": "pub",
               "event_type": "e", "payload": {"event_id": "X"},
               "metadata": {"message_id": "m-2", "timestamp": "2026-01-01 00:00:00"}}
    n = envelope.from_oslo(decoded, "error", MAX)
    assert (n.message_id, n.priority, n.timestamp) == ("m-2", "error", "2026-01-01 00:00:00")
    assert n.context == {"project_id": "p1"}
    with pytest.raises(InvalidNotification, match="oversized"):
        envelope.from_oslo({**decoded, "payload": {"x": "y" * 3000}}, "error", 1024)


def test_str_bodies_from_the_amqp_client():
    msg = wire.message(wire.payload("X"), message_id="m-s")
    assert envelope.from_body(wire.body_v2(msg).decode(), MAX).message_id == "m-s"
    assert envelope.body_bytes("é") == "é".encode() and envelope.body_bytes(b"x") == b"x"
    with pytest.raises(InvalidNotification, match="oversized"):
        envelope.from_body("é" * 600, 1024)  # 1200 bytes, 600 characters


def test_body_key_is_stable():
    assert envelope.body_key(b"abc") == envelope.body_key(b"abc") != envelope.body_key(b"abd")
    assert envelope.body_key(b"abc").startswith("sha256:")


def test_encode_oslo_survives_odd_values():
    assert json.loads(envelope.encode_oslo({"a": {1, 2}.__class__.__name__, "b": b"x"}))
