"""Schema revisions: upgrade, and refuse to run on a schema that is behind."""

from __future__ import annotations

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
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def check(engine: sa.Engine) -> None:
    """Raise :class:`SchemaOutOfDate` unless the schema is at head."""
    found, wanted = current(engine), head()
    if found != wanted:
        raise SchemaOutOfDate(
            f"database schema is at revision {found or '(empty)'}, herald needs {wanted}: "
            "run 'herald-manage db upgrade'"
        )
