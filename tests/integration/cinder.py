"""Real Cinder (PyPI) on the machine's RabbitMQ and PostgreSQL.

cinder-api with ``auth_strategy = noauth`` (``X-Auth-Token: <user>:<project>``)
and cinder-scheduler, configured as any cloud that never heard of herald:
``[oslo_messaging_rabbit]`` at oslo's defaults. On demand, cinder-volume
with cinder's NFS driver on a local share: the share's mount point is a
tmpfs of ``CAPACITY_GB`` (the driver skips mounting a path already in
/proc/mounts; it only checks that a ``mount.nfs`` exists), and
``max_over_subscription_ratio = 1.0`` makes the scheduler hold the driver to
that capacity.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from tests import services
from tests.integration import http
from tests.integration.broker import VirtualHost
from tests.integration.databases import Databases
from tests.integration.processes import Service, http_status
from tests.integration.venvs import ServiceVenv

CAPACITY_GB = 3
BACKEND = "nfs1"


class Cinder:
    def __init__(self, venv: ServiceVenv, vhost: VirtualHost, databases: Databases,
                 tmp: Path, keystone_url: str | None = None) -> None:
        """``keystone_url``: authenticate users with that Keystone (its
        bootstrap admin validates their tokens) instead of noauth."""
        self.venv, self.vhost = venv, vhost
        self.dir = tmp / "cinder"
        self.etc, self.logs = self.dir / "etc", self.dir / "logs"
        for d in (self.etc, self.logs, self.dir / "state", self.dir / "locks"):
            d.mkdir(parents=True, exist_ok=True)
        self.port = services.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.conf = self.etc / "cinder.conf"
        self.db_url = databases.create("cinder")
        self.conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            auth_strategy = {"keystone" if keystone_url else "noauth"}
            transport_url = {vhost.transport_url}
            # project IDs such as "demo" (the default only admits hex)
            project_id_regex = [0-9a-zA-Z_\\-]+
            # no volume service: fail a create at once instead of after 60 s
            scheduler_driver_init_wait_time = 1
            osapi_volume_listen = 127.0.0.1
            osapi_volume_listen_port = {self.port}
            osapi_volume_workers = 1
            state_path = {self.dir}/state
            host = cinder-it
            my_ip = 127.0.0.1
            [database]
            connection = {self.db_url}
            [oslo_concurrency]
            lock_path = {self.dir}/locks
            [oslo_messaging_notifications]
            driver = messagingv2
            """))
        if keystone_url:
            with open(self.conf, "a") as f:
                f.write(textwrap.dedent(f"""\
                    [keystone_authtoken]
                    www_authenticate_uri = {keystone_url}
                    auth_url = {keystone_url}
                    auth_type = password
                    username = admin
                    password = admin
                    project_name = admin
                    user_domain_id = default
                    project_domain_id = default
                    # the test's Keystone has public endpoints only
                    interface = public
                    """))
        # found next to cinder.conf (api_paste_config is deprecated)
        shutil.copy(venv.path / "etc" / "cinder" / "api-paste.ini", self.etc)
        self.processes: dict[str, Service] = {}
        self._mounts: list[Path] = []
        self._run("cinder-manage", "--config-file", str(self.conf), "db", "sync")

    def _run(self, *argv: str) -> None:
        result = subprocess.run([self.venv.bin(argv[0]), *argv[1:]], capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr

    def _start(self, name: str, *extra: str, env: dict[str, str] | None = None) -> Service:
        service = Service(name, [self.venv.bin(name), "--config-file", str(self.conf), *extra],
                          self.logs, env=env)
        self.processes[name] = service
        return service

    # -- the services ---------------------------------------------------------------
    def start(self) -> Cinder:
        """cinder-scheduler and cinder-api, ready: the scheduler consumes its
        RPC queue (the API casts to it) and the API answers."""
        scheduler, api = self._start("cinder-scheduler"), self._start("cinder-api")
        scheduler.wait_for(lambda: self.vhost.consumed("cinder-scheduler"),
                           "consuming its RPC queue")
        api.wait_for(lambda: http_status(self.base + "/") == 300, "answering GET /")
        return self

    def start_volume(self) -> None:
        """cinder-volume with the NFS driver on a CAPACITY_GB share."""
        share = f"127.0.0.1:{self.dir}/export"
        base = self.dir / "mnt"
        mount_point = base / hashlib.md5(share.encode()).hexdigest()  # noqa: S324 - NFS's naming
        mount_point.mkdir(parents=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o",
                                 f"size={CAPACITY_GB}g,mode=0777", "herald-it", str(mount_point)],
                                capture_output=True, text=True)
        if result.returncode:
            services.unavailable(f"mount(2) for cinder's NFS share ({result.stderr.strip()})")
        self._mounts.append(mount_point)
        (self.etc / "nfs_shares").write_text(share + "\n")
        shim = self.dir / "bin"
        shim.mkdir()
        (shim / "mount.nfs").write_text("#!/bin/sh\nexit 0\n")  # do_setup: "is it installed?"
        (shim / "mount.nfs").chmod(0o755)
        (self.etc / "cinder-volume.conf").write_text(textwrap.dedent(f"""\
            [DEFAULT]
            enabled_backends = {BACKEND}
            [{BACKEND}]
            volume_driver = cinder.volume.drivers.nfs.NfsDriver
            volume_backend_name = {BACKEND}
            nfs_shares_config = {self.etc}/nfs_shares
            nfs_mount_point_base = {base}
            nas_secure_file_operations = false
            nas_secure_file_permissions = false
            max_over_subscription_ratio = 1.0
            """))
        volume = self._start("cinder-volume", "--config-file",
                             str(self.etc / "cinder-volume.conf"),
                             env={"PATH": f"{shim}:{os.environ['PATH']}"})
        volume.wait_for(lambda: f"cinder-it@{BACKEND}#{BACKEND}" in str(self.pools()),
                        "its pool known to the scheduler")

    def pools(self) -> Any:
        return self.api("GET", "/scheduler-stats/get_pools?detail=true")[2]

    def stop(self) -> None:
        for service in self.processes.values():
            service.stop()
        for mount_point in self._mounts:
            subprocess.run(["umount", str(mount_point)], capture_output=True)

    def logs_text(self) -> str:
        return "\n".join(f"== {s.name}\n{s.log()[-3000:]}" for s in self.processes.values())

    # -- the API, as a user of a project ---------------------------------------------------
    def api(self, method: str, path: str, project: str = "demo", body: Any = None,
            microversion: str | None = None) -> tuple[int, dict[str, str], Any]:
        headers = {"X-Auth-Token": f"{project}-user:{project}"}
        if microversion:
            headers["OpenStack-API-Version"] = f"volume {microversion}"
        return http.call(method, f"{self.base}/v3/{project}{path}", headers, body)

    def create_volume(self, size: int, project: str = "demo") -> tuple[str, str]:
        """(volume id, request id)."""
        status, headers, body = self.api("POST", "/volumes", project,
                                         {"volume": {"size": size, "name": "herald-it"}})
        assert status == 202, body
        return body["volume"]["id"], http.request_id(headers)

    def extend(self, volume_id: str, new_size: int, project: str = "demo") -> str:
        status, headers, body = self.api("POST", f"/volumes/{volume_id}/action", project,
                                         {"os-extend": {"new_size": new_size}})
        assert status == 202, body
        return http.request_id(headers)

    def volume(self, volume_id: str, project: str = "demo") -> dict[str, Any]:
        status, _, body = self.api("GET", f"/volumes/{volume_id}", project)
        assert status == 200, body
        return body["volume"]

    def wait_status(self, volume_id: str, *statuses: str) -> None:
        services.wait_until(lambda: self.volume(volume_id)["status"] in statuses, 60,
                            f"volume {volume_id} to become {' or '.join(statuses)}")

    def messages(self, project: str = "demo") -> list[dict[str, Any]]:
        """Cinder's own user messages (its messages API)."""
        status, _, body = self.api("GET", "/messages", project, microversion="3.3")
        assert status == 200, body
        return body["messages"]
