"""INSERT ... ON CONFLICT in each dialect's words: the one place that says them.

PostgreSQL and SQLite spell it ``ON CONFLICT (cols) DO UPDATE/NOTHING`` and
call the proposed row ``excluded``; MySQL and MariaDB spell it ``ON
DUPLICATE KEY UPDATE`` (any unique key) and call it ``inserted``
(``VALUES()``). Every upsert herald runs -- ignoring known message_ids,
folding repeats, merging step progress, counting delivery attempts -- is
built here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert,
           "mysql": mysql.insert, "mariadb": mysql.insert}


def _insert(dialect: str, table: sa.Table) -> Any:
    try:
        return _INSERT[dialect](table)
    except KeyError:
        raise NotImplementedError(f"no upsert for dialect {dialect}") from None


def greatest(dialect: str) -> Any:
    """SQL's GREATEST (SQLite's two-argument MAX)."""
    return sa.func.max if dialect == "sqlite" else sa.func.greatest


def least(dialect: str) -> Any:
    return sa.func.min if dialect == "sqlite" else sa.func.least


def upsert(dialect: str, table: sa.Table, values: Mapping[str, Any] | None,
           conflict: Sequence[str], update: Callable[[Any], Mapping[str, Any]]) -> sa.Insert:
    """INSERT ``values`` (None: executemany parameters); on a conflict on
    the unique ``conflict`` columns, apply ``update(proposed row)``.

    On MySQL the conflict columns are implied by the unique keys, so a
    table's other unique keys must not collide there.
    """
    stmt = _insert(dialect, table)
    if values is not None:
        stmt = stmt.values(dict(values))
    if dialect in ("mysql", "mariadb"):
        return stmt.on_duplicate_key_update(dict(update(stmt.inserted)))
    return stmt.on_conflict_do_update(index_elements=list(conflict),
                                      set_=dict(update(stmt.excluded)))


def insert_ignoring(dialect: str, table: sa.Table, key: str) -> sa.Insert:
    """INSERT that silently skips rows whose ``key`` already exists.

    On MySQL not INSERT IGNORE, which would also turn data errors into
    warnings: a no-op ON DUPLICATE KEY UPDATE of the key instead.
    """
    if dialect in ("mysql", "mariadb"):
        return upsert(dialect, table, None, [key], lambda new: {key: new[key]})
    return _insert(dialect, table).on_conflict_do_nothing(index_elements=[key])
