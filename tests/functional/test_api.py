"""herald-api with the clients people already use, on every database.

A real herald-api process (noauth) serves what herald's store holds, in
pages of 7 so that every client has to follow pages; python-cinderclient's
``cinder``, python-openstackclient's ``openstack`` and openstacksdk must
show exactly the stored rows, filtered and sorted, and never another
project's. Malformed requests get their documented 4xx, never a 500.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from collector.model import StepReport, UserMessage, utcnow
from storage import get_connection
from tests import services

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
MINE, OTHER = "projmine", "projother"
PAGE = 7
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def stored_rows(project: str, n: int, now: datetime.datetime) -> list[UserMessage]:
    levels = ["ERROR", "WARNING", "INFO"]
    return [UserMessage(
        id=str(uuid.uuid4()), message_id=f"{project}-{i}-{uuid.uuid4()}", project_id=project,
        user_id="u", request_id=f"req-{project}-{i % 4}", event_id=f"EVENT_{i % 3}",
        resource_type="VOLUME" if i % 2 else "VOLUME_SNAPSHOT", resource_uuid=str(uuid.uuid4()),
        message_level=levels[i % 3], user_message=f"Message {i} of {project}.",
        publisher_id="volume.secret-host", session_id="sess-secret", claim="claim-secret",
        created_at=now - datetime.timedelta(minutes=n - i),
        expires_at=now + datetime.timedelta(days=1), event_type="volume.delete.failed",
        category="action", root_id=None, last_seen_at=now) for i in range(n)]


CLUSTER = "5c1a0b9e-2d3f-4e5a-8b7c-6d5e4f3a2b1c"


def step_rows(project: str, now: datetime.datetime) -> list[UserMessage]:
    """A cluster's provisioning: two steps, the second still running."""
    reports = [("LAUNCH_INSTANCES", 1, 2, None), ("LAUNCH_INSTANCES", 2, 2, True),
               ("WAIT_FOR_SSH", 1, 3, None)]
    return [UserMessage(
        id=str(uuid.uuid4()), message_id=f"step-{project}-{i}", project_id=project,
        user_id="u", request_id="req-cluster", event_id="CLUSTER_INSTANCE_READY",
        resource_type="CLUSTER", resource_uuid=CLUSTER, message_level="INFO",
        user_message=f"Instance node {i} of {project} is ready.", publisher_id="secret-host",
        session_id=None, claim=None, created_at=now - datetime.timedelta(hours=2, minutes=-i),
        expires_at=now + datetime.timedelta(days=1), event_type="cluster.instance.ready",
        category="progress", root_id=None, last_seen_at=now,
        step=StepReport(name, "creating", done, total, ok))
        for i, (name, done, total, ok) in enumerate(reports)]


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def api(request, conf, databases, tmp_path):
    db = databases(request.param)
    store = get_connection(conf, db.url, create=True)
    store.upgrade()
    with store.engine.begin() as c:
        c.exec_driver_sql("DELETE FROM messages")
    now = utcnow()
    # oldest first: a cluster's provisioning events, then plain messages
    rows = {p: step_rows(p, now) + stored_rows(p, n, now) for p, n in ((MINE, 23), (OTHER, 3))}
    assert store.insert_messages(rows[MINE] + rows[OTHER]) == []
    port = services.free_port()
    conf_file = tmp_path / "api.conf"
    conf_file.write_text(textwrap.dedent(f"""\
        [database]
        connection = {db.url}
        [api]
        auth_strategy = noauth
        port = {port}
        max_limit = {PAGE}
        default_limit = {PAGE}
        """))
    log = open(tmp_path / "api.log", "wb")
    proc = subprocess.Popen([str(BIN / "herald-api"), "--config-file", str(conf_file)],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        services.wait_until(lambda: services.port_open(port), 30, "herald-api to listen")
        yield base, rows, store
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
        store.close()


def http(url: str, method: str = "GET", token: str = f"u1:{MINE}",
         headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, method=method,
                                 headers={"X-Auth-Token": token, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            return r.status, json.loads(body) if body else {}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def run(*argv: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def cinder(base: str, *args: str) -> str:
    return run(str(BIN / "cinder"), "--os-auth-type", "noauth", "--os-endpoint", f"{base}/v3",
               "--os-user-id", "u1", "--os-project-id", MINE, "--os-volume-api-version", "3.5",
               *args)


def openstack(base: str, *args: str) -> str:
    return run(str(BIN / "openstack"), "--os-auth-type", "admin_token", "--os-endpoint",
               f"{base}/v3/{MINE}", "--os-token", f"u1:{MINE}", "--os-volume-api-version",
               "3.5", *args)


def ids(text: str) -> list[str]:
    """The IDs in the first column of a client's table (other columns hold UUIDs too)."""
    first = (line.split("|")[1].strip() for line in text.splitlines() if line.startswith("|"))
    return [cell for cell in first if UUID.fullmatch(cell)]


def test_python_cinderclient(api):
    base, rows, _ = api
    mine = rows[MINE]
    # 26 rows: four pages of 7 (cinder prints them sorted by ID: compared as sets)
    listed = ids(cinder(base, "message-list"))
    assert set(listed) == {m.id for m in mine} and len(listed) == len(mine)
    errors_only = ids(cinder(base, "message-list", "--level", "ERROR"))
    assert {i for i in errors_only if i in {m.id for m in mine}} == {
        m.id for m in mine if m.message_level == "ERROR"}
    oldest_first = ids(cinder(base, "message-list", "--sort", "created_at:asc", "--limit", "3"))
    assert set(oldest_first) == {m.id for m in mine[:3]}
    shown = cinder(base, "message-show", mine[5].id)
    assert mine[5].user_message in shown and "secret" not in shown
    cinder(base, "message-delete", mine[5].id)
    assert mine[5].id not in cinder(base, "message-list")
    # another project's message: not found, even by the all_tenants retry
    result = subprocess.run([str(BIN / "cinder"), "--os-auth-type", "noauth", "--os-endpoint",
                             f"{base}/v3", "--os-user-id", "u1", "--os-project-id", MINE,
                             "--os-volume-api-version", "3.5", "message-show",
                             rows[OTHER][0].id], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "No message with a name or ID" in result.stderr


def test_python_openstackclient(api):
    base, rows, _ = api
    mine = rows[MINE]
    listed = json.loads(openstack(base, "volume", "message", "list", "-f", "json"))
    assert [m["ID"] for m in listed] == [
        m.id for m in sorted(mine, key=lambda m: m.created_at, reverse=True)]
    first = {m.id: m for m in mine}[listed[0]["ID"]]
    assert (listed[0]["User Message"], listed[0]["Event ID"], listed[0]["Resource Type"]) == (
        first.user_message, first.event_id, first.resource_type)
    # openstacksdk under the CLI takes --limit as the page size and follows the
    # links: everything after the marker, in pages of 4
    after = json.loads(openstack(base, "volume", "message", "list", "-f", "json", "--limit", "4",
                                 "--marker", listed[2]["ID"]))
    assert [m["ID"] for m in after] == [m["ID"] for m in listed[3:]]
    # show goes through openstacksdk, which reads a show's body under "messages":
    # against Cinder's body ({"message": ...}, herald's too) it has only the id
    shown = json.loads(openstack(base, "volume", "message", "show", "-f", "json", mine[0].id))
    assert (shown["ID"], shown["User Message"]) == (mine[0].id, None)
    openstack(base, "volume", "message", "delete", mine[0].id)
    status, _ = http(f"{base}/v3/{MINE}/messages/{mine[0].id}")
    assert status == 404


def test_openstacksdk(api):
    import openstack

    base, rows, _ = api
    mine = rows[MINE]
    conn = openstack.connect(auth_type="admin_token",
                             auth={"endpoint": f"{base}/v3/{MINE}", "token": f"u1:{MINE}"},
                             block_storage_api_version="3")
    got = list(conn.block_storage.messages(limit=5))  # pages of 5, links followed
    assert [m.id for m in got] == [
        m.id for m in sorted(mine, key=lambda m: m.created_at, reverse=True)]
    asc = list(conn.block_storage.messages(sort="created_at:asc", limit=PAGE))
    assert [m.id for m in asc] == [m.id for m in mine]
    listed = {m.id: m for m in got}[mine[3].id]
    assert (listed.user_message, listed.event_id, listed.resource_uuid, listed.message_level,
            listed.resource_type) == (mine[3].user_message, mine[3].event_id,
                                      mine[3].resource_uuid, mine[3].message_level,
                                      mine[3].resource_type)
    # a show's body is Cinder's, {"message": ...}; openstacksdk reads it under
    # "messages" and keeps only the id it had, exactly as against Cinder
    one = conn.block_storage.get_message(mine[3].id)
    assert (one.id, one.user_message) == (mine[3].id, None)
    conn.block_storage.delete_message(mine[3].id)
    assert mine[3].id not in {m.id for m in conn.block_storage.messages(limit=PAGE)}
    with pytest.raises(openstack.exceptions.NotFoundException):
        conn.block_storage.get_message(rows[OTHER][0].id)


def test_isolation_and_bad_input_over_http(api):
    base, rows, store = api
    other = rows[OTHER][0].id
    mine = rows[MINE]
    # another project's message: 404 on show and delete, absent from every list and filter
    assert http(f"{base}/v3/{MINE}/messages/{other}")[0] == 404
    assert http(f"{base}/v3/{MINE}/messages/{other}", "DELETE")[0] == 404
    assert store.get_message(OTHER, other) is not None
    for query in ("", "?all_tenants=1", f"?resource_uuid={rows[OTHER][0].resource_uuid}",
                  f"?request_id=req-{OTHER}-0", "?sort=created_at:asc"):
        status, body = http(f"{base}/v3/{MINE}/messages{query}")
        assert status == 200 and not {m["id"] for m in body["messages"]} & {
            m.id for m in rows[OTHER]}, query
    assert http(f"{base}/v3/{MINE}/messages?project_id={OTHER}")[0] == 403
    # a URL project that is not the caller's
    assert http(f"{base}/v3/{OTHER}/messages")[0] == 403
    assert http(f"{base}/v3/{OTHER}/messages/{other}")[0] == 403
    # an administrator (roles only when given) may look at another project
    status, body = http(f"{base}/v3/{OTHER}/messages", headers={"X-Roles": "admin"})
    assert status == 200 and {m["id"] for m in body["messages"]} == {m.id for m in rows[OTHER]}
    # malformed input: the documented 4xx, never a 500
    cases = [
        ("?limit=-1", 400), ("?limit=ten", 400), ("?offset=x", 400), ("?marker=nope", 400),
        (f"?marker={other}", 400), ("?sort=bogus", 400), ("?sort=created_at:sideways", 400),
        ("?sort=created_at&sort_key=id", 400), ("?created_since=yesterday", 400),
        ("?sort=created_at,id", 400), (f"?resource_uuid={'x' * 300}", 400),
        ("?event_id=a%00b", 400), ("?request_id=%ff%fe", 400), ("/%00", 400)]
    for query, want in cases:
        assert http(f"{base}/v3/{MINE}/messages{query}")[0] == want, query
    versions = {"volume 3.0": 404, "volume 3.2": 404, "volume 4.0": 406, "volume 2.9": 406,
                "volume three": 400, "volume 3.5": 200, "volume latest": 200}
    for header, want in versions.items():
        status, _ = http(f"{base}/v3/{MINE}/messages", headers={"OpenStack-API-Version": header})
        assert status == want, header
    # before 3.5 no marker is read: a full page has no next link (it would repeat)
    status, body = http(f"{base}/v3/{MINE}/messages?marker={mine[-1].id}",
                        headers={"OpenStack-API-Version": "volume 3.3"})
    assert status == 200 and len(body["messages"]) == PAGE and "messages_links" not in body
    assert body["messages"][0]["id"] == mine[-1].id
    assert http(f"{base}/v3/{MINE}/messages", token="nonsense")[0] == 401
    assert http(f"{base}/v3/{MINE}/nothing")[0] == 404
    assert http(f"{base}/v3/{MINE}/messages", "PUT")[0] == 405
    # pages: full ones link to the next, absolute, until a short one
    status, body = http(f"{base}/v3/{MINE}/messages")
    seen = []
    while True:
        assert status == 200
        seen += [m["id"] for m in body["messages"]]
        links = body.get("messages_links")
        if not links:
            break
        assert links[0]["href"].startswith(base + "/v3/")
        status, body = http(links[0]["href"])
    assert seen == [m.id for m in sorted(mine, key=lambda m: m.created_at, reverse=True)]
    # version discovery needs no token
    status, body = http(f"{base}/", token="")
    assert status == 200 and body["versions"][0]["version"] == "3.71"
    assert http(f"{base}/v3/{MINE}", token="")[0] == 200


def test_bodies_are_exactly_cinders_unless_herald_is_asked(api):
    """Tempest's schema (tests/unit/test_cinder_shape.py) holds for every list
    page and show at Cinder's versions; herald's opt-in adds its keys."""
    from tests.unit.test_cinder_shape import TEMPEST_LIST, TEMPEST_SHOW, validate

    base, rows, _ = api
    for version in (None, "volume 3.3", "volume 3.5", "volume latest"):
        headers = {} if version is None else {"OpenStack-API-Version": version}
        status, body = http(f"{base}/v3/{MINE}/messages", headers=headers)
        assert status == 200 and body["messages"], version
        validate({"messages": body["messages"]}, TEMPEST_LIST)
        assert set(body) <= {"messages", "messages_links"}
        for m in body["messages"]:
            status, shown = http(f"{base}/v3/{MINE}/messages/{m['id']}", headers=headers)
            assert status == 200
            validate(shown, TEMPEST_SHOW)
    status, body = http(f"{base}/v3/{MINE}/messages",
                        headers={"OpenStack-API-Version": "volume 3.5, user-messages 1.0"})
    assert status == 200 and all(m["count"] == 1 and m["project_id"] == MINE
                                 for m in body["messages"])
    # either spelling of a resource type filters alike
    volumes = [m.id for m in sorted(rows[MINE], key=lambda m: m.created_at, reverse=True)
               if m.resource_type == "VOLUME"][:PAGE]
    for spelling in ("VOLUME", "volume"):
        status, body = http(f"{base}/v3/{MINE}/messages?resource_type={spelling}")
        assert [m["id"] for m in body["messages"]] == volumes
    assert volumes


def test_provisioning_progress(api):
    base, rows, _ = api
    status, body = http(f"{base}/v3/{MINE}/resources/{CLUSTER}/progress")
    assert status == 200
    progress = body["progress"]
    assert [(s["step_name"], s["completed"], s["total"], s["successful"])
            for s in progress["steps"]] == [("LAUNCH_INSTANCES", 2, 2, True),
                                            ("WAIT_FOR_SSH", 1, 3, None)]
    # the events of the latest step, this project's only
    assert [e["id"] for e in progress["events"]] == [rows[MINE][2].id]
    assert "secret" not in json.dumps(body)
    assert http(f"{base}/v3/{OTHER}/resources/{CLUSTER}/progress")[0] == 403
    assert http(f"{base}/v3/{MINE}/resources/{uuid.uuid4()}/progress")[0] == 404
    status, body = http(f"{base}/v3/{OTHER}/resources/{CLUSTER}/progress",
                        headers={"X-Roles": "admin"})
    assert status == 200 and [e["id"] for e in body["progress"]["events"]] == [
        rows[OTHER][2].id]


@pytest.mark.parametrize("api", ["postgresql", "mysql"], indirect=True)
def test_database_outage_is_a_503_then_heals(api, request):
    """The database server stopped under a running herald-api: 503 with
    Retry-After, never a 500 or a traceback; started again: answers again."""
    kind = request.node.callspec.params["api"]
    base, rows, _ = api
    url = f"{base}/v3/{MINE}/messages?limit=3"
    assert http(url)[0] == 200
    services.STOP[kind]()
    try:
        status, body = http(url)
        assert status == 503 and body["serviceUnavailable"]["code"] == 503
        assert "Traceback" not in json.dumps(body)
    finally:
        services.START[kind]()
    services.wait_until(lambda: http(url)[0] == 200, 60, "herald-api to read again")
    assert [m["id"] for m in http(url)[1]["messages"]] == [
        m.id for m in sorted(rows[MINE], key=lambda m: m.created_at, reverse=True)[:3]]
