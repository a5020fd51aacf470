import datetime

import pytest

from collector import catalogue, resources
from collector.exceptions import InvalidNotification
from collector.model import Notification
from collector.validation import Validator, parse_timestamp
from tests.wire import example_params, expected_text

NOW = datetime.datetime(2026, 11, 21, 12, 0, 0)
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


@pytest.fixture(scope="module")
def validator():
    return Validator(catalogue.sanctioned(), ttl=30 * 86400, max_clock_skew=300)


def note(payload, context=None, timestamp="2026-11-21 11:59:00.5", message_id="m-1"):
    ctx = {"project_id": "proj1", "user_id": "user1", "request_id": "req-1"}
    return Notification(message_id, "volume.host-a", "user_message.create", "ERROR", timestamp,
                        payload, ctx if context is None else context)


def extend(**params):
    p = {"volume_id": VOL, "new_size_gb": 20, "reason": "no_capacity"}
    p.update(params)
    return {"event_id": "VOLUME_EXTEND_FAILED", "params": p}


def reject(validator, n):
    with pytest.raises(InvalidNotification) as exc:
        validator.accept(n, NOW)
    assert "\n" not in exc.value.detail and "\r" not in exc.value.detail
    return exc.value.code, exc.value.detail


def test_every_catalogue_entry_is_accepted_with_exact_text(validator):
    for e in validator.catalogue:
        if e.herald_only:
            continue  # refused: the next test
        params = example_params(e)
        m = validator.accept(note({"event_id": e.event_id, "params": params}), NOW)
        assert m.user_message == expected_text(e, params)
        assert (m.event_id, m.resource_type, m.message_level) == (
            e.event_id, e.resource_type, e.level)


def test_herald_own_texts_are_never_accepted_from_a_notification(validator):
    own = [e for e in validator.catalogue if e.herald_only]
    assert sorted(e.event_id for e in own) == [
        "INSTANCE_CREATE_COMPLETED_LATE", "INSTANCE_CREATE_STALLED", "MESSAGING_UNAVAILABLE",
        "SHARE_CREATE_COMPLETED_LATE", "SHARE_CREATE_STALLED", "VOLUME_CREATE_COMPLETED_LATE",
        "VOLUME_CREATE_STALLED"]
    for e in own:
        code, detail = reject(validator, note({"event_id": e.event_id,
                                               "params": example_params(e)}))
        assert code == "unknown_event_id" and "herald's own" in detail
        # herald itself (the stall watcher) may write them
        assert validator.accept(note({"event_id": e.event_id, "params": example_params(e)}),
                                NOW, herald=True).event_id == e.event_id


def test_accepted_message_fields(validator):
    m = validator.accept(note(extend(), context={"tenant": "t1", "user": "u2",
                                                 "request_id": "req-9",
                                                 "resource_uuid": VOL}), NOW)
    assert m.user_message == (f"Volume {VOL} could not be extended to 20 GB: the storage back "
                              "end does not have enough free capacity. It remains usable at "
                              "its previous size.")
    assert (m.project_id, m.user_id, m.request_id, m.resource_uuid) == ("t1", "u2", "req-9", VOL)
    assert m.created_at == datetime.datetime(2026, 11, 21, 11, 59, 0, 500000)
    assert m.expires_at - m.created_at == datetime.timedelta(days=30)
    assert m.publisher_id == "volume.host-a" and m.message_id == "m-1"
    assert len(m.id) == 36


def test_payload_fields_win_over_context(validator):
    payload = extend() | {"project_id": "pp", "user_id": "pu", "request_id": "req-p",
                          "resource_uuid": "r1", "resource_type": "VOLUME"}
    m = validator.accept(note(payload), NOW)
    assert (m.project_id, m.user_id, m.request_id, m.resource_uuid, m.resource_type) == (
        "pp", "pu", "req-p", "r1", "VOLUME")
    # herald's old spelling is read too
    assert validator.accept(note(payload | {"resource_type": "volume"}), NOW).resource_type \
        == "VOLUME"


def test_optional_fields_may_be_absent(validator):
    m = validator.accept(note(extend(), context={"project_id": "p"}, timestamp=None), NOW)
    assert (m.user_id, m.resource_uuid) == (None, None)
    # Cinder's messages always name a request: derived from the notification,
    # so that its redelivery names the same one
    assert m.request_id == resources.derived_request_id("m-1") != \
        resources.derived_request_id("m-2")
    assert m.request_id == validator.accept(
        note(extend(), context={"project_id": "p"}, timestamp=None), NOW).request_id
    assert m.created_at == NOW


@pytest.mark.parametrize("payload, context, code, detail", [
    ([1], None, "bad_envelope", "payload is not a JSON object"),
    ({"params": {}}, None, "missing_field", "no event_id"),
    ({"event_id": ""}, None, "missing_field", "no event_id"),
    ({"event_id": "NOPE"}, None, "unknown_event_id", "'NOPE' is not in the catalogue"),
    ({"event_id": 42}, None, "unknown_event_id", "<int>"),
    ({"event_id": "X\r\nFORGED LOG LINE"}, None, "unknown_event_id", "'X??FORGED LOG LINE'"),
    (extend(), {}, "missing_field", "no project_id"),
    (extend() | {"project_id": "p 1"}, None, "bad_field", "project_id"),
    (extend() | {"project_id": "p" * 65}, None, "bad_field", "at most 64"),
    (extend() | {"request_id": "<script>"}, None, "bad_field", "request_id"),
    (extend() | {"user_id": 5}, None, "bad_field", "user_id <int>"),
    (extend() | {"resource_type": "snapshot"}, None, "resource_type_mismatch", "'VOLUME'"),
    (extend() | {"resource_type": "VOLUME_SNAPSHOT"}, None, "resource_type_mismatch",
     "'VOLUME'"),
    ({"event_id": "VOLUME_EXTEND_FAILED", "params": "x"}, None, "bad_parameter", "not a JSON"),
    ({"event_id": "VOLUME_EXTEND_FAILED"}, None, "bad_parameter", "missing 'new_size_gb'"),
    (extend(extra=1), None, "bad_parameter", "unexpected 'extra'"),
    (extend(new_size_gb="20"), None, "bad_parameter", "expected an integer, got str"),
    (extend(new_size_gb=0), None, "bad_parameter", "out of range"),
    (extend(volume_id="nope"), None, "bad_parameter", "canonical UUID"),
    (extend(reason="disk on fire"), None, "bad_parameter", "not one of the allowed values"),
])
def test_rejections(validator, payload, context, code, detail):
    got_code, got_detail = reject(validator, note(payload, context))
    assert got_code == code
    assert detail in got_detail


@pytest.mark.parametrize("value", [
    "db\r\nERROR forged", "x\x1b[31m", "{0.__class__}", "${jndi}", "%(x)s %n", "<script>",
    "a" * 65, "x\u202e"])
def test_hostile_parameters_never_render(validator, value):
    payload = {"event_id": "VOLUME_RETYPE_FAILED",
               "params": {"volume_id": VOL, "volume_type": value, "reason": "in_use"}}
    code, detail = reject(validator, note(payload))
    assert code == "bad_parameter" and "volume_type" in detail
    assert value not in detail


class TestTimestamps:
    def test_offset_is_converted_to_utc(self, validator):
        m = validator.accept(note(extend(), timestamp="2026-11-21T13:00:00+02:00"), NOW)
        assert m.created_at == datetime.datetime(2026, 11, 21, 11, 0, 0)

    @pytest.mark.parametrize("timestamp, detail", [
        ("2026-11-21 12:06:00", "360 s in the future (max_clock_skew=300)"),
        ("2026-10-01 00:00:00", "older than message_ttl"),
        ("yesterday", "is not ISO 8601"),
        (1700000000, "is not a string"),
    ])
    def test_refused(self, validator, timestamp, detail):
        code, got = reject(validator, note(extend(), timestamp=timestamp))
        assert code == "bad_timestamp" and detail in got

    def test_small_skew_is_accepted(self, validator):
        m = validator.accept(note(extend(), timestamp="2026-11-21 12:04:00"), NOW)
        assert m.created_at > NOW

    def test_parse_naive(self):
        assert parse_timestamp("2026-11-21 23:29:05.777947") == \
            datetime.datetime(2026, 11, 21, 23, 29, 5, 777947)


def test_new_id_is_a_canonical_random_uuid():
    import uuid as uuid_mod

    from collector.validation import new_id
    ids = {new_id() for _ in range(20000)}
    assert len(ids) == 20000
    for text in list(ids)[:2000]:
        u = uuid_mod.UUID(text)
        assert (u.version, u.variant, str(u)) == (4, uuid_mod.RFC_4122, text)


@pytest.mark.parametrize("publisher, stored", [
    ("volume.host-a@lvm#pool", None),  # '#' is not in the allow-list
    ("volume.host-a@lvm", "volume.host-a@lvm"),
    ("compute/host1", "compute/host1"),
    ("bad\tpublisher\nx", None),
    ("x" * 300, None),
])
def test_publisher_id_is_kept_only_when_plain(validator, publisher, stored):
    n = note(extend())
    n.publisher_id = publisher
    assert validator.accept(n, NOW).publisher_id == stored


class TestEventModel:
    PARENT = "11111111-2222-4333-8444-555555555555"

    def test_type_category_and_own_root(self, validator):
        m = validator.accept(note(extend()), NOW)
        assert (m.event_type, m.category) == ("volume.extend.failed", "action")
        assert m.parent_id is None and m.root_id == m.id

    def test_emitter_chosen_id_parent_and_root(self, validator):
        payload = extend() | {"id": self.PARENT.upper(), "parent_id": VOL}
        m = validator.accept(note(payload), NOW)
        assert (m.id, m.parent_id, m.root_id) == (self.PARENT, VOL, None)  # root: resolved later
        m = validator.accept(note(extend() | {"parent_id": VOL, "root_id": self.PARENT}), NOW)
        assert m.root_id == self.PARENT

    @pytest.mark.parametrize("field", ["id", "parent_id", "root_id"])
    def test_ids_must_be_uuids(self, validator, field):
        code, detail = reject(validator, note(extend() | {field: "not-a-uuid"}))
        assert code == "bad_field" and field in detail

    def test_session_and_claim_are_kept_only_when_plain(self, validator):
        ctx = {"project_id": "p", "session_id": "session/abc", "active_claim": "group/admins"}
        m = validator.accept(note(extend(), context=ctx), NOW)
        assert (m.session_id, m.claim) == (None, None)  # '/' is not in the allow-list
        ctx = {"project_id": "p", "session_id": "sess-1", "active_claim": "group:admins"}
        m = validator.accept(note(extend(), context=ctx), NOW)
        assert (m.session_id, m.claim) == ("sess-1", "group:admins")
        assert "sess-1" not in m.user_message


class TestStepReports:
    CLUSTER = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a21"

    def payload(self, **step):
        block = {"name": "LAUNCH_INSTANCES", "type": "creating", "completed": 3, "total": 10}
        block.update(step)
        return {"event_id": "CLUSTER_INSTANCE_READY", "resource_uuid": self.CLUSTER,
                "params": {"instance_name": "node 1", "cluster_id": self.CLUSTER},
                "step": block}

    def test_accepted(self, validator):
        m = validator.accept(note(self.payload(successful=None)), NOW)
        assert (m.step.name, m.step.type, m.step.completed, m.step.total, m.step.successful) \
            == ("LAUNCH_INSTANCES", "creating", 3, 10, None)

    @pytest.mark.parametrize("step, detail", [
        ({"name": "MINE_BITCOIN"}, "step name 'MINE_BITCOIN' is not in the catalogue"),
        ({"type": "exploding"}, "step type 'exploding' is not one of"),
        ({"completed": 11}, "0 <= completed <= total"),
        ({"total": 0, "completed": 0}, "total >= 1"),
        ({"completed": "3"}, "must be integers"),
        ({"successful": "yes"}, "true, false or null"),
    ])
    def test_refused(self, validator, step, detail):
        code, got = reject(validator, note(self.payload(**step)))
        assert code == "bad_field" and detail in got

    def test_a_step_needs_a_resource(self, validator):
        payload = self.payload()
        del payload["resource_uuid"]
        code, got = reject(validator, note(payload, context={"project_id": "p"}))
        assert code == "bad_field" and "needs a resource_uuid" in got


def test_a_null_id_gets_one_made(validator):
    m = validator.accept(note(extend() | {"id": None, "parent_id": None}), NOW)
    assert len(m.id) == 36 and m.root_id == m.id
