"""A migration is not bound by ``[database] statement_timeout``.

0013 rewrote 2 M rows in 70 s on PostgreSQL; with the daemons' 30 s
statement timeout, ``herald-manage db upgrade`` failed with "canceling
statement due to statement timeout". The timeout is lifted for the
migration's own transaction only: the store's connections keep it after.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage import migration

pytestmark = [pytest.mark.postgresql, pytest.mark.mysql]


def timeout_setting(conn: sa.Connection) -> float | None:
    if conn.dialect.name == "postgresql":
        return float(conn.exec_driver_sql("SHOW statement_timeout").scalar().rstrip("ms") or 0)
    if getattr(conn.dialect, "is_mariadb", False):
        return float(conn.exec_driver_sql("SELECT @@SESSION.max_statement_time").scalar())
    return None


def test_the_timeout_is_lifted_for_the_migration_only(store):
    with store.engine.connect() as conn:
        before = timeout_setting(conn)
    if before is None:  # SQLite: busy_timeout only, nothing to lift
        assert store.engine.dialect.name == "sqlite"
        return
    assert before > 0  # the daemons' bound is in force
    seen = []
    with store.engine.begin() as conn:
        restore = migration._no_statement_timeout(conn)
        seen.append(timeout_setting(conn))
        restore()
    assert seen == [0.0]
    with store.engine.connect() as conn:  # the pooled connection has its bound again
        assert timeout_setting(conn) == before
