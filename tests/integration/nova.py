"""Real nova 34 and placement 16 (PyPI) on the machine's RabbitMQ and PostgreSQL.

No compute node, so every boot fails with NoValidHost. Configured as a cloud
that never heard of herald ([oslo_messaging_rabbit] at oslo's defaults),
except for what running without Keystone needs:

- nova 32 removed its no-auth mode: nova-api runs nova's own paste pipeline
  without ``authtoken``, and requests carry the headers keystonemiddleware
  would set (``X-User-Id``, ``X-Project-Id``, ``X-Roles``) and a token
  (nova hands it to Glance);
- placement runs ``auth_strategy = noauth2`` (token ``admin`` is an admin),
  and nova reaches it with keystoneauth's ``admin_token`` plugin;
- Glance and Neutron are stand-ins (tests/integration/standins.py).

nova-api and placement run under gunicorn; nova's WSGI module parses
``sys.argv`` at import, so it is loaded through a wrapper that hides
gunicorn's arguments.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from tests import services
from tests.integration import http
from tests.integration.broker import VirtualHost
from tests.integration.databases import Databases
from tests.integration.processes import Service, http_status
from tests.integration.standins import IMAGE_ID, StandIn
from tests.integration.venvs import ServiceVenv

NOVA_API_WRAPPER = """\
import sys
sys.argv = sys.argv[:1]  # gunicorn's arguments are not nova's
from nova.wsgi.osapi_compute import application  # noqa: E402,F401
"""
ADMIN = {"X-User-Id": "admin", "X-Project-Id": "admin", "X-Roles": "admin,member,reader",
         "X-Auth-Token": "admin"}
FLAVOR = "42"


class Nova:
    def __init__(self, venv: ServiceVenv, vhost: VirtualHost, databases: Databases,
                 tmp: Path, notification_format: str, rpc_response_timeout: int = 60,
                 keystone: Any = None) -> None:
        """``rpc_response_timeout``: oslo's default, 60 s; shorter makes the
        conductor give up on a scheduler that does not answer sooner.
        ``keystone`` (tests.integration.keystone.Keystone): nova-api keeps
        its ``authtoken`` filter and users send Keystone tokens."""
        self.keystone = keystone
        self.venv, self.vhost = venv, vhost
        self.dir = tmp / "nova"
        self.etc, self.logs = self.dir / "etc", self.dir / "logs"
        for d in (self.etc / "nova", self.etc / "placement", self.logs, self.dir / "state"):
            d.mkdir(parents=True, exist_ok=True)
        self.glance, self.neutron = StandIn("glance"), StandIn("neutron")
        self.placement_port, self.api_port = services.free_port(), services.free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        (self.etc / "placement" / "placement.conf").write_text(textwrap.dedent(f"""\
            [api]
            auth_strategy = noauth2
            [placement_database]
            connection = {databases.create("placement")}
            """))
        cell0 = databases.create("nova_cell0")
        self.conf = self.etc / "nova" / "nova.conf"
        self.conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            host = nova-it
            state_path = {self.dir}/state
            transport_url = {vhost.transport_url}
            rpc_response_timeout = {rpc_response_timeout}
            [api_database]
            connection = {databases.create("nova_api")}
            [database]
            connection = {databases.create("nova")}
            [oslo_concurrency]
            lock_path = {self.dir}/state
            [oslo_messaging_notifications]
            driver = messagingv2
            [notifications]
            notification_format = {notification_format}
            [conductor]
            workers = 1
            [scheduler]
            workers = 1
            [placement]
            auth_type = admin_token
            endpoint = http://127.0.0.1:{self.placement_port}
            token = admin
            [glance]
            endpoint_override = {self.glance.url}
            [neutron]
            auth_type = admin_token
            endpoint = {self.neutron.url}
            token = admin
            endpoint_override = {self.neutron.url}
            """))
        if keystone is not None:
            with open(self.conf, "a") as f:
                f.write(textwrap.dedent(f"""\
                    [keystone_authtoken]
                    www_authenticate_uri = {keystone.url}
                    auth_url = {keystone.url}
                    auth_type = password
                    username = admin
                    password = admin
                    project_name = admin
                    user_domain_id = default
                    project_domain_id = default
                    interface = public
                    """))
        shipped = (venv.path / "etc" / "nova" / "api-paste.ini").read_text()
        (self.etc / "nova" / "api-paste.ini").write_text(
            shipped if keystone is not None
            else re.sub(r"^(keystone = .*) authtoken ", r"\1 ", shipped, flags=re.M))
        (self.dir / "nova_api_wsgi.py").write_text(NOVA_API_WRAPPER)
        self.processes: dict[str, Service] = {}
        self._manage("placement-manage", "--config-file",
                     str(self.etc / "placement" / "placement.conf"), "db", "sync")
        conf = ["--config-file", str(self.conf)]
        self._manage("nova-manage", *conf, "api_db", "sync")
        self._manage("nova-manage", *conf, "cell_v2", "map_cell0", "--database_connection",
                     cell0)
        self._manage("nova-manage", *conf, "cell_v2", "create_cell", "--name", "cell1")
        self._manage("nova-manage", *conf, "db", "sync")

    def _manage(self, *argv: str) -> None:
        result = subprocess.run([self.venv.bin(argv[0]), *argv[1:]], capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        service = Service(name, argv, self.logs, env=env, cwd=self.dir)
        self.processes[name] = service
        return service

    def _gunicorn(self, name: str, port: int, app: str, env: dict[str, str]) -> Service:
        return self._start(name, [self.venv.bin("gunicorn"), "-b", f"127.0.0.1:{port}",
                                  "-w", "1", "--threads", "2", "--timeout", "120",
                                  "--no-control-socket", app], env=env)

    def start(self, without: tuple[str, ...] = ()) -> Nova:
        """placement, nova-conductor, nova-scheduler and nova-api, ready;
        ``without``: services not started (nova-conductor, nova-scheduler)."""
        placement = self._gunicorn("placement-api", self.placement_port,
                                   "placement.wsgi.api:application",
                                   {"OS_PLACEMENT_CONFIG_DIR": str(self.etc / "placement")})
        conf = ["--config-file", str(self.conf)]
        rpc = [self._start(name, [self.venv.bin(name), *conf])
               for name in ("nova-conductor", "nova-scheduler") if name not in without]
        api = self._gunicorn("nova-api", self.api_port, "nova_api_wsgi:application",
                             {"OS_NOVA_CONFIG_DIR": str(self.etc / "nova")})
        placement.wait_for(lambda: http_status(
            f"http://127.0.0.1:{self.placement_port}/") == 200, "answering GET /")
        for service in rpc:
            topic = service.name.removeprefix("nova-")
            service.wait_for(lambda t=topic: self.vhost.consumed(t), "consuming its RPC queue")
        api.wait_for(lambda: http_status(self.base + "/") == 200, "answering GET /")
        admin = ADMIN if self.keystone is None else {
            "X-Auth-Token": self.keystone.token("admin", "admin", "admin")}
        status, _, body = self.api("POST", "/flavors", admin, {"flavor": {
            "name": "it.tiny", "ram": 64, "vcpus": 1, "disk": 1, "id": FLAVOR}})
        assert status == 200, body
        return self

    def stop(self) -> None:
        for service in self.processes.values():
            service.stop()
        self.glance.stop()
        self.neutron.stop()

    def logs_text(self) -> str:
        return "\n".join(f"== {s.name}\n{s.log()[-3000:]}" for s in self.processes.values())

    # -- the compute API ----------------------------------------------------------
    def api(self, method: str, path: str, headers: dict[str, str], body: Any = None,
            ) -> tuple[int, dict[str, str], Any]:
        return http.call(method, f"{self.base}/v2.1{path}",
                         {**headers, "OpenStack-API-Version": "compute 2.37"}, body)

    def user(self, project: str) -> dict[str, str]:
        if self.keystone is not None:  # users of tests.integration.keystone: password = name
            return {"X-Auth-Token": self.keystone.token(project, project, project)}
        return {"X-User-Id": f"{project}-user", "X-Project-Id": project,
                "X-Roles": "member,reader", "X-Auth-Token": f"{project}-token"}

    def boot(self, project: str = "demo") -> tuple[str, str]:
        """(server id, request id) of a boot no host can take."""
        status, headers, body = self.api("POST", "/servers", self.user(project), {"server": {
            "name": "herald-it", "imageRef": IMAGE_ID, "flavorRef": FLAVOR,
            "networks": "none"}})
        assert status == 202, body
        return body["server"]["id"], http.request_id(headers)

    def server(self, server_id: str, project: str = "demo") -> dict[str, Any]:
        status, _, body = self.api("GET", f"/servers/{server_id}", self.user(project))
        assert status == 200, body
        return body["server"]

    def wait_status(self, server_id: str, status: str) -> None:
        services.wait_until(lambda: self.server(server_id)["status"] == status, 60,
                            f"server {server_id} to become {status}")
