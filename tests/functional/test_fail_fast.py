"""Configuration mistakes: exit status 1 and one clear line, never a loop.

Each case is the real command line in a fresh process; what it prints and
its exit status are what an operator (or systemd) sees.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests import services
from tests.functional import plugins

REPO = Path(__file__).resolve().parents[2]


def command(name: str, conf: Path, *args: str, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", f"listener.cmd.{name}", "--config-file",
                           str(conf), *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def write_conf(tmp_path: Path, body: str) -> Path:
    conf = tmp_path / "herald.conf"
    conf.write_text("[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:5672/\n"
                    + textwrap.dedent(body))
    return conf


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    out = (result.stdout + result.stderr).strip().splitlines()
    assert len(out) == 1, out
    assert "Traceback" not in out[0]
    return out[0]


@pytest.mark.parametrize("body, expected", [
    ("[database]\nconnection = mysql+mysqldb://root@127.0.0.1/test\n",
     "[database] connection: the mysql+mysqldb driver is not installed (No module named "
     "'MySQLdb'); install herald[mysql] (PyMySQL) and write mysql+pymysql://"),
    ("[database]\nconnection = not a database url\n",
     "[database] connection is not a database URL"),
    ("[database]\nconnection = oracle://scott@db/x\n",
     "herald has no storage back end for oracle://"),
    ("[listener]\nworkers = two\n", "invalid configuration: Value for option workers"),
    ("event_dispatchers = jsonfile\n[dispatcher_jsonfile]\npath = /etc/hostname/x/m.jsonl\n",
     "cannot start dispatcher jsonfile: [Errno 20] Not a directory: '/etc/hostname/x'"),
    ("event_dispatchers = nope\n", "cannot load event_dispatchers: nope: no such dispatcher"),
])
def test_herald_listener_refuses_a_mistake_with_one_line(tmp_path, body, expected):
    if "[database]" not in body:  # a database that works, made beforehand
        database = f"[database]\nconnection = sqlite:///{tmp_path / 'h.sqlite'}\n"
        assert command("manage", write_conf(tmp_path, database), "db", "upgrade").returncode == 0
        body += database
    result = command("listener", write_conf(tmp_path, body), timeout=30)
    assert result.returncode == 1
    assert expected in one_line(result)


def test_a_sqlite_database_is_only_created_by_db_upgrade(tmp_path):
    path = tmp_path / "typo" / "herald.sqlite"
    conf = write_conf(tmp_path, f"[database]\nconnection = sqlite:///{path}\n")
    want = (f"SQLite database {path} does not exist: create it with 'herald-manage db "
            "upgrade', or correct [database] connection")
    result = command("manage", conf, "messages", "list", "--project", "p")
    assert result.returncode == 1 and one_line(result) == f"herald-manage: {want}"
    result = command("listener", conf)
    assert result.returncode == 1 and want in one_line(result)
    assert not path.parent.exists()  # nothing was created on the way
    assert command("manage", conf, "db", "upgrade").returncode == 0
    assert path.exists()
    assert command("manage", conf, "messages", "list", "--project", "p").returncode == 0


def test_herald_emit_names_a_bad_override_file(tmp_path):
    bad = tmp_path / "override.yaml"
    bad.write_text('NOT_AN_ID: "Hello."\n')
    conf = write_conf(tmp_path, f"[catalogue]\noverride_file = {bad}\n")
    result = command("emit", conf, "--project-id", "p", "VOLUME_DELETE_FAILED")
    assert result.returncode == 1
    out = result.stderr.strip().splitlines()
    assert out[0] == f"herald-emit: not published: invalid {bad}:"
    assert out[1].strip() == "NOT_AN_ID: not in the sanctioned catalogue (IDs cannot be added)"
    assert "Traceback" not in result.stderr


def test_herald_manage_into_head_ends_quietly(tmp_path):
    conf = write_conf(tmp_path, "")
    manage = subprocess.Popen([sys.executable, "-m", "listener.cmd.manage", "--config-file",
                               str(conf), "catalogue", "list"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    head = subprocess.run(["head", "-1"], stdin=manage.stdout, capture_output=True, text=True)
    manage.stdout.close()
    stderr = manage.stderr.read().decode()
    rc = manage.wait(60)
    assert head.stdout.strip()  # head got its line
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr
    assert rc != 1


@pytest.mark.rabbit
def test_a_worker_that_cannot_start_stops_the_service_instead_of_looping(tmp_path):
    """preflight cannot foresee everything: a worker refusing its
    configuration stops the master with status 1 (systemd's
    Restart=on-failure then acts), after one or two attempts, not forever."""
    if not services.port_open(5672):
        services.unavailable("RabbitMQ on 127.0.0.1:5672")
    env = {**__import__("os").environ, **plugins.install(tmp_path / "plugins")}
    db = tmp_path / "h.sqlite"
    conf = write_conf(tmp_path, f"""\
        event_dispatchers = fragile
        [database]
        connection = sqlite:///{db}
        [listener]
        topics = ff_{time.monotonic_ns()}
        shared_topics =
        [storage]
        message_reap_interval = -1
        """)
    assert command("manage", conf, "db", "upgrade").returncode == 0
    started = time.monotonic()
    result = command("listener", conf, env=env, timeout=120)
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "fragile: cannot start in a worker" in out
    assert "A worker cannot start with this configuration; stopping" in out
    assert "Traceback" not in out
    starts = Path(env["HERALD_TEST_RECORD"]).read_text().count("start")
    assert 2 <= starts <= 4  # the check, then the worker (restarted at most twice)
    assert time.monotonic() - started < 100


@pytest.mark.parametrize(("unit_name", "program"), [
    ("herald-listener.service", "herald-listener"), ("herald-api.service", "uwsgi")])
def test_the_systemd_unit_runs_what_the_documented_install_installs(tmp_path, unit_name,
                                                                    program):
    """docs/operations.md installs into a virtual environment at /opt/herald;
    the unit must start that program, and systemd must accept it."""
    text = (REPO / "etc" / "systemd" / unit_name).read_text()
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    binary = exec_start.split("=", 1)[1].split()[0]
    ops = (REPO / "docs" / "operations.md").read_text()
    assert "python3 -m venv /opt/herald" in ops and binary == f"/opt/herald/bin/{program}"
    assert "man:" not in text  # no man page is installed
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        services.unavailable("systemd-analyze")
    # the same unit, pointed at the program installed here
    installed = Path(sys.executable).with_name(program)
    unit = tmp_path / unit_name
    unit.write_text(text.replace(binary, str(installed)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr
    unit.write_text(text.replace(binary, str(tmp_path / "missing" / program)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode != 0 and "is not executable" in result.stderr
