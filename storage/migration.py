"""Schema revisions: upgrade, and refuse to run on a schema that is behind."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from collector.exceptions import SchemaOutOfDate


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply migrations in one transaction per run (alembic's default)."""
    config = _config()
    with engine.begin() as conn:
        restore = _no_statement_timeout(conn)
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, revision)
        finally:
            restore()


def _no_statement_timeout(conn: sa.Connection) -> Callable[[], None]:
    """``[database] statement_timeout`` bounds the daemons' statements; a
    migration rewriting a table of millions of rows legitimately takes
    longer (0013 took more than 30 s on 2 M rows), so it is lifted for the
    migration's own transaction (MariaDB's is per session: it is put back,
    since the connection returns to the pool). Lock waits stay bounded."""
    name = conn.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
    elif name in ("mysql", "mariadb") and getattr(conn.dialect, "is_mariadb", False):
        before = conn.exec_driver_sql("SELECT @@SESSION.max_statement_time").scalar()
        conn.exec_driver_sql("SET SESSION max_statement_time = 0")

        def restore() -> None:
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {float(before or 0)}")
        return restore
    return lambda: None


def check(engine: sa.Engine) -> None:
    """Raise :class:`SchemaOutOfDate` unless the schema is at head."""
    found, wanted = current(engine), head()
    if found != wanted:
        raise SchemaOutOfDate(
            f"database schema is at revision {found or '(empty)'}, herald needs {wanted}: "
            "run 'herald-manage db upgrade'"
        )
