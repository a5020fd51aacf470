"""Integration tests: herald beside real services from PyPI.

Each test gets a RabbitMQ vhost and PostgreSQL databases of its own, and
ends every process it started. herald runs as an operator would run it in
a cloud: its own topic ``user_messages``, the services' shared topics
through its own queue, the shipped mapping rules, and herald-api beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import services
from tests.functional.herald_process import HeraldProcess
from tests.integration import venvs
from tests.integration.broker import VirtualHost
from tests.integration.databases import Databases
from tests.integration.keystone import keystone_authtoken
from tests.integration.processes import Service, http_status

BIN = Path(sys.executable).parent


@pytest.fixture
def vhost():
    v = VirtualHost()
    yield v
    v.delete()


@pytest.fixture
def databases():
    d = Databases()
    yield d
    d.drop()


class Herald:
    """herald-listener and herald-api on one configuration."""

    def __init__(self, tmp: Path, vhost: VirtualHost, databases: Databases,
                 exchanges: list[str], shared_topics: list[str],
                 watch: str | None = None, extra: str = "",
                 keystone_url: str | None = None) -> None:
        """``watch``: the ``[watch]`` options, to run the watch of the
        services' queues (listener.watch); ``extra``: more configuration
        (the stall watcher's, say); ``keystone_url``: herald-api with
        ``auth_strategy = keystone``."""
        self.api_port = services.free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        self.listener = HeraldProcess(
            tmp / "herald", databases.create("herald", driver="postgresql+psycopg"),
            transport_url=vhost.transport_url, amqp_url=vhost.amqp_url, exchanges=exchanges,
            topic="user_messages", shared_topics=shared_topics, watch=watch is not None,
            extra=textwrap.dedent(f"""\
                [api]
                auth_strategy = {"noauth" if keystone_url is None else "keystone"}
                port = {self.api_port}
                """) + ("" if watch is None else "[watch]\n" + textwrap.dedent(watch))
            + textwrap.dedent(extra)
            + ("" if keystone_url is None else keystone_authtoken(keystone_url)))
        self.listener.prepare_database()
        self.api: Service | None = None

    def start(self) -> Herald:
        """The listener first (consuming whatever exists), then herald-api."""
        self.listener.start(services_first=False)
        self.api = Service("herald-api", [str(BIN / "herald-api"), "--config-file",
                                          str(self.listener.conf_path)], self.listener.dir)
        self.api.wait_for(lambda: http_status(self.base + "/") == 200, "answering GET /")
        return self

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()
        self.listener.cleanup()

    # -- what users read, with the clients they use -------------------------------
    def openstack(self, project: str, *args: str) -> list[dict]:
        """``openstack volume message list`` (python-openstackclient) as a user."""
        out = run(str(BIN / "openstack"), "--os-auth-type", "admin_token", "--os-endpoint",
                  f"{self.base}/v3/{project}", "--os-token", f"{project}-user:{project}",
                  "--os-volume-api-version", "3.5", "volume", "message", *args, "-f", "json")
        return json.loads(out)

    def cinder(self, project: str, *args: str) -> str:
        """python-cinderclient's ``cinder`` as a user."""
        return run(str(BIN / "cinder"), "--os-auth-type", "noauth", "--os-endpoint",
                   f"{self.base}/v3", "--os-user-id", f"{project}-user", "--os-project-id",
                   project, "--os-volume-api-version", "3.5", *args)


def run(*argv: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def herald(tmp_path, vhost, databases):
    made = []

    def make(exchanges: list[str], shared_topics: list[str],
             watch: str | None = None, extra: str = "",
             keystone_url: str | None = None) -> Herald:
        if not services.port_open(5432):
            services.unavailable("PostgreSQL on 127.0.0.1:5432")
        h = Herald(tmp_path, vhost, databases, exchanges, shared_topics, watch, extra,
                   keystone_url)
        made.append(h)
        return h

    yield make
    for h in made:
        h.stop()


@pytest.fixture(scope="session")
def keystone_venv():
    """Keystone 30 (in the Horizon test's virtualenv: one build for both)."""
    return venvs.HORIZON.ensure()


@pytest.fixture(scope="session")
def cinder_venv():
    return venvs.CINDER.ensure()


@pytest.fixture(scope="session")
def nova_venv():
    return venvs.NOVA.ensure()
