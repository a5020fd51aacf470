"""A real Keystone (PyPI) on SQLite under uwsgi, with the users of the tests.

``keystone.wsgi.api:application`` finds its configuration through
``OS_KEYSTONE_CONFIG_FILES``. uwsgi needs ``--add-header "Connection:
close"`` (keystoneauth's second request on a kept-alive connection fails
otherwise) and ``--die-on-term`` (else SIGTERM reloads it).

Provisioned over Keystone's REST API: projects ``demo`` and ``other`` with a
``member`` of the same name (password = name), the bootstrap ``admin``, and
herald-api as the ``user-messages`` service at a public endpoint.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

from tests import services
from tests.integration.processes import Service, http_status
from tests.integration.venvs import ServiceVenv

USERS = ("demo", "other")


def keystone_authtoken(keystone_url: str) -> str:
    """``[keystone_authtoken]`` of a service checking tokens with the
    bootstrap admin (herald-api, as cinder-api and nova-api are set up)."""
    return textwrap.dedent(f"""\
        [keystone_authtoken]
        www_authenticate_uri = {keystone_url}
        auth_url = {keystone_url}
        auth_type = password
        username = admin
        password = admin
        project_name = admin
        user_domain_id = default
        project_domain_id = default
        interface = public
        """)


class Keystone:
    def __init__(self, venv: ServiceVenv, tmp: Path) -> None:
        self.venv = venv
        self.dir = tmp / "keystone"
        self.dir.mkdir(parents=True)
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}/v3"
        self.conf = self.dir / "keystone.conf"
        self.conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            log_file = {self.dir}/keystone.log
            [database]
            connection = sqlite:///{self.dir}/keystone.db
            [token]
            provider = fernet
            [fernet_tokens]
            key_repository = {self.dir}/fernet-keys
            [fernet_receipts]
            key_repository = {self.dir}/fernet-keys
            [credential]
            key_repository = {self.dir}/credential-keys
            """))
        manage = [venv.bin("keystone-manage"), "--config-file", str(self.conf)]
        for args in (["db_sync"],
                     ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"],
                     ["credential_setup", "--keystone-user", "root", "--keystone-group",
                      "root"],
                     ["bootstrap", "--bootstrap-password", "admin", "--bootstrap-username",
                      "admin", "--bootstrap-project-name", "admin", "--bootstrap-role-name",
                      "admin", "--bootstrap-service-name", "keystone",
                      "--bootstrap-region-id", "RegionOne", "--bootstrap-public-url",
                      self.url]):
            result = subprocess.run(manage + args, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
        self.service: Service | None = None
        self.projects: dict[str, str] = {}

    def start(self) -> Keystone:
        self.service = Service("keystone", [
            self.venv.bin("uwsgi"), "--http", f"127.0.0.1:{self.port}",
            "--module", "keystone.wsgi.api:application",
            "--env", f"OS_KEYSTONE_CONFIG_FILES={self.conf}", "--master", "--processes", "1",
            "--threads", "4", "--add-header", "Connection: close", "--die-on-term",
            "--need-app"], self.dir)
        self.service.wait_for(lambda: http_status(self.url) == 200, "answering GET /v3")
        return self

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()

    # -- REST ---------------------------------------------------------------------
    def token(self, user: str, password: str, project: str) -> str:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        req = urllib.request.Request(f"{self.url}/auth/tokens", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.headers["X-Subject-Token"]

    def _call(self, token: str, method: str, path: str, body: Any = None) -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}", None if body is None else json.dumps(body).encode(),
            {"X-Auth-Token": token, "Content-Type": "application/json"}, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def provision(self, messages_url: str) -> dict[str, str]:
        """The projects and users of the tests, and herald-api in the catalog
        (``messages_url`` with ``$(project_id)s``); {project name: id}."""
        admin = self.token("admin", "admin", "admin")
        roles = self._call(admin, "GET", "/roles?name=member")["roles"]
        member = roles[0]["id"]
        self.projects["admin"] = self._call(admin, "GET", "/projects?name=admin")[
            "projects"][0]["id"]
        for name in USERS:
            project = self._call(admin, "POST", "/projects", {"project": {
                "name": name, "domain_id": "default"}})["project"]["id"]
            user = self._call(admin, "POST", "/users", {"user": {
                "name": name, "domain_id": "default", "password": name,
                "default_project_id": project}})["user"]["id"]
            self._call(admin, "PUT", f"/projects/{project}/users/{user}/roles/{member}")
            self.projects[name] = project
        service = self._call(admin, "POST", "/services", {"service": {
            "type": "user-messages", "name": "herald",
            "description": "User messages (herald)"}})["service"]["id"]
        self._call(admin, "POST", "/endpoints", {"endpoint": {
            "service_id": service, "interface": "public", "region_id": "RegionOne",
            "url": messages_url}})
        return self.projects

    def service_account(self, name: str, role: str = "admin") -> None:
        """A user ``name`` (password = name) with ``role`` on project admin:
        how herald's [service_credentials] account is set up."""
        admin = self.token("admin", "admin", "admin")
        role_id = self._call(admin, "GET", f"/roles?name={role}")["roles"][0]["id"]
        project = self._call(admin, "GET", "/projects?name=admin")["projects"][0]["id"]
        user = self._call(admin, "POST", "/users", {"user": {
            "name": name, "domain_id": "default", "password": name}})["user"]["id"]
        self._call(admin, "PUT", f"/projects/{project}/users/{user}/roles/{role_id}")

    def add_service(self, service_type: str, name: str, url: str) -> None:
        """A service at a public endpoint of RegionOne."""
        admin = self.token("admin", "admin", "admin")
        service = self._call(admin, "POST", "/services", {"service": {
            "type": service_type, "name": name}})["service"]["id"]
        self._call(admin, "POST", "/endpoints", {"endpoint": {
            "service_id": service, "interface": "public", "region_id": "RegionOne",
            "url": url}})
