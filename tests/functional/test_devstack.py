"""The devstack plugin, run for real against stand-ins for devstack's functions.

devstack itself is not installed here (it wants a whole cloud); the stand-ins
in ``devstack_shim.sh`` do what devstack's functions do on one node. What is
proven, with each database devstack offers (MySQL is its default): the
plugin's phases run in devstack's order, write a configuration herald
accepts, migrate a real database created the way devstack creates it, start
a listener that stores what a service publishes (a name outside Unicode's
basic plane included) and herald-api under a real uwsgi, mounted at its URL
path, that serves it (noauth without keystone; with keystone, the endpoint
is registered and a request without a token is refused), and stop and
clean up.
"""

from __future__ import annotations

import configparser
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import kombu
import pytest
import sqlalchemy as sa

from storage.tables import messages
from tests import services

pytestmark = [pytest.mark.rabbit, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SHIM = Path(__file__).with_name("devstack_shim.sh")
INSTANCE = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
NAME = "web \U00020000\u6771\u4eac 1"  # a CJK Ext. B letter, then two of the basic plane
ADMIN = {"postgresql": services.PG_URL, "mysql": services.MYSQL_URL}
DRIVER = {"postgresql": "psycopg[binary]>=3.1", "mysql": "PyMySQL>=1.0"}
# devstack's default database with keystone; the other without (noauth)
WITH_KEYSTONE = {"mysql": True, "postgresql": False}


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"X-Auth-Token": token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture(params=[pytest.param("mysql", marks=pytest.mark.mysql),
                        pytest.param("postgresql", marks=pytest.mark.postgresql)])
def devstack(request, tmp_path):
    kind = request.param
    if not services.port_open(5672):
        services.unavailable("RabbitMQ on 127.0.0.1:5672")
    admin = sa.create_engine(ADMIN[kind], isolation_level="AUTOCOMMIT")
    try:
        admin.connect().close()
    except sa.exc.OperationalError as exc:
        services.unavailable(f"{kind} ({exc.orig})")
    token = secrets.token_hex(4)
    nova_conf = tmp_path / "nova.conf"
    nova_conf.write_text("[DEFAULT]\n")
    # c-vol: cinder-volume's per-host queues are watched (listener.watch)
    enabled = f"herald-listener herald-api {kind} rabbit c-vol"
    enabled += " keystone horizon" if WITH_KEYSTONE[kind] else ""
    # a Horizon checkout's local directories, and devstack's $PYTHON recording
    # what it is asked to run there
    horizon_dir = tmp_path / "horizon"
    (horizon_dir / "openstack_dashboard" / "local" / "enabled").mkdir(parents=True)
    python = tmp_path / "python-shim"
    python.write_text(f'#!/bin/sh\necho "python $*" >> {tmp_path}/calls\n')
    python.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # uwsgi
        "SHIM_DIR": str(tmp_path), "SHIM_PYTHON": sys.executable,
        "SHIM_RABBIT_URL": services.RABBIT_URL, "SHIM_DB_KIND": kind,
        "SHIM_DB_ADMIN_URL": ADMIN[kind], "SHIM_SERVICES": enabled,
        "SHIM_API_PORT": str(services.free_port()),
        "DEST": str(tmp_path), "HERALD_DIR": str(REPO),
        "HERALD_CONF_DIR": str(tmp_path / "etc" / "herald"),
        "HERALD_DB_NAME": f"herald_ds_{token}",
        "HERALD_EXCHANGES": f"hds_ex_{token}", "HERALD_TOPICS": f"hds_{token}",
        "HERALD_SHARED_TOPICS": f"hds_notif_{token}", "HERALD_SHARED_QUEUE": f"hds_q_{token}",
        "STACK_USER": subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip(),
        "ENABLE_DEBUG_LOG_LEVEL": "False", "NOVA_CONF": str(nova_conf), "CINDER_CONF": "",
        "HORIZON_DIR": str(horizon_dir), "PYTHON": str(python),
    }

    def run(*phases: str) -> subprocess.CompletedProcess[str]:
        script = ["set -e", f"source {SHIM}", f"source {REPO}/devstack/settings"]
        script += [f"source {REPO}/devstack/plugin.sh {phase}" for phase in phases]
        return subprocess.run(["bash", "-c", "\n".join(script)], env=env, capture_output=True,
                              text=True, timeout=180)

    yield kind, run, env, tmp_path
    for name in ("herald-listener", "herald-api"):
        pid_file = tmp_path / f"{name}.pid"
        if pid_file.exists():  # a failed test must not leave a process behind
            # run_process's setsid: the pid is its process group (uwsgi's workers too)
            subprocess.run(["kill", "-KILL", "--", f"-{pid_file.read_text().strip()}"],
                           capture_output=True)
    with kombu.Connection(services.AMQP_URL) as conn:
        channel = conn.channel()
        channel.queue_delete(env["HERALD_SHARED_QUEUE"])
        for priority in ("audit", "debug", "info", "warn", "error", "critical", "sample"):
            channel.queue_delete(f"{env['HERALD_TOPICS']}.{priority}")
        channel.exchange_delete(env["HERALD_EXCHANGES"])
    with admin.connect() as conn:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {env['HERALD_DB_NAME']}{force}"))
    admin.dispose()


def read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser


def test_stack_publish_unstack_clean(devstack):
    kind, run, env, tmp = devstack
    result = run("stack install", "stack post-config", "stack extra")
    assert result.returncode == 0, result.stdout + result.stderr
    calls = (tmp / "calls").read_text().splitlines()
    assert f"setup_develop {REPO}" in calls
    assert f"pip_install {DRIVER[kind]}" in calls
    assert f"recreate_database {env['HERALD_DB_NAME']}" in calls

    conf_path = Path(env["HERALD_CONF_DIR"]) / "herald.conf"
    conf = read_ini(conf_path)
    url = conf["database"]["connection"]
    if kind == "postgresql":  # devstack's driverless URL, as devstack writes it
        assert url.startswith("postgresql://")
        assert url.endswith(f"/{env['HERALD_DB_NAME']}?client_encoding=utf8")
    else:  # left as devstack writes it; herald connects with utf8mb4 anyway
        assert url.startswith("mysql+pymysql://")
        assert url.endswith(f"/{env['HERALD_DB_NAME']}?charset=utf8")
    assert conf["DEFAULT"]["transport_url"] == services.RABBIT_URL
    # oslo's defaults, like devstack's services (iniset_rpc_backend gives both the same)
    assert not conf.has_option("oslo_messaging_rabbit", "amqp_durable_queues")
    assert conf["listener"]["exchanges"] == env["HERALD_EXCHANGES"]
    assert (conf["listener"]["shared_topics"], conf["listener"]["shared_queue"]) == (
        env["HERALD_SHARED_TOPICS"], env["HERALD_SHARED_QUEUE"])
    # the services herald joins are left as they are
    assert Path(env["NOVA_CONF"]).read_text() == "[DEFAULT]\n"
    # the watch learns cinder-volume's per-host queues from cinder's database
    # (nova-compute is not enabled here: no cell database)
    (cinder_db,) = conf["watch"]["service_databases"].split(",")
    assert sa.make_url(cinder_db).database == "cinder"

    log = tmp / "herald-listener.log"
    services.wait_until(lambda: log.exists() and "Consuming" in log.read_text(), 60,
                        "the devstack-started listener to consume")
    bin_dir = Path(sys.executable).parent
    emitted = subprocess.run(
        [str(bin_dir / "herald-emit"), "--config-file", str(conf_path),
         "INSTANCE_BOOT_NO_VALID_HOST", "--project-id", "ds-project", "--resource-uuid", INSTANCE,
         "--param", f"instance_name={NAME}", "--param", f"instance_id={INSTANCE}",
         "--param", "flavor=standard"],
        capture_output=True, text=True, timeout=60)
    assert emitted.returncode == 0, emitted.stderr

    # read as herald's read API does (utf8mb4 on MySQL): a charset=utf8
    # session reads a character outside the basic plane back as '?'
    read_url = sa.make_url(url)
    if kind == "mysql":
        read_url = read_url.update_query_dict({"charset": "utf8mb4"})
    engine = sa.create_engine(read_url)
    try:
        def stored():
            with engine.connect() as conn:
                return conn.execute(sa.select(messages.c.event_id, messages.c.user_message)
                                    .where(messages.c.project_id == "ds-project")).all()

        services.wait_until(lambda: len(stored()) == 1, 60, "the message row")
        assert stored() == [("INSTANCE_BOOT_NO_VALID_HOST",
                             f"Instance {NAME} ({INSTANCE}) could not be started: no host has "
                             "enough free resources for flavor standard.")]
    finally:
        engine.dispose()

    # herald-api, as devstack runs it: uwsgi, mounted at /user-messages
    uwsgi_ini = Path(env["HERALD_CONF_DIR"]) / "herald-api-uwsgi.ini"
    assert (f"write_uwsgi_config {uwsgi_ini} api.wsgi:application /user-messages  herald-api"
            in calls)
    assert read_ini(uwsgi_ini)["uwsgi"]["env"] == f"HERALD_CONFIG_FILE={conf_path}"
    started = [c for c in calls if c.startswith("run_process herald-api ")]
    assert len(started) == 1 and "uwsgi --procname-prefix herald --ini" in started[0]
    api = f"http://127.0.0.1:{env['SHIM_API_PORT']}/user-messages"
    services.wait_until(lambda: services.port_open(int(env["SHIM_API_PORT"])), 60,
                        "uwsgi to serve herald-api")
    status, body = get(f"{api}/")  # discovery, without a token, links under the mount path
    assert status == 200 and body["versions"][0]["links"][0]["href"] == f"{api}/v3/"
    if WITH_KEYSTONE[kind]:
        assert conf["api"]["auth_strategy"] == "keystone"
        assert "configure_keystone_authtoken_middleware " + str(conf_path) + " herald" in calls
        assert "create_service_user herald" in calls
        assert ("get_or_create_endpoint user-messages RegionOne "
                "http://127.0.0.1/user-messages/v3/$(project_id)s") in calls
        # keystonemiddleware in front: no token, no messages (and roles sent are ignored)
        assert get(f"{api}/v3/ds-project/messages")[0] == 401
        # the Event Viewer where Horizon reads plugins, and Horizon told
        local = Path(env["HORIZON_DIR"]) / "openstack_dashboard" / "local"
        assert sorted(p.name for p in (local / "enabled").iterdir()) == [
            "_1490_project_events_panel.py", "_2490_admin_events_panel.py"]
        assert (local / "local_settings.d" / "_90_herald.py").exists()
        assert "python manage.py collectstatic --noinput" in calls
        assert "python manage.py compress --force" in calls
        assert calls[-1] == "restart_apache_server"
    else:
        assert conf["api"]["auth_strategy"] == "noauth"
        assert not any(c.startswith("get_or_create_endpoint") for c in calls)
        status, body = get(f"{api}/v3/ds-project/messages", token="u1:ds-project")
        assert status == 200 and [m["event_id"] for m in body["messages"]] == [
            "INSTANCE_BOOT_NO_VALID_HOST"]
        assert NAME in body["messages"][0]["user_message"]
        assert body["messages"][0]["links"][0]["href"].startswith(
            f"{api}/v3/ds-project/messages/")
        assert get(f"{api}/v3/ds-project/messages", token="u1:other")[0] == 403

    pids = [int((tmp / f"{name}.pid").read_text()) for name in ("herald-listener", "herald-api")]
    result = run("unstack")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert "Traceback" not in log.read_text()
    if kind == "mysql":
        assert "charset=utf8; using utf8mb4 instead" in log.read_text()
        assert "Database driver mysql+pymysql, write path multi-row INSERT" in log.read_text()
    else:  # herald chose psycopg 3 for the driverless URL
        assert "Database driver postgresql+psycopg, write path COPY (binary" in log.read_text()
    assert run("clean").returncode == 0
    assert f"remove_uwsgi_config {uwsgi_ini} herald-api" in (tmp / "calls").read_text()
    assert not Path(env["HERALD_CONF_DIR"]).exists()
    assert not list((Path(env["HORIZON_DIR"]) / "openstack_dashboard" / "local" / "enabled")
                    .iterdir())
