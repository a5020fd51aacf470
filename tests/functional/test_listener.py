"""The real herald-listener, real RabbitMQ, real databases, real Notifiers."""

from __future__ import annotations

import collections
import datetime
import json
import signal
import socket
import time
import uuid

import pytest
import sqlalchemy as sa
from oslo_context import context as oslo_context

from collector import catalogue
from tests import services, wire

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
DAY = datetime.timedelta(days=1)


def ctx(project="proj-ft", user="user-ft", request_id=None):
    return oslo_context.RequestContext(project_id=project, user_id=user,
                                       request_id=request_id or f"req-{uuid.uuid4()}")


def publish_every_entry(h, notifier_v1, notifier_v2):
    """One notification per catalogue entry, alternating wire formats and
    alternating where the project comes from. Returns what each should
    become, keyed by its unique resource_uuid."""
    expected = {}
    entries = [e for e in catalogue.sanctioned() if not e.herald_only]  # herald's own: refused
    for i, entry in enumerate(entries):
        params = wire.example_params(entry)
        resource = str(uuid.uuid4())
        c = ctx()
        payload = {"event_id": entry.event_id, "params": params, "resource_uuid": resource}
        if i % 2:
            payload["project_id"] = "proj-payload"
        notifier = notifier_v2 if i % 3 == 0 else notifier_v1
        getattr(notifier, {"ERROR": "error", "WARNING": "warn", "INFO": "info"}[entry.level])(
            c, "user_message.create", payload)
        expected[resource] = {
            "event_id": entry.event_id, "resource_type": entry.resource_type,
            "message_level": entry.level, "user_message": wire.expected_text(entry, params),
            "project_id": "proj-payload" if i % 2 else "proj-ft", "user_id": "user-ft",
            "request_id": c.request_id, "publisher_id": "volume.test-host"}
    return expected


RETYPE = {"volume_id": VOL, "reason": "in_use"}
# (payload, context, expected rejection code): what a service could really send
NOTIFIER_INVALID = [
    ({"event_id": "NOT_A_REAL_EVENT", "params": {}}, ctx(), "unknown_event_id"),
    # herald's own text (the broker outage banner): never from a notification
    ({"event_id": "MESSAGING_UNAVAILABLE", "params": {"since": "2026-12-05T21:40:00"}}, ctx(),
     "unknown_event_id"),
    ({"params": {}}, ctx(), "missing_field"),
    ({"event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL, "reason": "in_use"}},
     ctx(project=None), "missing_field"),
    ({"event_id": "VOLUME_EXTEND_FAILED",
      "params": {"volume_id": VOL, "new_size_gb": "20", "reason": "no_capacity"}},
     ctx(), "bad_parameter"),
    ({"event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL}}, ctx(),
     "bad_parameter"),
    ({"event_id": "VOLUME_DELETE_FAILED",
      "params": {"volume_id": VOL, "reason": "in_use", "extra": 1}}, ctx(), "bad_parameter"),
    ({"event_id": "VOLUME_RETYPE_FAILED", "params": {**RETYPE, "volume_type": "x" * 65}},
     ctx(), "bad_parameter"),
    ({"event_id": "VOLUME_RETYPE_FAILED",
      "params": {**RETYPE, "volume_type": "ssd\r\nERROR forged log line"}}, ctx(),
     "bad_parameter"),
    ({"event_id": "VOLUME_RETYPE_FAILED", "params": {**RETYPE, "volume_type": "{0.__class__}"}},
     ctx(), "bad_parameter"),
    ({"event_id": "VOLUME_RETYPE_FAILED", "params": {**RETYPE, "volume_type": "%(x)s$x"}},
     ctx(), "bad_parameter"),
    ({"event_id": "INSTANCE_BOOT_NO_VALID_HOST",
      "params": {"instance_name": "<script>alert(1)</script>", "instance_id": VOL,
                 "flavor": "m1.small"}}, ctx(), "bad_parameter"),
    ({"event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL, "reason": "in_use"},
      "resource_type": "share"}, ctx(), "resource_type_mismatch"),
    ({"event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL, "reason": "in_use"},
      "project_id": "p 1"}, ctx(), "bad_field"),
    (["not", "an", "object"], ctx(), "bad_envelope"),
]


def raw_cases(decodable_only=False):
    """Bodies only a broken or hostile publisher sends: (body, code, key)."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    delete = wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    cases = [
        (wire.body_v2(wire.message(delete, message_id="raw-future",
                                   timestamp=str(now + DAY))), "bad_timestamp", "raw-future"),
        (wire.body_v1(wire.message(delete, message_id="raw-old",
                                   timestamp=str(now - 60 * DAY))), "bad_timestamp", "raw-old"),
        (json.dumps({"payload": delete, "priority": "ERROR"}).encode(), "bad_envelope", None),
        (wire.body_v1(wire.message({**delete, "padding": "x" * 10_000},
                                   message_id="raw-huge")), "oversized", None),
    ]
    if not decodable_only:
        cases += [
            (b"{this is not json", "malformed_json", None),
            (b"\xff\xfe\xfd binary", "bad_encoding", None),
            (b"[" * 3000 + b"]" * 3000, "malformed_json", None),
            (b'["a", "list"]', "bad_envelope", None),
            (json.dumps({"oslo.version": "9.0", "oslo.message": "{}"}).encode(),
             "bad_envelope", None),
        ]
    return cases


def check_stored(h, expected):
    rows = {r["resource_uuid"]: r for r in h.rows()}
    assert set(rows) >= set(expected)
    for resource, want in expected.items():
        row = rows[resource]
        assert {k: row[k] for k in want} == want, resource
        assert row["expires_at"] - row["created_at"] == 30 * DAY
        assert abs(row["created_at"] - datetime.datetime.now(datetime.UTC).replace(
            tzinfo=None)) < datetime.timedelta(minutes=5)


@pytest.mark.rabbit
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_every_entry_and_every_invalid_kind(herald, backend):
    h = herald(backend).start()
    expected = publish_every_entry(h, h.notifier("messaging"), h.notifier("messagingv2"))
    for payload, c, _code in NOTIFIER_INVALID:
        h.notifier().error(c, "user_message.create", payload)
    raws = raw_cases()
    h.publish_raw([body for body, _, _ in raws])
    duplicate = wire.body_v1(wire.message(
        wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
                     resource_uuid="dup-resource", project_id="proj-dup"),
        message_id="dup-message-id"))
    h.publish_raw([duplicate, duplicate])  # redelivered / published twice: one row
    impostor = wire.body_v1(wire.message(
        wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "has_snapshots"},
                     resource_uuid="dup-resource", project_id="proj-dup"),
        message_id="dup-message-id"))
    h.wait_for_outcomes(stored=len(expected) + 1, rejected=len(NOTIFIER_INVALID) + len(raws))
    h.publish_raw([impostor])  # same message_id, other content: a publisher bug

    n_rejected = len(NOTIFIER_INVALID) + len(raws) + 1
    h.wait_for_outcomes(stored=len(expected) + 1, rejected=n_rejected)
    check_stored(h, expected)
    assert [r["message_id"] for r in h.rows()].count("dup-message-id") == 1

    rejected = h.rejected()
    want_codes = collections.Counter([c for _, _, c in NOTIFIER_INVALID]
                                     + [c for _, c, _ in raws] + ["duplicate_message_id"])
    assert collections.Counter(r["code"] for r in rejected) == want_codes
    for r in rejected:
        assert r["detail"] and "\n" not in r["detail"] and "\r" not in r["detail"]
        assert len(r["raw_body"]) <= 1024 and r["raw_size"] >= len(r["raw_body"])
    by_key = {r["dedupe_key"]: r for r in rejected}
    assert by_key["raw-future"]["code"] == "bad_timestamp"
    assert by_key[next(k for k in by_key if by_key[k]["code"] == "oversized")]["raw_size"] > 10_000
    garbage = next(r for r in rejected if r["code"] == "bad_encoding")
    assert garbage["raw_body"] == b"\xff\xfe\xfd binary"  # kept byte for byte
    assert garbage["dedupe_key"].startswith("sha256:")
    for r in rejected:  # nothing a user could see comes from a rejection
        assert r["code"] != "" and r["project_id"] != "p 1"

    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}
    log = h.log()
    assert "forged log line" not in log.lower().split("rejected notification")[0]
    assert "\nERROR forged" not in log


@pytest.mark.rabbit
def test_oslo_intake_same_semantics(herald):
    """The compatibility intake: same rows, same rejections -- except what
    oslo drops before herald sees it: bodies it cannot decode, and messages
    without a known priority (documented in docs/wire-format.md)."""
    h = herald("postgresql", intake="oslo").start()
    expected = publish_every_entry(h, h.notifier("messaging"), h.notifier("messagingv2"))
    for payload, c, _code in NOTIFIER_INVALID:
        h.notifier().error(c, "user_message.create", payload)
    raws = raw_cases(decodable_only=True)
    no_priority = json.dumps({"message_id": "no-priority", "payload": {}}).encode()
    h.publish_raw([body for body, _, _ in raws] + [b"{not json", no_priority])
    h.wait_for_outcomes(stored=len(expected), rejected=len(NOTIFIER_INVALID) + len(raws))
    check_stored(h, expected)
    keys = {r["dedupe_key"] for r in h.rejected()}
    assert "no-priority" not in keys
    assert "malformed_json" not in {r["code"] for r in h.rejected()}
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}
    log = h.log()
    assert "Failed to process message ... skipping it." in log  # oslo's own drops
    assert 'Unknown priority ""' in log


@pytest.mark.rabbit
@pytest.mark.postgresql
@pytest.mark.fault
@pytest.mark.parametrize("intake", ["kombu", "oslo"])
def test_database_stops_mid_stream_nothing_lost_nothing_duplicated(herald, intake):
    """Acknowledge after commit, hold through the outage, absorb duplicates:
    the same semantics on both intakes."""
    h = herald("postgresql", intake=intake).start()
    bodies = []
    for i in range(3000):
        payload = wire.payload("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
                               resource_uuid=f"res-{i}", project_id="proj-fault")
        bodies.append(wire.body_v2(wire.message(payload, message_id=f"fault-{i}")))
    h.publish_raw(bodies[:1000])
    h.wait_for_outcomes(stored=1000, rejected=0)
    services.stop_postgresql()
    try:
        h.publish_raw(bodies[1000:])  # arrives while the database is down
        h.wait_log("holding the batch unacknowledged", timeout=30)
        time.sleep(5)
        assert h.alive()
    finally:
        services.start_postgresql()
    h.wait_for_outcomes(stored=3000, rejected=0, timeout=120)
    ids = [r["message_id"] for r in h.rows()]
    assert len(ids) == len(set(ids)) == 3000
    assert set(ids) == {f"fault-{i}" for i in range(3000)}
    log = h.log()
    assert log.count("holding the batch unacknowledged") == 1  # once per outage
    assert "available again" in log
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}


@pytest.mark.rabbit
def test_sighup_rewords_without_restart_and_keeps_a_good_catalogue(herald, tmp_path):
    override = tmp_path / "override.yaml"
    override.write_text("")
    h = herald("sqlite", workers=2,
               extra=f"[catalogue]\noverride_file = {override}\n").start()
    services.wait_until(lambda: len(h.worker_pids()) == 2, 30, "two workers")
    pids = h.worker_pids()

    def publish(resource):
        h.notifier().error(ctx(), "user_message.create", {
            "event_id": "VOLUME_DELETE_FAILED", "resource_uuid": resource,
            "params": {"volume_id": VOL, "reason": "in_use"}})

    def text(resource):
        return {r["resource_uuid"]: r["user_message"] for r in h.rows()}[resource]

    override.write_text('VOLUME_DELETE_FAILED: "Deleting {volume_id} failed: {reason}."\n')
    h.signal(signal.SIGHUP)
    h.wait_log("SIGHUP: catalogue has", count=2)
    publish("after-good-hup")
    h.wait_for_outcomes(1, 0)
    assert text("after-good-hup") == f"Deleting {VOL} failed: it is attached to an instance."

    override.write_text('VOLUME_DELETE_FAILED: "<b>{volume_id}</b>"\n')
    h.signal(signal.SIGHUP)
    h.wait_log("keeping the previous catalogue", count=2)
    publish("after-bad-hup")
    h.wait_for_outcomes(2, 0)
    assert text("after-bad-hup") == f"Deleting {VOL} failed: it is attached to an instance."
    assert h.worker_pids() == pids  # reloaded in place: no redelivery, no restart
    assert h.stop() == 0


@pytest.mark.rabbit
def test_sighup_keeps_every_process_reaper_and_metrics_included(herald, tmp_path):
    """docs/operations.md: SIGHUP reloads in place, same PIDs. cotyledon's
    default reload ends a service's process; herald's services override it."""
    port_sock = socket.socket()
    port_sock.bind(("127.0.0.1", 0))
    port = port_sock.getsockname()[1]
    port_sock.close()
    h = herald("sqlite", extra=f"[storage]\nmessage_reap_interval = 3600\n"
                              f"[metrics]\nport = {port}\n").start()
    services.wait_until(lambda: len(h.worker_pids()) == 3, 30, "listener, reaper, metrics")
    pids = h.worker_pids()
    h.signal(signal.SIGHUP)
    h.wait_log("SIGHUP: configuration reloaded", count=3)
    h.wait_log("SIGHUP: catalogue has")
    time.sleep(1)  # a process ended by SIGHUP would be replaced within this
    assert h.worker_pids() == pids
    assert "exited with status" not in h.log()
    assert h.stop() == 0


@pytest.mark.rabbit
def test_broken_catalogue_override_stops_start_up(herald, tmp_path):
    override = tmp_path / "bad.yaml"
    override.write_text('NOT_AN_ID: "Hello."\n')
    h = herald("sqlite", extra=f"[catalogue]\noverride_file = {override}\n")
    h.start(wait_for=None)
    assert h.proc.wait(60) == 1
    assert "NOT_AN_ID: not in the sanctioned catalogue" in h.log()


@pytest.mark.rabbit
def test_start_up_waits_for_the_database(herald, tmp_path):
    h = herald("sqlite")
    h.conf_path.write_text(h.conf_path.read_text().replace(
        f"connection = {h.db_url}", "connection = postgresql+psycopg://herald@127.0.0.1:9/none"))
    h.start(wait_for="not reachable (attempt 2")
    assert h.alive()
    assert h.stop() == 0


@pytest.mark.rabbit
def test_systemd_notify_readiness(herald, tmp_path):
    """Type=notify: the master tells systemd it is ready."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(60)
    try:
        h = herald("sqlite").start(env={"NOTIFY_SOCKET": str(path)})
        assert sock.recv(64) == b"READY=1"
        assert h.stop() == 0
    finally:
        sock.close()


@pytest.mark.rabbit
def test_failover_to_the_next_broker_host(herald):
    """The first host refuses connections; herald logs it and uses the next."""
    h = herald("sqlite")
    h.conf_path.write_text(h.conf_path.read_text().replace(
        f"transport_url = {services.RABBIT_URL}",
        "transport_url = rabbit://guest:guest@127.0.0.1:1,guest:guest@127.0.0.1:5672/"))
    h.start()
    assert "RabbitMQ connection to amqp://guest:**@127.0.0.1:1//" in h.log()
    h.notifier().error(ctx(), "user_message.create", {
        "event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL, "reason": "in_use"}})
    h.wait_for_outcomes(1, 0)
    assert h.stop() == 0


@pytest.mark.rabbit
@pytest.mark.postgresql
def test_secrets_never_reach_the_log(herald):
    """debug = true logs every option (cotyledon's log_options); passwords must
    show as ****, in option dumps and in connection errors alike."""
    h = herald("postgresql")
    amqp_secret, db_secret = "Amqp-Secret-9f3b", "Db-Secret-7c1d"
    db = sa.make_url(h.db_url).set(password=db_secret)  # trust auth: accepted as is
    text = h.conf_path.read_text()
    text = text.replace(f"transport_url = {services.RABBIT_URL}",
                        f"transport_url = rabbit://guest:{amqp_secret}@127.0.0.1:5672/")
    text = text.replace(f"connection = {h.db_url}",
                        f"connection = {db.render_as_string(hide_password=False)}")
    h.conf_path.write_text(text.replace("[DEFAULT]\n", "[DEFAULT]\ndebug = true\n", 1))
    h.start(wait_for="RabbitMQ connection to")  # refused: wrong password
    h.wait_log("transport_url", timeout=30)      # the option dump happened
    assert h.stop() == 0
    log = h.log()
    assert amqp_secret not in log and db_secret not in log
    assert "ACCESS_REFUSED" in log and "****" in log
