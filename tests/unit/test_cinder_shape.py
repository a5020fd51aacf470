"""herald-api's bodies against Tempest's schema for Cinder's messages API.

``tempest/lib/api_schema/response/volume/messages.py`` (tempest 47),
written out here: ``additionalProperties: false`` on each message and on
the list and show bodies, ``request_id`` a string, ``id`` and
``resource_uuid`` UUIDs, times ISO 8601. At any ``volume`` microversion,
and with none, herald's bodies must pass it; with herald's opt-in
(``user-messages 1.0``) they carry the event model's keys as well.
"""

from __future__ import annotations

import datetime
import json
import uuid

import jsonschema
import pytest
import webob

from api import app as api_app
from api import microversion
from collector import resources

NOW = datetime.datetime(2026, 12, 5, 12, 0, 0, 123456)

LINKS = {"type": "array", "items": {
    "type": "object", "properties": {"href": {"type": "string", "format": "uri"},
                                     "rel": {"type": "string"}},
    "additionalProperties": False, "required": ["href", "rel"]}}
DATE_TIME = {"type": "string", "format": "iso8601-date-time"}
TEMPEST_MESSAGE = {
    "type": "object",
    "properties": {
        "request_id": {"type": "string"}, "message_level": {"type": "string"},
        "links": LINKS, "event_id": {"type": "string"}, "created_at": DATE_TIME,
        "guaranteed_until": DATE_TIME, "resource_uuid": {"type": "string", "format": "uuid"},
        "id": {"type": "string", "format": "uuid"}, "resource_type": {"type": "string"},
        "user_message": {"type": "string"}},
    "additionalProperties": False,
    "required": ["request_id", "message_level", "event_id", "created_at", "id",
                 "user_message"],
}
TEMPEST_SHOW = {"type": "object", "properties": {"message": TEMPEST_MESSAGE},
                "additionalProperties": False, "required": ["message"]}
TEMPEST_LIST = {"type": "object",
                "properties": {"messages": {"type": "array", "items": TEMPEST_MESSAGE}},
                "additionalProperties": False, "required": ["messages"]}

CHECKER = jsonschema.FormatChecker(formats=())


@CHECKER.checks("iso8601-date-time", raises=ValueError)
def _iso8601(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.datetime.fromisoformat(value))


@CHECKER.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


def validate(body: object, schema: dict) -> None:
    jsonschema.Draft4Validator(schema, format_checker=CHECKER).validate(body)


def row(n: int, **kw: object) -> dict:
    out = {"id": str(uuid.UUID(int=n)), "message_id": f"mid-{n}", "project_id": "p1",
           "request_id": f"req-{uuid.UUID(int=1000 + n)}", "event_id": "VOLUME_NO_VALID_BACKEND",
           "event_type": "volume.schedule.failed", "category": "system",
           "resource_type": "VOLUME", "resource_uuid": str(uuid.UUID(int=2000 + n)),
           "message_level": "ERROR", "user_message": f"Volume {n} could not be created.",
           "parent_id": None, "root_id": str(uuid.UUID(int=n)), "step_id": None, "count": 1,
           "last_seen_at": NOW, "created_at": NOW, "expires_at": NOW}
    out.update(kw)
    return out


class Store:
    """Three messages of p1: an ordinary one, one without a request ID (a
    row an older listener wrote), one about no resource."""

    def __init__(self) -> None:
        self.rows = [row(1), row(2, request_id=None),
                     row(3, resource_type=None, resource_uuid=None)]

    def list_messages(self, project_id, **page):
        self.asked = page
        return [r for r in self.rows if page.get("resource_type") in (None, r["resource_type"])]

    def get_message(self, project_id, message_id):
        return next((r for r in self.rows if r["id"] == message_id), None)


@pytest.fixture
def app(conf):
    conf.set_override("auth_strategy", "noauth", group="api")
    store = Store()
    return api_app.build(conf, store), store


def get(app, path: str, version: str | None) -> tuple[int, dict, webob.Response]:
    headers = {"X-Auth-Token": "u1:p1"}
    if version is not None:
        headers[microversion.HEADER] = version
    res = webob.Request.blank(path, headers=headers).get_response(app)
    return res.status_int, json.loads(res.body), res


@pytest.mark.parametrize("version", [None, "volume 3.3", "volume 3.5", "volume 3.67",
                                     "volume latest", "compute 2.1"])
@pytest.mark.parametrize("prefix", ["/v3/p1", "/v3"])
def test_cinder_versions_answer_exactly_cinders_bodies(app, version, prefix):
    app, store = app
    status, body, _ = get(app, f"{prefix}/messages", version)
    assert status == 200
    validate(body, TEMPEST_LIST)
    assert len(body["messages"]) == 3
    for m in body["messages"]:
        assert set(m) <= set(TEMPEST_MESSAGE["properties"])
    for r in store.rows:
        status, shown, _ = get(app, f"{prefix}/messages/{r['id']}", version)
        assert status == 200
        validate(shown, TEMPEST_SHOW)
        assert list(shown) == ["message"]


def test_the_schema_check_can_fail(app):
    """The opt-in's bodies are what Tempest rejects: the check above bites."""
    app, _ = app
    status, body, _ = get(app, "/v3/p1/messages", "user-messages 1.0")
    assert status == 200
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        validate(body, TEMPEST_LIST)
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'string'"):
        validate({"messages": [{**body["messages"][0], "request_id": None}]},
                 {"type": "object", "properties": {"messages": {
                     "type": "array", "items": {"type": "object", "properties": {
                         "request_id": {"type": "string"}}}}}})


def test_every_message_has_a_request_id(app):
    app, store = app
    _, body, _ = get(app, "/v3/p1/messages", None)
    by_id = {m["id"]: m for m in body["messages"]}
    assert by_id[store.rows[0]["id"]]["request_id"] == store.rows[0]["request_id"]
    derived = by_id[store.rows[1]["id"]]["request_id"]
    assert derived == resources.derived_request_id(store.rows[1]["id"])
    assert derived.startswith("req-") and uuid.UUID(derived[4:])
    assert "resource_type" not in by_id[store.rows[2]["id"]]


@pytest.mark.parametrize("version", ["user-messages 1.0", "user-messages latest",
                                     "volume 3.5, user-messages 1.0"])
def test_the_opt_in_adds_the_event_model(app, version):
    app, store = app
    status, body, res = get(app, "/v3/p1/messages", version)
    assert status == 200
    first = body["messages"][0]
    assert {"event_type", "category", "count", "last_seen_at", "parent_id", "root_id",
            "project_id"} <= set(first)
    assert first["request_id"].startswith("req-")
    assert "user-messages 1.0" in res.headers[microversion.HEADER]
    status, shown, _ = get(app, f"/v3/p1/messages/{store.rows[0]['id']}", version)
    assert list(shown) == ["message"] and shown["message"]["count"] == 1


@pytest.mark.parametrize(("version", "status"), [("user-messages 2.0", 406),
                                                 ("user-messages 0.9", 406),
                                                 ("user-messages one", 400)])
def test_the_opt_in_has_its_own_range(app, version, status):
    app, _ = app
    assert get(app, "/v3/p1/messages", version)[0] == status


@pytest.mark.parametrize("spelling", ["VOLUME", "volume", "Volume"])
def test_resource_type_filters_read_both_spellings(app, spelling):
    app, store = app
    _, body, _ = get(app, f"/v3/p1/messages?resource_type={spelling}", "volume 3.5")
    assert store.asked["resource_type"] == "VOLUME"
    assert len(body["messages"]) == 2


@pytest.mark.parametrize(("given", "stored"), [
    ("volume", "VOLUME"), ("VOLUME", "VOLUME"), ("snapshot", "VOLUME_SNAPSHOT"),
    ("VOLUME_SNAPSHOT", "VOLUME_SNAPSHOT"), ("backup", "VOLUME_BACKUP"), ("share", "SHARE"),
    ("share_snapshot", "SHARE_SNAPSHOT"), ("instance", "INSTANCE")])
def test_resource_types_are_the_services_own(given, stored):
    assert resources.normalise(given) == stored


def test_derived_request_ids_are_stable():
    assert resources.derived_request_id("m1") == resources.derived_request_id("m1")
    assert resources.derived_request_id("m1") != resources.derived_request_id("m2")
