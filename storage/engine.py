"""Engines per database kind, and what a database error means for a batch.

Each dialect gets session settings that turn a stuck database into an
error herald can retry (a lock wait or statement time limit) rather than a
worker blocked forever with its broker heartbeats starving.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from collector.exceptions import ConfigurationError, StorageUnavailable

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.StrOpt(
        "connection",
        secret=True,
        default="sqlite:////var/lib/herald/herald.sqlite",
        help="SQLAlchemy URL of the database holding ``messages`` and "
        "``rejected_notifications``. SQLite (embedded, one host; keep "
        "``[listener] workers = 1``), PostgreSQL "
        "(``postgresql+psycopg://user:pass@host/herald``) and MariaDB/MySQL "
        "(``mysql+pymysql://user:pass@host/herald?charset=utf8mb4``; any "
        "other charset is replaced by utf8mb4, with a warning) are "
        "supported. Never logged.",
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


def create_engine(url: str, statement_timeout: int, create: bool = False) -> sa.Engine:
    """An engine with herald's per-dialect session settings.

    Raises :class:`ConfigurationError` when the URL cannot work, before any
    connection: its driver is not installed, or (unless ``create``) its
    SQLite file does not exist.
    """
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ConfigurationError(f"[database] connection is not a database URL: {exc}") from None
    try:
        return _create_engine(parsed, statement_timeout, create)
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


def _create_engine(parsed: sa.URL, statement_timeout: int, create: bool) -> sa.Engine:
    backend = parsed.get_backend_name()
    # No pool_pre_ping: it costs a round trip per batch. A connection that
    # died fails the statement, SQLAlchemy invalidates it, and the held batch
    # is retried on a fresh one.
    kwargs: dict[str, Any] = {}
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


def unavailable(exc: BaseException) -> StorageUnavailable:
    """Wrap a database error; the message names the error class and the
    driver's first line (drivers do not put passwords in messages)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0][:300] if str(orig).strip() else ""
    return StorageUnavailable(f"{type(orig).__name__}: {first}" if first else type(orig).__name__)


def wait_for(
    engine: sa.Engine,
    interval: float,
    stop: Callable[[float], bool] = lambda s: (time.sleep(s), False)[1],
) -> bool:
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
