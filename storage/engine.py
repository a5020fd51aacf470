"""Engines per database kind, and what a database error means for a batch.

Each dialect gets session settings that turn a stuck database into an
error herald can retry (a lock wait or statement time limit) rather than a
worker blocked forever with its broker heartbeats starving.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from collector.exceptions import ConfigurationError, StorageUnavailable
from storage import failover

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.StrOpt(
        "connection",
        secret=True,
        default="sqlite:////var/lib/herald/herald.sqlite",
        help="SQLAlchemy URL of the database holding ``messages`` and "
        "``rejected_notifications``. SQLite (embedded, one host; keep "
        "``[listener] workers = 1``), PostgreSQL "
        "(``postgresql://user:pass@host/herald``) and MariaDB/MySQL "
        "(``mysql://user:pass@host/herald``; any charset other than utf8mb4 "
        "is replaced by utf8mb4, with a warning) are supported. A URL "
        "naming no driver gets the installed one with the fastest write path "
        "(psycopg 3, else psycopg2; PyMySQL, else mysqlclient); the driver "
        "and write path in use are logged at start. Never logged itself.",
    ),
    cfg.IntOpt(
        "statement_timeout",
        default=30,
        min=1,
        help="Seconds a statement (or a wait for a lock) may take before "
        "the database cancels it; herald then holds the batch and retries. "
        "Applied as PostgreSQL ``statement_timeout``/``lock_timeout``, MariaDB "
        "``max_statement_time``/``innodb_lock_wait_timeout`` and SQLite "
        "``busy_timeout``.",
    ),
    cfg.FloatOpt(
        "connect_retry_interval",
        default=2.0,
        min=0.1,
        help="Seconds between attempts to reach the database at start-up "
        "(doubling up to 30 s). Start-up waits for the database "
        "indefinitely and logs each failed attempt.",
    ),
]

# Errors that say something about one row, not about the database.
ROW_ERRORS = (sa_exc.DataError, sa_exc.IntegrityError)


#: what to install, and write, when a URL's driver is missing
_DRIVER_HINTS = {
    "postgresql": "install herald[postgresql] (psycopg 3) and write postgresql+psycopg://",
    "mysql": "install herald[mysql] (PyMySQL) and write mysql+pymysql://",
    "mariadb": "install herald[mysql] (PyMySQL) and write mariadb+pymysql://",
}


#: drivers herald can use for each database, fastest write path first
DRIVERS = {"postgresql": ("psycopg", "psycopg2"), "mysql": ("pymysql", "mysqldb"),
           "mariadb": ("pymysql", "mysqldb")}
#: (database, driver) whose write path is slower than another driver's
SLOWER = {("postgresql", "psycopg2"): ("psycopg", "binary COPY; psycopg2 has text COPY")}
_MODULES = {"psycopg": "psycopg", "psycopg2": "psycopg2", "pymysql": "pymysql",
            "mysqldb": "MySQLdb"}
_FOUND_ROWS = 2  # CLIENT_FOUND_ROWS of the MySQL protocol (PyMySQL and mysqlclient)


def _installed(driver: str) -> bool:
    return importlib.util.find_spec(_MODULES[driver]) is not None


def choose_driver(url: sa.URL) -> sa.URL:
    """A driverless URL (``postgresql://``, ``mysql://``, as oslo.db and
    devstack write them) gets the installed driver with herald's fastest
    write path, where SQLAlchemy would pick psycopg2 or MySQLdb; a driver
    named explicitly is kept, with a warning when a faster one is installed."""
    backend = url.get_backend_name()
    drivers = DRIVERS.get(backend)
    if drivers is None:
        return url
    if "+" not in url.drivername:
        installed = [d for d in drivers if _installed(d)]
        return url.set(drivername=f"{backend}+{installed[0]}") if installed else url
    driver = url.get_driver_name()
    faster = SLOWER.get((backend, driver))
    if faster is not None and _installed(faster[0]):
        LOG.warning("[database] connection uses %s+%s, but %s is installed and faster "
                    "(%s): write %s+%s://", backend, driver, faster[0], faster[1], backend,
                    faster[0])
    return url


def create_engine(url: str, statement_timeout: int, create: bool = False,
                  autocommit: bool = False) -> sa.Engine:
    """An engine with herald's per-dialect session settings (``autocommit``:
    each statement on its own, for reads).

    Raises :class:`ConfigurationError` when the URL cannot work, before any
    connection: its driver is not installed, or (unless ``create``) its
    SQLite file does not exist.
    """
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ConfigurationError(f"[database] connection is not a database URL: {exc}") from None
    parsed = choose_driver(parsed)
    try:
        return _create_engine(parsed, statement_timeout, create, autocommit)
    except ImportError as exc:
        backend = parsed.get_backend_name()
        hint = _DRIVER_HINTS.get(backend, "install it")
        raise ConfigurationError(
            f"[database] connection: the {parsed.drivername} driver is not installed "
            f"({exc}); {hint}") from None


def _sqlite_file(parsed: sa.URL, create: bool) -> None:
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith(
            "file:"):
        return
    path = os.path.abspath(parsed.database)
    if create:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    elif not os.path.exists(path):
        raise ConfigurationError(
            f"SQLite database {path} does not exist: create it with 'herald-manage db "
            "upgrade', or correct [database] connection")


def _create_engine(parsed: sa.URL, statement_timeout: int, create: bool,
                   autocommit: bool) -> sa.Engine:
    backend = parsed.get_backend_name()
    # No pool_pre_ping: it costs a round trip per batch. A connection that
    # died fails the statement, SQLAlchemy invalidates it, and the held batch
    # is retried on a fresh one.
    kwargs: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    if backend == "sqlite":
        _sqlite_file(parsed, create)
        engine = sa.create_engine(parsed, **kwargs)
        ms = statement_timeout * 1000

        @sa.event.listens_for(engine, "connect")
        def _sqlite(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            # fewer, larger checkpoints: index pages written by several
            # batches are copied back once (-8 % CPU per stored row here)
            cur.execute("PRAGMA wal_autocheckpoint=10000")
            cur.close()

        return engine
    if backend == "postgresql":
        ms = statement_timeout * 1000
        kwargs["connect_args"] = {
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
            "connect_timeout": 10,
        }
    elif backend in ("mysql", "mariadb"):
        kwargs["connect_args"] = {"connect_timeout": 10}
        engine = sa.create_engine(_utf8mb4(parsed), **kwargs)
        # a Galera node outside the quorum, or read-only, keeps its
        # connections open: drop them so the balancer picks another node
        failover.install(engine)

        @sa.event.listens_for(engine, "do_connect")
        def _exact_rowcounts(_dialect: Any, _record: Any, _cargs: Any,
                             cparams: dict[str, Any]) -> None:
            # SQLAlchemy asks for CLIENT_FOUND_ROWS, which counts a duplicate
            # left as it was by ON DUPLICATE KEY UPDATE as a row: without it
            # an insert's rowcount is the number of new rows (storage.bulk),
            # and no extra query per batch is needed to find duplicates.
            # herald uses no ORM and no UPDATE rowcount.
            cparams["client_flag"] = cparams.get("client_flag", 0) & ~_FOUND_ROWS

        @sa.event.listens_for(engine, "connect")
        def _mysql(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f"SET SESSION innodb_lock_wait_timeout = {int(statement_timeout)}")
            if "mariadb" in dbapi_conn.get_server_info().lower():
                cur.execute(f"SET SESSION max_statement_time = {int(statement_timeout)}")
            cur.close()

        return engine
    return sa.create_engine(parsed, **kwargs)


def _utf8mb4(url: sa.URL) -> sa.URL:
    """herald's MySQL tables are utf8mb4; the connection must be too.

    OpenStack configurations (devstack's among them) often say
    ``?charset=utf8``, which MySQL reads as utf8mb3: a resource name with a
    character outside Unicode's basic plane is then refused by the server
    (error 1366) and a valid message would be quarantined. A charset given
    explicitly is replaced, loudly; a missing one is set, so the driver's
    own default never decides.
    """
    charset = url.query.get("charset")
    if charset != "utf8mb4":
        if charset is not None:
            LOG.warning("[database] connection asks for charset=%s; using utf8mb4 instead: "
                        "herald's tables are utf8mb4 and %s cannot carry every character "
                        "a resource name may hold", charset, charset)
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def is_row_error(exc: BaseException) -> bool:
    """True when the failure belongs to the rows, not to the database.

    Row errors are the database refusing a value (DataError,
    IntegrityError) and a value that could not even be bound (a
    StatementError that never reached the server). Anything else
    (connection refused, server gone, lock or statement timeouts,
    deadlocks, a missing table) is the environment's fault: the batch is
    kept and retried, never blamed on its messages.
    """
    if getattr(exc, "connection_invalidated", False):
        return False
    if isinstance(exc, ROW_ERRORS):
        return True
    return isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError)


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Any database error inside becomes :class:`StorageUnavailable`: the
    caller holds its batch and retries later, it never drops it."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        raise unavailable(exc) from exc


@contextlib.contextmanager
def environment_errors() -> Iterator[None]:
    """Like :func:`database_errors`, except that a row error
    (:func:`is_row_error`) is re-raised as it is, for the caller to isolate
    the row at fault."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        if is_row_error(exc):
            raise
        raise unavailable(exc) from exc


def unavailable(exc: BaseException) -> StorageUnavailable:
    """Wrap a database error; the message names the error class and the
    driver's first line (drivers do not put passwords in messages)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0][:300] if str(orig).strip() else ""
    return StorageUnavailable(f"{type(orig).__name__}: {first}" if first else type(orig).__name__)


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def wait_for(engine: sa.Engine, interval: float, stop: Callable[[float], bool] = _sleep) -> bool:
    """Block until a connection succeeds; False if ``stop`` asked to give up.

    ``stop(seconds)`` waits and returns True when the caller is shutting
    down (a threading.Event.wait fits).
    """
    attempt, delay, started = 0, interval, time.monotonic()
    while True:
        attempt += 1
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa_exc.SQLAlchemyError as exc:
            LOG.warning("Database %s not reachable (attempt %d, %.0f s so far): %s; "
                        "retrying in %.1f s", engine.url.render_as_string(hide_password=True),
                        attempt, time.monotonic() - started, unavailable(exc), delay)
            if stop(delay):
                return False
            delay = min(delay * 2, 30.0)
            continue
        if attempt > 1:
            LOG.info("Database reachable after %d attempts", attempt)
        return True
