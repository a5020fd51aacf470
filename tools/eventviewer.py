"""Open the Event Viewer with one command: ``tox -e dashboard``.

Starts, on free local ports, what a newcomer needs to see herald's Horizon
plugin at work: a real Keystone (projects ``demo`` and ``other``, password =
name, and ``admin``/``admin``), herald-listener and herald-api with Keystone
auth on SQLite, and Horizon 27 with the plugin; then publishes the quick
start's messages (one per catalogue entry, through the local RabbitMQ) for
project ``demo``, prints the URL and the logins, and stops everything on
Ctrl-C (or SIGTERM).

Keystone, Horizon and uwsgi come from PyPI into a virtualenv of their own,
built once and cached (``~/.cache/herald-it``, as the integration tests
do): the first run takes a few minutes, later ones seconds. RabbitMQ must be
running on 127.0.0.1:5672 (or set ``HERALD_TRANSPORT_URL``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the integration tests' service helpers

from tests.integration import venvs  # noqa: E402
from tests.integration.horizon import Horizon  # noqa: E402
from tests.integration.keystone import Keystone, keystone_authtoken  # noqa: E402
from tests.integration.processes import Service, http_status  # noqa: E402
from tests.services import free_port  # noqa: E402

BIN = Path(sys.executable).parent


def herald_conf(path: Path, workdir: Path, keystone: Keystone, port: int, url: str) -> None:
    path.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        transport_url = {url}
        [database]
        connection = sqlite:///{workdir}/herald.sqlite
        [listener]
        topics = herald_eventviewer
        [oslo_messaging_rabbit]
        amqp_durable_queues = true
        [api]
        auth_strategy = keystone
        port = {port}
        """) + keystone_authtoken(keystone.url))


def count_messages(api: str, keystone: Keystone) -> int:
    token = keystone.token("demo", "demo", "demo")
    req = urllib.request.Request(f"{api}/v3/{keystone.projects['demo']}/messages?limit=1000",
                                 headers={"X-Auth-Token": token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return len(json.load(r)["messages"])


def run(workdir: Path, url: str, stop: threading.Event) -> int:
    started: list[Keystone | Horizon | Service] = []
    try:
        print("== Keystone, Horizon 27 and uwsgi from PyPI (built once, then cached in "
              f"{venvs.CACHE})", flush=True)
        venv = venvs.HORIZON.ensure()
        keystone = Keystone(venv, workdir).start()
        started.append(keystone)
        api_port = free_port()
        api = f"http://127.0.0.1:{api_port}"
        keystone.provision(f"{api}/v3/$(project_id)s")
        conf = workdir / "herald.conf"
        herald_conf(conf, workdir, keystone, api_port, url)
        args = ["--config-file", str(conf)]
        subprocess.run([str(BIN / "herald-manage"), *args, "db", "upgrade"], check=True,
                       capture_output=True)
        listener = Service("herald-listener", [str(BIN / "herald-listener"), *args,
                                               "--log-file", str(workdir / "listener.log")],
                           workdir)
        started.append(listener)
        herald_api = Service("herald-api", [str(BIN / "herald-api"), *args], workdir)
        started.append(herald_api)
        herald_api.wait_for(lambda: http_status(api + "/") == 200, "answering GET /")
        listener.wait_for(lambda: "Consuming" in (workdir / "listener.log").read_text(
            errors="replace") if (workdir / "listener.log").exists() else False,
            "consuming")
        print("== herald-emit: the quick start's messages, for project demo", flush=True)
        subprocess.run([str(BIN / "herald-emit"), *args, "--all-samples", "--project-id",
                        keystone.projects["demo"]], check=True, capture_output=True)
        horizon = Horizon(venv, workdir, keystone.url)
        started.append(horizon.start())
        herald_api.wait_for(lambda: count_messages(api, keystone) > 0, "demo's messages")
        print(textwrap.dedent(f"""\

            The Event Viewer: {horizon.url}/project/events/
              log in as demo / demo   (Project > Events: {count_messages(api, keystone)} messages)
                     or other / other (a project with none)
                     or admin / admin (Admin > Events: every project's)
            herald-api: {api} (Keystone: {keystone.url})
            logs: {workdir}
            Ctrl-C stops everything.""").replace("\n", "\n", 1), flush=True)
        stop.wait()
        return 0
    finally:
        for thing in reversed(started):
            thing.stop()
        print("== stopped Horizon, herald-api, herald-listener and Keystone", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="where configuration, databases and "
                        "logs go (default: a new temporary directory)")
    options = parser.parse_args(argv)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="herald-eventviewer-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("HERALD_TRANSPORT_URL", "rabbit://guest:guest@127.0.0.1:5672/")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return run(workdir, url, stop)


if __name__ == "__main__":
    sys.exit(main())
