import datetime
import json
import multiprocessing

import pytest

from collector.exceptions import DispatchError
from collector.model import UserMessage
from storage.jsonfile import JsonFileDispatcher

T = datetime.datetime(2026, 11, 21, 12, 0, 0)


def m(i):
    return UserMessage(f"id-{i}", f"mid-{i}", "p", "u", "req", "VOLUME_DELETE_FAILED", "volume",
                       None, "ERROR", f"text {i}", "volume.host-secret", T, T,
                       event_type="volume.delete.failed", category="action",
                       session_id="sess-secret", claim="claim-secret")


@pytest.fixture
def jconf(conf, tmp_path):
    conf.set_override("path", str(tmp_path / "out" / "messages.jsonl"),
                      group="dispatcher_jsonfile")
    return conf


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_versioned_user_safe_lines(jconf, tmp_path):
    d = JsonFileDispatcher(jconf)
    assert d.dump([m(1), m(2)]) == []
    (first, _) = lines(tmp_path / "out" / "messages.jsonl")
    assert first["herald_object.name"] == "UserMessage"
    assert first["herald_object.version"] == "1.0"
    data = first["herald_object.data"]
    assert (data["message_id"], data["user_message"], data["created_at"]) == (
        "mid-1", "text 1", "2026-11-21T12:00:00")
    assert "secret" not in json.dumps(first)  # no publisher, session or claim


def test_rotation(jconf, tmp_path):
    jconf.set_override("max_bytes", 2048, group="dispatcher_jsonfile")
    jconf.set_override("backup_count", 2, group="dispatcher_jsonfile")
    d = JsonFileDispatcher(jconf)
    for i in range(30):
        d.dump([m(i)])
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "messages.jsonl", "messages.jsonl.1", "messages.jsonl.2"]


def test_unwritable_path_is_a_dispatch_error(jconf, tmp_path):
    d = JsonFileDispatcher(jconf)
    (tmp_path / "out").rename(tmp_path / "gone")
    (tmp_path / "out").write_text("a file where the directory was")
    with pytest.raises(DispatchError, match="cannot write"):
        d.dump([m(1)])


def _writer(path, start):
    from listener import config
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    conf.set_override("path", path, group="dispatcher_jsonfile")
    conf.set_override("max_bytes", 20_000, group="dispatcher_jsonfile")
    conf.set_override("backup_count", 50, group="dispatcher_jsonfile")
    d = JsonFileDispatcher(conf)
    for i in range(start, start + 300, 10):
        d.dump([m(j) for j in range(i, i + 10)])


def test_two_processes_share_the_file_through_rotations(tmp_path):
    path = str(tmp_path / "shared.jsonl")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, s)) for s in (0, 1000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    ids = []
    for f in tmp_path.iterdir():
        ids += [x["herald_object.data"]["message_id"] for x in lines(f)]
    assert sorted(ids) == sorted([f"mid-{i}" for i in range(300)]
                                 + [f"mid-{i}" for i in range(1000, 1300)])
