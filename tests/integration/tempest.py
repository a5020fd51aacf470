"""Tempest (PyPI, a virtualenv of its own), run unchanged against the test's cloud.

A workspace per run: ``etc/tempest.conf`` (dynamic credentials from
Keystone's bootstrap admin, only Cinder available, the volume service's
catalog type chosen per run), ``tempest run --regex``, and the totals read
from stestr's summary. herald's own plugin (herald_tempest_plugin) is
installed into the virtualenv, without dependencies, before a run that
needs it.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

from tests.integration.venvs import ServiceVenv

REPO = Path(__file__).resolve().parents[2]
_TOTAL = re.compile(r"^ - (Passed|Failed|Skipped): (\d+)", re.M)


class Tempest:
    def __init__(self, venv: ServiceVenv, tmp: Path, keystone_url: str) -> None:
        self.venv, self.tmp, self.keystone_url = venv, tmp, keystone_url
        self.runs = 0

    def install_plugin(self) -> None:
        """herald_tempest_plugin from this checkout (editable: the code under test)."""
        result = subprocess.run(
            [self.venv.bin("pip"), "install", "-q", "--disable-pip-version-check", "--no-deps",
             "-e", str(REPO)], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr

    def conf(self, workspace: Path, catalog_type: str, herald: bool, nova: bool,
             extra: str = "") -> Path:
        (workspace / "etc").mkdir(parents=True)
        (workspace / "logs").mkdir()
        path = workspace / "etc" / "tempest.conf"
        path.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            log_dir = {workspace}/logs
            log_file = tempest.log
            [oslo_concurrency]
            lock_path = {workspace}/locks
            [auth]
            use_dynamic_credentials = true
            create_isolated_networks = false
            admin_username = admin
            admin_password = admin
            admin_project_name = admin
            admin_domain_name = Default
            [identity]
            uri_v3 = {self.keystone_url}
            auth_version = v3
            region = RegionOne
            [service_available]
            cinder = true
            nova = {str(nova).lower()}
            glance = false
            neutron = false
            swift = false
            herald = {str(herald).lower()}
            [volume]
            catalog_type = {catalog_type}
            min_microversion = 3.0
            max_microversion = latest
            build_timeout = 120
            volume_size = 1
            [volume-feature-enabled]
            backup = false
            """) + textwrap.dedent(extra))
        return path

    def run(self, regex: str, catalog_type: str, herald: bool = False, nova: bool = False,
            extra: str = "") -> dict[str, int | str]:
        """``tempest run --regex``: {"Passed": n, "Failed": n, "Skipped": n,
        "output": text}. ``herald``: ``[service_available] herald`` (the plugin's)."""
        self.runs += 1
        workspace = self.tmp / f"tempest-{self.runs}"
        conf = self.conf(workspace, catalog_type, herald, nova, extra)
        result = subprocess.run(
            [self.venv.bin("tempest"), "run", "--config-file", str(conf), "--regex", regex],
            cwd=workspace, capture_output=True, text=True, timeout=1800)
        output = result.stdout + result.stderr
        totals: dict[str, int | str] = {k: 0 for k in ("Passed", "Failed", "Skipped")}
        totals.update({k: int(v) for k, v in _TOTAL.findall(output)})
        totals["output"] = output
        totals["returncode"] = result.returncode
        return totals
