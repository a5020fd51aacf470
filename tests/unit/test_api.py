"""herald-api's request handling without a database: microversions, query
strings, authentication and faults."""

from __future__ import annotations

import json

import pytest
import webob
from keystonemiddleware import auth_token

from api import app as api_app
from api import microversion, query
from api.errors import APIError


class NoStore:
    """Every read finds nothing; the tests below never get that far or
    only need an empty project."""

    def list_messages(self, project_id, **page):
        self.asked = (project_id, page)
        return []

    def get_message(self, project_id, message_id):
        return None

    def get_message_of_any_project(self, message_id):
        return None

    outage = None

    def broker_outage(self):
        return self.outage


@pytest.fixture
def make_app(conf):
    def make(strategy: str = "noauth", **api_opts):
        conf.set_override("auth_strategy", strategy, group="api")
        for name, value in api_opts.items():
            conf.set_override(name, value, group="api")
        if strategy == "keystone":  # auth_token reads its options when built
            for group, options in auth_token.list_opts():
                conf.register_opts(options, group=group)
            conf.set_override("www_authenticate_uri", "http://keystone.invalid/identity",
                              group="keystone_authtoken")
        store = NoStore()
        return api_app.build(conf, store), store
    return make


def call(app, path, method="GET", **headers):
    req = webob.Request.blank(path, method=method, headers=headers)
    res = req.get_response(app)
    return res.status_int, (json.loads(res.body) if res.body else {}), res.headers


@pytest.mark.parametrize(("header", "want"), [
    (None, "3.71"), ("volume 3.5", "3.5"), ("volume latest", "3.71"), ("VOLUME 3.3", "3.3"),
    ("compute 2.1", "3.71"), ("compute 2.1, volume 3.10", "3.10")])
def test_microversions(header, want):
    headers = {} if header is None else {microversion.HEADER: header}
    assert str(microversion.parse(headers)) == want


@pytest.mark.parametrize(("header", "status"), [
    ("volume 4.0", 406), ("volume 3.72", 406), ("volume 2.9", 406), ("volume 3", 400),
    ("volume 3.five", 400), ("volume ", 400)])
def test_bad_microversions(header, status):
    with pytest.raises(microversion.VersionError) as exc:
        microversion.parse({microversion.HEADER: header})
    assert exc.value.status == status


def test_legacy_header_is_read():
    assert str(microversion.parse({microversion.LEGACY_HEADER: "3.4"})) == "3.4"


def parse(**params):
    return query.parse(params, max_limit=100, default_limit=20, with_query=True)


def test_query_defaults_and_caps():
    q = parse()
    assert (q.limit, q.sort_key, q.ascending, q.offset) == (20, "created_at", False, 0)
    assert parse(limit="5000").limit == 100
    assert parse(sort="event_id:asc").sort_key == "event_id"
    assert parse(sort_key="id", sort_dir="ASC").ascending
    assert parse(created_since="2026-11-30T10:00:00+02:00").since.hour == 8
    assert parse(all_tenants="True").all_projects and not parse(all_tenants="0").all_projects
    # before 3.5 Cinder reads none of it
    q = query.parse({"limit": "x", "sort": "bogus"}, max_limit=100, default_limit=20,
                    with_query=False)
    assert (q.limit, q.sort_key) == (20, "created_at")


@pytest.mark.parametrize("params", [
    {"limit": "-1"}, {"limit": "1.5"}, {"offset": "-3"}, {"sort": "x"},
    {"sort": "created_at:up"}, {"sort": "created_at", "sort_dir": "asc"},
    {"sort": "created_at:asc,id:asc"}, {"created_before": "last week"}, {"marker": ""},
    {"marker": "m" * 65}, {"event_id": "e" * 256}])
def test_bad_queries_are_400(params):
    with pytest.raises(APIError) as exc:
        parse(**params)
    assert exc.value.status == 400


def test_noauth_trusts_only_the_token(make_app):
    app, store = make_app()
    # a spoofed project header does not change whose messages are read
    status, _, _ = call(app, "/v3/messages", **{"X-Auth-Token": "u1:mine",
                                                "X-Project-Id": "theirs"})
    assert status == 200 and store.asked[0] == "mine"
    assert call(app, "/v3/theirs/messages", **{"X-Auth-Token": "u1:mine",
                                                "X-Project-Id": "theirs"})[0] == 403
    for token in ("", "u1", ":p", "u1:", "u 1:p", "u1:p/q"):
        assert call(app, "/v3/messages", **{"X-Auth-Token": token})[0] == 401, token


def test_keystone_refuses_without_a_token_but_serves_discovery(make_app):
    app, _ = make_app("keystone")
    status, body, headers = call(app, "/v3/p1/messages", **{"X-Roles": "admin",
                                                             "X-Project-Id": "p1"})
    assert status == 401 and "keystone.invalid" in headers["WWW-Authenticate"]
    status, body, _ = call(app, "/")
    assert status == 200 and body["versions"][0]["min_version"] == "3.0"
    assert call(app, "/v3/p1")[0] == 200


def test_responses_name_their_microversion(make_app):
    app, _ = make_app()
    status, _, headers = call(app, "/v3/messages", **{
        "X-Auth-Token": "u:p", microversion.HEADER: "volume 3.5"})
    assert status == 200
    assert headers[microversion.HEADER] == "volume 3.5"
    assert headers["Vary"] == f"{microversion.HEADER}, Accept-Language"
    assert headers["Content-Language"] == "en"  # no Accept-Language: English, as before
    assert headers["x-openstack-request-id"].startswith("req-")


def test_faults_are_cinders(make_app):
    app, _ = make_app()
    status, body, _ = call(app, "/v3/p/messages/abc", **{"X-Auth-Token": "u:p"})
    assert status == 404 and body == {"itemNotFound": {
        "code": 404, "message": "message abc could not be found"}}
    status, body, _ = call(app, "/v3/p/messages", "POST", **{"X-Auth-Token": "u:p"})
    assert status == 405 and body["badMethod"]["code"] == 405


def test_a_bug_is_a_500_without_its_text(make_app, caplog):
    app, store = make_app()

    def broken(project_id, **page):
        raise RuntimeError("secret-host.example: connection details")
    store.list_messages = broken
    status, body, _ = call(app, "/v3/messages", **{"X-Auth-Token": "u:p"})
    assert status == 500 and "secret" not in json.dumps(body)
    assert "secret-host.example" in caplog.text  # for the operator, in the log


def test_healthcheck(make_app):
    app, _ = make_app()
    status = webob.Request.blank("/healthcheck").get_response(app).status_int
    assert status == 200


def test_an_unreachable_database_is_a_503(make_app):
    from collector.exceptions import StorageUnavailable
    app, store = make_app()

    def down(project_id, **page):
        raise StorageUnavailable("OperationalError: connection refused")
    store.list_messages = down
    status, body, headers = call(app, "/v3/messages", **{"X-Auth-Token": "u:p"})
    assert status == 503 and body["serviceUnavailable"]["code"] == 503
    assert headers["Retry-After"] == "5" and "refused" not in json.dumps(body)


def test_only_administrators_read_the_operators_project(make_app, conf):
    """herald's operator messages (listener.watch) name hosts and queues."""
    from api import messages, policy

    app, store = make_app()
    for path in ("/v3/_operators/messages", "/v3/_operators/messages/x"):
        assert call(app, path, **{"X-Auth-Token": "u1:mine"})[0] == 403, path
    assert call(app, "/v3/mine/messages?project_id=_operators",
                **{"X-Auth-Token": "u1:mine", "OpenStack-API-Version": "volume 3.5"})[0] == 403
    from collector.rendering import Texts

    handler = messages.Messages(conf, store, policy.enforcer(conf), Texts(conf))

    def request(roles, project="adminproj"):
        req = webob.Request.blank("/v3/_operators/messages")
        req.environ.update({"HTTP_X_PROJECT_ID": project, "HTTP_X_ROLES": roles,
                            "herald.version": microversion.parse({})})
        return req

    handler.index(request("admin,member,reader"), "_operators")
    assert store.asked[0] == "_operators"
    with pytest.raises(APIError) as exc:
        handler.index(request("member,reader"), "_operators")
    assert exc.value.status == 403
    with pytest.raises(APIError) as exc:  # a token scoped to a project of that name
        handler.index(request("member,reader", project="_operators"))
    assert exc.value.status == 403


def test_messaging_status_says_since_when_in_the_catalogues_words(make_app):
    import datetime
    app, store = make_app()
    status, body, _ = call(app, "/v3/p/messaging-status", **{"X-Auth-Token": "u:p"})
    assert status == 200 and body["messaging_status"]["available"] is True
    assert body["messaging_status"]["message"] is None
    store.outage = {"started_at": datetime.datetime(2026, 12, 5, 21, 40, 7),
                    "opened_by": "secret-host"}
    status, body, _ = call(app, "/v3/p/messaging-status", **{"X-Auth-Token": "u:p"})
    assert status == 200 and body["messaging_status"] == {
        "available": False, "unavailable_since": "2026-12-05T21:40:07",
        "event_id": "MESSAGING_UNAVAILABLE", "message_level": "WARNING",
        "message": "The cloud's internal messaging service has been unavailable since "
                   "2026-12-05 21:40 UTC: new requests may hang or stay in progress until "
                   "it recovers."}
    assert "secret-host" not in json.dumps(body)  # the recording node is operators' only
    # another project's URL: refused, as for messages
    assert call(app, "/v3/other/messaging-status", **{"X-Auth-Token": "u:p"})[0] == 403
    assert call(app, "/v3/p/messaging-status", "POST", **{"X-Auth-Token": "u:p"})[0] == 405


def test_messaging_status_uses_the_operators_wording(make_app, conf, tmp_path):
    import datetime
    override = tmp_path / "override.yaml"
    override.write_text("MESSAGING_UNAVAILABLE: \"Our messaging is down since {since}.\"\n")
    conf.set_override("override_file", str(override), group="catalogue")
    app, store = make_app()
    store.outage = {"started_at": datetime.datetime(2026, 12, 5, 21, 40), "opened_by": "h"}
    body = call(app, "/v3/p/messaging-status", **{"X-Auth-Token": "u:p"})[1]
    assert body["messaging_status"]["message"] == \
        "Our messaging is down since 2026-12-05 21:40 UTC."
