"""Virtualenvs of the services herald joins, installed from PyPI and cached.

cinder and nova pin their own dependencies (oslo.*, SQLAlchemy, eventlet...):
they get virtualenvs of their own, never herald's test environment. A
virtualenv is built once per requirement set and Python version, under
``$HERALD_IT_CACHE`` (default ``~/.cache/herald-it``), under a lock, and
marked complete last, so concurrent or interrupted runs never use a
half-built one.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests import services

CACHE = Path(os.environ.get("HERALD_IT_CACHE", Path.home() / ".cache" / "herald-it"))


@dataclasses.dataclass(frozen=True)
class ServiceVenv:
    name: str
    requirements: tuple[str, ...]

    @property
    def path(self) -> Path:
        key = "\n".join((sys.version, *self.requirements)).encode()
        return CACHE / f"{self.name}-{hashlib.sha256(key).hexdigest()[:12]}"

    def bin(self, name: str) -> str:
        return str(self.path / "bin" / name)

    def ensure(self) -> ServiceVenv:
        """Build the virtualenv unless it is cached; a failed install fails
        in CI (the tests cannot prove anything without the services)."""
        CACHE.mkdir(parents=True, exist_ok=True)
        done = self.path / "complete"
        with open(CACHE / f"{self.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if done.exists():
                return self
            shutil.rmtree(self.path, ignore_errors=True)  # an interrupted build
            started = time.monotonic()
            log = CACHE / f"{self.path.name}.log"
            with open(log, "w") as out:
                ok = subprocess.run([sys.executable, "-m", "venv", str(self.path)],
                                    stdout=out, stderr=subprocess.STDOUT).returncode == 0
                ok = ok and subprocess.run(
                    [self.bin("pip"), "install", "--disable-pip-version-check",
                     *self.requirements], stdout=out, stderr=subprocess.STDOUT,
                    timeout=1800).returncode == 0
            if not ok:
                shutil.rmtree(self.path, ignore_errors=True)
                services.unavailable(f"a virtualenv with {' '.join(self.requirements)} "
                                     f"(pip failed: {log})")
            done.write_text(f"built in {time.monotonic() - started:.0f} s\n")
            return self


CINDER = ServiceVenv("cinder", ("cinder==29.0.0", "psycopg2-binary"))
NOVA = ServiceVenv("nova", ("nova==34.0.0", "openstack-placement==16.0.0", "psycopg2-binary",
                            "gunicorn"))
HORIZON = ServiceVenv("horizon", ("keystone==30.0.0", "horizon==27.0.0", "uwsgi==2.0.31"))
# Tempest, unchanged, with the plugin of this repository installed in it at run time
TEMPEST = ServiceVenv("tempest", ("tempest==47.0.0",))
