import json

import pytest

from listener.cmd import emit, manage
from storage import migration


def run(capsys, *argv):
    rc = manage.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def conffile(tmp_path):
    f = tmp_path / "herald.conf"
    f.write_text(f"[database]\nconnection = sqlite:///{tmp_path}/h.sqlite\n")
    return str(f)


def test_catalogue_list_json(capsys, conffile):
    rc, out, _ = run(capsys, "--config-file", conffile, "catalogue", "list", "--format", "json")
    entries = json.loads(out)
    assert rc == 0 and len(entries) >= 20
    # the v1 contract, plus issue 5's event type and category
    assert set(entries[0]) >= {"event_id", "resource_type", "level", "template", "params"}
    assert {"event_type", "category"} <= set(entries[0])


def test_catalogue_check(capsys, tmp_path, conffile):
    good = tmp_path / "good.yaml"
    good.write_text('VOLUME_DELETE_FAILED: "Deleting {volume_id} failed: {reason}."\n')
    rc, out, _ = run(capsys, "--config-file", conffile, "catalogue", "check", str(good))
    assert rc == 0 and "valid, re-words 1" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text('VOLUME_DELETE_FAILED: "Deleting {volume_id} failed."\n')
    rc, _, err = run(capsys, "--config-file", conffile, "catalogue", "check", str(bad))
    assert rc == 1 and "placeholders must be exactly {reason}, {volume_id}" in err


def test_catalogue_check_of_a_translation_override(capsys, tmp_path, conffile):
    good = tmp_path / "ja.yaml"
    good.write_text('VOLUME_DELETE_FAILED: "ボリューム {volume_id} は削除されませんでした: '
                    '{reason}。"\n', encoding="utf-8")
    rc, out, _ = run(capsys, "--config-file", conffile, "catalogue", "check", str(good),
                     "--locale", "ja")
    assert rc == 0 and "valid, re-words 1 entries in ja" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text('VOLUME_DELETE_FAILED: "{volume_id.__class__} {reason}"\n')
    rc, _, err = run(capsys, "--config-file", conffile, "catalogue", "check", str(bad),
                     "--locale", "ja")
    assert rc == 1 and "attribute or index access" in err
    rc, _, err = run(capsys, "--config-file", conffile, "catalogue", "check", str(good),
                     "--locale", "xx")
    assert rc == 1 and "no 'xx' translation" in err


def test_db_messages_and_rejected_on_sqlite(capsys, conffile):
    assert run(capsys, "--config-file", conffile, "db", "upgrade")[0] == 0
    rc, out, _ = run(capsys, "--config-file", conffile, "db", "version")
    assert rc == 0 and f"current: {migration.head()}\nneeded:  {migration.head()}" in out
    rc, out, _ = run(capsys, "--config-file", conffile, "messages", "list", "--project", "p")
    assert rc == 0 and out.startswith("created_at")
    rc, out, _ = run(capsys, "--config-file", conffile, "rejected", "list", "--format", "json")
    assert rc == 0 and json.loads(out) == []
    rc, out, _ = run(capsys, "--config-file", conffile, "messages", "reap")
    assert rc == 0 and "reaped 0 expired messages" in out


def test_unreachable_database_is_a_clean_failure(capsys, tmp_path):
    f = tmp_path / "h.conf"
    f.write_text("[database]\nconnection = postgresql+psycopg://x@127.0.0.1:9/none\n")
    rc, _, err = run(capsys, "--config-file", str(f), "db", "upgrade")
    assert rc == 1 and err.startswith("herald-manage: OperationalError")
    assert "Traceback" not in err


def test_emit_refuses_before_publishing(capsys, conffile):
    rc = emit.main(["--config-file", conffile, "--project-id", "p", "VOLUME_EXTEND_FAILED",
                    "--param", "new_size_gb=big"])
    assert rc == 1
    assert "must be an integer" in capsys.readouterr().err
    assert emit.main(["--config-file", conffile, "--project-id", "p"]) == 2


def test_steps_read_like_the_sahara_spec():
    import datetime

    t0 = datetime.datetime(2026, 11, 21, 12, 0)
    labels = {"LAUNCH_INSTANCES": "Launching instances", "WAIT_FOR_SSH": "Waiting for ssh"}

    def step(name, done, total, ok, minutes, finished=True):
        return {"step_name": name, "step_type": "creating", "completed": done, "total": total,
                "successful": ok, "started_at": t0,
                "completed_at": t0 + datetime.timedelta(minutes=minutes) if finished else None}

    now = t0 + datetime.timedelta(minutes=13)
    assert manage.describe_step(step("LAUNCH_INSTANCES", 1000, 1000, True, 10), labels, now) \
        == "Launching instances (creating) completed 1000 out of 1000 in 10 minutes"
    assert manage.describe_step(step("WAIT_FOR_SSH", 59, 1000, None, 0, False), labels, now) \
        == "Waiting for ssh (creating) completed: 59 out of 1000, running for 13 minutes"
    assert manage.describe_step(step("WAIT_FOR_SSH", 59, 1000, False, 3), labels, now) \
        == "Waiting for ssh (creating) failed: 59 out of 1000 after 3 minutes"


SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "samples" / "nova"


def test_mapping_try_shows_the_message_or_why_none(capsys, conffile, tmp_path):
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "try",
                     str(SAMPLES / "instance-volume_attach-error.json"))
    assert rc == 0
    assert "rule:      nova.instance.volume_attach.error" in out
    assert ("message:   Volume a07f71dc-8151-4e7d-a0cc-cd24a3f11113 could not be attached to "
            "instance 178b0921-8f85-4257-88b6-2e743b5a975c: the host could not connect to the "
            "storage back end.") in out
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "try",
                     str(SAMPLES / "instance-create-error.json"))
    assert rc == 3 and out.startswith("ignored: no mapping rule applies to event type "
                                      "'instance.create.error'")
    captured = tmp_path / "snapshot.json"  # a body as read from the queue (1.0 format)
    captured.write_text(json.dumps({
        "message_id": "m-1", "event_type": "scheduler.create_snapshot", "priority": "ERROR",
        "publisher_id": "scheduler.ctrl-1", "timestamp": "2025-01-01 10:00:00",
        "payload": {"snapshot_id": "not-a-uuid", "reason": "NoValidBackend('x')"},
        "_context_project_id": "p1"}))
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "try", str(captured))
    assert rc == 1
    assert out.startswith("quarantined (bad_parameter): rule cinder.scheduler.snapshot_operation:")
    del_project = json.loads(captured.read_text())
    del del_project["_context_project_id"]
    captured.write_text(json.dumps(del_project))
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "try", str(captured))
    assert rc == 1 and "quarantined (unmappable)" in out and "no value for project_id" in out


def test_mapping_check_list_and_docs(capsys, conffile, tmp_path):
    good = tmp_path / "rules.yaml"
    good.write_text("- name: manila.scheduler.create_share\n  enabled: false\n"
                    "- name: site.one\n  event_type: x.y\n  event_id: VOLUME_UNKNOWN_ERROR\n"
                    "  fields: {project_id: ctxt.project_id}\n"
                    "  params: {volume_id: payload.id, operation: {value: create}}\n")
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "check", str(good))
    assert rc == 0 and "valid, 2 rules (1 replace or switch off a shipped rule)" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: site.bad\n  event_type: x.y\n  event_id: NOPE\n"
                   "  fields: {project_id: payload.reason}\n")
    rc, _, err = run(capsys, "--config-file", conffile, "mapping", "check", str(bad))
    assert rc == 1 and "rule site.bad: event_id 'NOPE' is not in the catalogue" in err
    assert "fields.project_id reads free text" in err
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "list", "--format", "json")
    rows = json.loads(out)
    assert rc == 0 and rows[0]["name"] == "nova.compute_task.build_instances"
    rc, out, _ = run(capsys, "--config-file", conffile, "mapping", "docs")
    assert rc == 0 and "### `cinder.scheduler.create_volume`" in out


def test_broker_outages_newest_first_with_the_nodes(capsys, conffile, conf):
    import datetime

    import storage
    assert run(capsys, "--config-file", conffile, "db", "upgrade")[0] == 0
    rc, out, _ = run(capsys, "--config-file", conffile, "broker", "outages")
    assert rc == 0 and out.split() == ["started_at", "ended_at", "opened_by", "closed_by"]
    store = storage.get_connection(conf, open(conffile).read().split("= ", 1)[1].strip())
    t0 = datetime.datetime(2026, 12, 5, 21, 40, 7)
    store.open_broker_outage(t0, "node-a")
    store.close_broker_outage(t0 + datetime.timedelta(minutes=3), "node-b")
    store.open_broker_outage(t0 + datetime.timedelta(hours=1), "node-b")
    store.close()
    rc, out, _ = run(capsys, "--config-file", conffile, "broker", "outages", "--format", "json")
    rows = json.loads(out)
    assert rc == 0 and [(r["opened_by"], r["closed_by"], r["ended_at"]) for r in rows] == [
        ("node-b", None, None), ("node-a", "node-b", "2026-12-05T21:43:07")]
