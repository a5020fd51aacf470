"""Real services for functional tests: where they are, and how to reach them.

Locally, a test whose service is down is skipped with the reason; under
``CI=true`` it fails instead, because CI must prove the real thing.
URLs can be overridden with HERALD_TEST_RABBIT_URL, HERALD_TEST_PG_URL and
HERALD_TEST_MYSQL_URL (admin URLs: tests create and drop their own databases).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

RABBIT_URL = os.environ.get("HERALD_TEST_RABBIT_URL", "rabbit://guest:guest@127.0.0.1:5672/")
AMQP_URL = RABBIT_URL.replace("rabbit://", "amqp://", 1)
PG_URL = os.environ.get("HERALD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("HERALD_TEST_MYSQL_URL",
                           "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4")
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str) -> None:
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) and is not available")
    pytest.skip(f"{what} is not available")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port nothing listens on now (a test's own server, or a broker
    that is not there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.2) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Database:
    """A database created for this test session on a real server.

    ``backend`` ``psycopg2``: PostgreSQL through psycopg2 (herald's other
    PostgreSQL driver), on a database of its own.
    """

    def __init__(self, backend: str, admin_url: str | None, tmpdir: str) -> None:
        self.backend = backend
        self.server = "postgresql" if backend == "psycopg2" else backend
        name = f"herald_test_{secrets.token_hex(4)}"
        if backend == "sqlite":
            self.url = f"sqlite:///{tmpdir}/{name}.sqlite"
            self._admin = None
            return
        admin = sa.make_url(admin_url)
        try:
            # pre-ping: fault tests restart the server under this engine
            self._admin = sa.create_engine(admin, isolation_level="AUTOCOMMIT",
                                           pool_pre_ping=True)
            with self._admin.connect() as conn:
                if backend == "mysql":
                    conn.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
                else:
                    conn.execute(sa.text(f"CREATE DATABASE {name}"))
        except sa.exc.OperationalError as exc:
            unavailable(f"{backend} at {admin.render_as_string(hide_password=True)} ({exc.orig})")
        self.name = name
        url = admin.set(database=name)
        if backend == "psycopg2":
            url = url.set(drivername="postgresql+psycopg2")
        self.url = url.render_as_string(hide_password=False)

    def drop(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            if self.server == "postgresql":
                conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name})
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.name}"))
        self._admin.dispose()


# --- stopping and starting the real services (fault tests) -----------------

def pg_ctl(action: str) -> None:
    version = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True,
                             check=True).stdout.split()[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
                   + (["-m", "fast"] if action == "stop" else []), check=True,
                   capture_output=True)


def stop_postgresql() -> None:
    pg_ctl("stop")
    wait_until(lambda: not port_open(5432), 30, "PostgreSQL to stop")


def start_postgresql() -> None:
    pg_ctl("start")
    wait_until(lambda: port_open(5432), 60, "PostgreSQL to start")


def stop_rabbitmq() -> None:
    """Stop the whole RabbitMQ node (not only its application)."""
    subprocess.run(["rabbitmqctl", "stop"], check=True, capture_output=True)
    wait_until(lambda: not port_open(5672), 60, "RabbitMQ to stop")


def start_rabbitmq() -> None:
    subprocess.run(["rabbitmq-server", "-detached"], check=True, capture_output=True)
    wait_until(lambda: port_open(5672), 120, "RabbitMQ to start")
    subprocess.run(["rabbitmqctl", "await_startup"], capture_output=True, timeout=120)


def stop_mariadb() -> None:
    subprocess.run(["mariadb-admin", "-uroot", "-h127.0.0.1", "shutdown"], check=True,
                   capture_output=True)
    wait_until(lambda: not port_open(3306), 60, "MariaDB to stop")
    # the port closes before the process exits; a start meanwhile would find
    # it still there and do nothing (start-stop-daemon --oknodo)
    wait_until(lambda: subprocess.run(["pgrep", "-x", "mariadbd"],
                                      capture_output=True).returncode != 0,
               60, "the MariaDB process to exit")


def start_mariadb() -> None:
    subprocess.run(["start-stop-daemon", "--start", "--oknodo", "--background", "--exec",
                    "/usr/sbin/mariadbd"], check=True, capture_output=True)
    wait_until(lambda: port_open(3306), 60, "MariaDB to start")


#: stop and start each database server a backend runs on
STOP = {"postgresql": stop_postgresql, "psycopg2": stop_postgresql, "mysql": stop_mariadb}
START = {"postgresql": start_postgresql, "psycopg2": start_postgresql, "mysql": start_mariadb}
