"""The rule engine: paths, value specs, matching, and the load-time checks."""

from __future__ import annotations

import textwrap

import pytest

from collector import catalogue, rulecheck, rules
from collector.exceptions import InvalidNotification, MappingError
from collector.extract import MapPlugin, Spec, SpecError
from collector.mapping import Router
from collector.model import Notification
from collector.paths import Path, PathError

CAT = catalogue.sanctioned()
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


def note(event_type="scheduler.create_volume", payload=None, priority="ERROR",
         publisher="scheduler.host-a", context=None):
    return Notification("m-1", publisher, event_type, priority, None,
                        payload if payload is not None else {}, context or {})


def rule(**overrides):
    base = {
        "name": "t.rule", "event_type": "scheduler.create_volume", "priority": "error",
        "exception": "payload.reason",
        "event_id": {"fields": "exception", "plugin": {"name": "map", "parameters": {
            "values": {"NoValidBackend": "VOLUME_NO_VALID_BACKEND"},
            "default": "VOLUME_UNKNOWN_ERROR"}}},
        "fields": {"project_id": ["payload.volume_properties.project_id", "ctxt.project_id"],
                   "resource_uuid": "payload.volume_id"},
        "params": {"volume_id": "payload.volume_id", "operation": {"value": "create"}},
    }
    base.update(overrides)
    return base


def build(*raws):
    return rulecheck.build([(r, "test") for r in raws], CAT)


def problems(*raws):
    with pytest.raises(MappingError) as info:
        build(*raws)
    return str(info.value)


# -- paths ------------------------------------------------------------------
def test_paths_read_nested_quoted_and_indexed_values():
    n = note(payload={"nova_object.data": {"fault": {"nova_object.data": {"exception": "X"}}},
                      "devices": [{"volume_id": "v0"}, {"volume_id": "v1"}]},
             context={"project_id": "p"})
    assert Path("payload.'nova_object.data'.fault.\"nova_object.data\".exception").read(n) == "X"
    assert Path("payload.devices[1].volume_id").read(n) == "v1"
    assert Path("payload.devices[5].volume_id").read(n) is None
    assert Path("payload.devices.volume_id").read(n) is None  # a list has no keys
    assert Path("ctxt.project_id").read(n) == "p"
    assert Path("event_type").read(n) == "scheduler.create_volume"
    assert Path("exception").read(n, "NoValidBackend") == "NoValidBackend"
    assert Path("payload.'nova_object.data'.fault").last == "fault"


@pytest.mark.parametrize("text", ["payloads.x", "volume_id", "payload..x", "payload.x[a]",
                                  "publisher_id.host", "", "payload x"])
def test_bad_paths_are_refused(text):
    with pytest.raises(PathError):
        Path(text)


# -- exception classes and the map plugin -------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("NoValidBackend('No valid backend was found. No weighed backends available')",
     "NoValidBackend"),
    ("nova.exception.NoValidHost('No valid host')", "NoValidHost"),
    ("MaxRetriesExceeded", "MaxRetriesExceeded"),
    ({"nova_object.data": {"exception": "CinderConnectionFailed",
                           "exception_message": "host db01 refused"}}, "CinderConnectionFailed"),
    ({"exception": "BuildAbortException"}, "BuildAbortException"),
    # what real nova 34 sends once the scheduler's exception crossed RPC
    ({"nova_object.data": {"exception": "NoValidHost_Remote"}}, "NoValidHost"),
    ("{'kwargs': {'reason': '', 'code': 500}, 'message': 'No valid host was found. ', "
     "'class': 'NoValidHost_Remote'}", "NoValidHost"),
    ("{'message': \"x'}\", 'class': 'Evil'}", "Evil"),  # the last key decides, nothing else
    ("{'class': 'NoValidHost_Remote', 'message': 'x'}", None),  # not the shape nova sends
    ("_Remote", "_Remote"),
    ("No valid host was found. There are not enough hosts", None),
    ("<script>(", None), (42, None), (None, None), ({"nova_object.data": "x"}, None),
])
def test_only_the_exception_class_name_is_kept(value, expected):
    assert rules.exception_class(value) == expected


def test_map_plugin_exact_then_globs_then_default():
    m = MapPlugin({"values": {"*LimitExceeded": "quota", "VolumeLimitExceeded": "volumes",
                              500: "server"}, "default": "other"})
    assert m("VolumeLimitExceeded") == "volumes"  # exact keys win over globs
    assert m("SnapshotLimitExceeded") == "quota"
    assert m(500) == "server" and m("Nope") == "other" and m(None) == "other"
    assert m({"a": 1}) == "other"
    folded = MapPlugin({"values": {"capacityfilter": "c"}, "case_sensitive": False})
    assert folded("CapacityFilter") == "c" and folded("x") is None


@pytest.mark.parametrize("raw, message", [
    ({"value": "a", "fields": "payload.a"}, "exactly one"),
    ({"fields": "payload.a", "plugin": {"name": "split"}}, "only plugin"),
    ({"fields": "payload.a", "extra": 1}, "unknown key"),
    ({"value": True}, "string or an integer"),
    ([], "empty list"),
    ({"fields": "payload.a", "plugin": {"name": "map", "parameters": {"values": {},
                                                                       "bogus": 1}}},
     "no parameter bogus"),
])
def test_bad_value_specs_say_why(raw, message):
    with pytest.raises(SpecError, match=message):
        Spec(raw)


# -- matching and translating ---------------------------------------------------
def test_a_rule_translates_a_service_notification_into_herald_payload():
    (r,) = build(rule()).rules
    n = note(payload={"volume_id": VOL, "reason": "NoValidBackend('db01 is full')",
                      "volume_properties": {"project_id": "owner"}},
             context={"project_id": "admin", "request_id": "req-1", "session_id": "s-1"})
    out = r.translate(n)
    assert out.payload == {"event_id": "VOLUME_NO_VALID_BACKEND", "project_id": "owner",
                           "resource_uuid": VOL,
                           "params": {"volume_id": VOL, "operation": "create"}}
    assert out.context == {"session_id": "s-1"}  # no fallback to the admin's project
    assert (out.rule, out.message_id, out.event_type) == ("t.rule", "m-1",
                                                          "scheduler.create_volume")


def test_only_the_chosen_entry_parameters_are_produced():
    (r,) = build(rule(event_id={"fields": "exception", "plugin": {"name": "map", "parameters": {
        "values": {"ImageTooBig": "VOLUME_CREATE_IMAGE_TOO_BIG"},
        "default": "VOLUME_UNKNOWN_ERROR"}}})).rules
    n = note(payload={"volume_id": VOL, "reason": "ImageTooBig('x')",
                      "volume_properties": {"project_id": "p"}})
    assert r.translate(n).payload["params"] == {"volume_id": VOL}


def test_a_missing_value_is_unmappable_naming_the_rule_and_paths():
    (r,) = build(rule()).rules
    with pytest.raises(InvalidNotification) as info:
        r.translate(note(payload={"reason": "NoValidBackend()", "volume_id": VOL}))
    assert info.value.code == "unmappable"
    assert "rule t.rule: no value for project_id" in info.value.detail
    assert "payload.volume_properties.project_id" in info.value.detail
    with pytest.raises(InvalidNotification, match="parameter volume_id"):
        r.translate(note(payload={"reason": "X()"}, context={"project_id": "p"}))


def test_priority_publisher_conditions_and_excludes_select_rules():
    r1 = rule(name="only.conductor", event_type=["compute_task.*", "!compute_task.rebuild*"],
              publisher_id="compute_task.*",
              conditions=[{"fields": "payload.state", "matches": ["error", "failed"]}])
    (r,) = build(r1).rules
    base = {"state": "error"}
    assert r.matches_type("compute_task.build_instances")
    assert not r.matches_type("compute_task.rebuild_server")
    assert r.applies(note("compute_task.build_instances", base, publisher="compute_task.c1"))
    assert not r.applies(note("compute_task.build_instances", base, publisher="nova-compute"))
    assert not r.applies(note("compute_task.build_instances", base, priority="INFO",
                              publisher="compute_task.c1"))
    assert not r.applies(note("compute_task.build_instances", {"state": "active"},
                              publisher="compute_task.c1"))


def test_router_own_payload_mapped_and_routine():
    router = Router(build(rule()))
    own = note("user_message.create", {"event_id": "X"})
    assert router.route(own) is own
    legacy_own = note("anything.else", {"event_id": "X"})
    assert router.route(legacy_own) is legacy_own  # herald's payload, any event type
    assert router.route(note("compute.instance.update", {"state": "active"})) is None
    assert router.route(note(None, ["a list"])) is None
    assert router.route(note("scheduler.create_volume", {"state": "x"}, priority="INFO")) is None
    mapped = router.route(note(payload={"volume_id": VOL, "reason": "Boom()",
                                        "volume_properties": {"project_id": "p"}}))
    assert mapped.payload["event_id"] == "VOLUME_UNKNOWN_ERROR"


def test_candidates_are_cached_per_event_type():
    rs = build(rule(), rule(name="t.other", event_type="scheduler.*"))
    assert [r.name for r in rs.candidates("scheduler.create_volume")] == ["t.rule", "t.other"]
    assert rs.candidates("scheduler.create_volume") is rs.candidates("scheduler.create_volume")
    assert rs.candidates("compute.instance.update") == ()


# -- load-time checks -------------------------------------------------------------
def test_no_rule_may_produce_heralds_own_text():
    text = problems(rule(name="a", event_id="MESSAGING_UNAVAILABLE",
                         params={"since": "payload.since"}))
    assert "rule a: event_id 'MESSAGING_UNAVAILABLE' is herald's own text" in text


def test_every_problem_of_every_rule_is_reported_at_once():
    text = problems(
        rule(name="a", event_id="NOT_AN_ENTRY"),
        rule(name="b", params={"volume_id": "payload.volume_id"}),
        rule(name="c", params={"volume_id": "payload.volume_id", "operation": {"value": "create"},
                               "flavor": "payload.flavor"}),
        rule(name="d", fields={"resource_uuid": "payload.volume_id"}),
        rule(name="d"),
        {"event_type": "x", "event_id": "X", "fields": {}},
        rule(name="e", bogus=1),
    )
    assert "test: rule a: event_id 'NOT_AN_ENTRY' is not in the catalogue" in text
    assert "rule b: VOLUME_NO_VALID_BACKEND needs parameter(s) operation" in text
    assert "rule c: params.flavor is not a parameter of" in text
    assert "rule d: fields.project_id is required" in text
    assert "rule d: duplicate rule name" in text
    assert "rule #6: name is required" in text
    assert "rule e: unknown key bogus" in text


@pytest.mark.parametrize("params, message", [
    ({"volume_id": "payload.reason", "operation": {"value": "create"}},
     "params.volume_id reads free text"),
    ({"volume_id": "exception", "operation": {"value": "create"}},
     "params.volume_id reads free text"),
    ({"volume_id": "payload.'nova_object.data'.fault.'nova_object.data'.uuid",
      "operation": {"value": "create"}}, "reads free text"),
    ({"volume_id": "payload.volume_id", "operation": {"value": "explode"}},
     "'explode' does not fit"),
    ({"volume_id": {"value": "not-a-uuid"}, "operation": {"value": "create"}},
     "does not fit"),
])
def test_free_text_and_misfitting_constants_are_refused(params, message):
    assert message in problems(rule(params=params))


def test_free_text_may_select_a_choice_or_an_entry():
    build(rule(params={"volume_id": "payload.volume_id",
                       "operation": {"fields": "payload.reason", "plugin": {
                           "name": "map", "parameters": {"values": {"*extend*": "extend"},
                                                         "default": "create"}}}}))
    build(rule(params={"volume_id": "payload.volume_id", "operation": "payload.method"}))


def test_event_id_must_be_closed_and_have_a_default():
    assert "cannot be copied" in problems(rule(event_id={"fields": "payload.event_id"}))
    assert "needs a default" in problems(rule(event_id={"fields": "exception", "plugin": {
        "name": "map", "parameters": {"values": {"X": "VOLUME_NO_VALID_BACKEND"}}}}))


def test_fields_may_not_read_free_text():
    text = problems(rule(fields={"project_id": "ctxt.project_id", "request_id": "payload.message",
                                 "flavor": "payload.x"}))
    assert "fields.request_id reads free text" in text
    assert "fields: unknown flavor" in text


# -- files, merging, overrides ------------------------------------------------------
def test_shipped_rules_load_against_the_sanctioned_catalogue(conf):
    rs = rulecheck.load(conf, CAT)
    names = [r.name for r in rs.rules]
    assert names[0].startswith("nova.") and "cinder.scheduler.create_volume" in names
    assert "manila.scheduler.create_share" in names
    for r in rs.rules:
        assert r.description, r.name
        assert set(r.wanted) <= {e.event_id for e in CAT}


def test_operator_rules_come_first_replace_by_name_and_switch_off(conf, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent("""\
        - name: site.volume.first
          event_type: scheduler.create_volume
          event_id: VOLUME_UNKNOWN_ERROR
          fields: {project_id: ctxt.project_id}
          params: {volume_id: payload.volume_id, operation: {value: create}}
        - name: cinder.scheduler.volume_operation
          event_type: scheduler.extend_volume
          event_id: VOLUME_UNKNOWN_ERROR
          fields: {project_id: ctxt.project_id}
          params: {volume_id: payload.volume_id, operation: {value: extend}}
        - name: manila.scheduler.create_share
          enabled: false
        """))
    conf.set_override("rules_file", str(path), group="mapping")
    rs = rulecheck.load(conf, CAT)
    names = [r.name for r in rs.rules]
    assert names[0] == "site.volume.first"
    assert "manila.scheduler.create_share" not in names
    replaced = [r for r in rs.rules if r.name == "cinder.scheduler.volume_operation"]
    assert replaced[0].include == ("scheduler.extend_volume",)
    assert replaced[0].source == str(path)
    assert names.index("cinder.scheduler.volume_operation") > names.index(
        "cinder.scheduler.create_volume")  # in the shipped rule's place


@pytest.mark.parametrize("content, message", [
    ("- [unclosed", "not valid YAML"),
    ("name: not-a-list", "must be a YAML list"),
])
def test_a_broken_file_is_a_clear_error(conf, tmp_path, content, message):
    path = tmp_path / "rules.yaml"
    path.write_text(content)
    conf.set_override("rules_file", str(path), group="mapping")
    with pytest.raises(MappingError, match=message):
        rulecheck.load(conf, CAT)
    conf.set_override("rules_file", str(tmp_path / "missing.yaml"), group="mapping")
    with pytest.raises(MappingError, match="cannot read"):
        rulecheck.load(conf, CAT)


def test_unknown_shipped_set_and_none_at_all(conf):
    conf.set_override("shipped_rules", ["nova", "keystone"], group="mapping")
    with pytest.raises(MappingError, match="no shipped rules for 'keystone'"):
        rulecheck.load(conf, CAT)
    conf.set_override("shipped_rules", [], group="mapping")
    assert len(rulecheck.load(conf, CAT)) == 0
