"""Batch inserts that ignore rows already present, in each dialect's form.

``message_id`` (and ``dedupe_key`` for rejections) are unique, so a
redelivered notification -- after a crash between commit and acknowledge --
never makes a second row. One executemany and one commit per batch; if a
row is refused (a data error), the batch is retried row by row so that only
that row is refused and the others are stored.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql, postgresql, sqlite

from storage import engine as engines
from storage.tables import messages, rejected_notifications

MESSAGE_COLUMNS = tuple(c.name for c in messages.columns)
REJECTION_COLUMNS = tuple(c.name for c in rejected_notifications.columns if c.name != "id")
_message_values = operator.attrgetter(*MESSAGE_COLUMNS)
_rejection_values = operator.attrgetter(*REJECTION_COLUMNS)


def insert_ignoring(dialect: str, table: sa.Table, key: str) -> sa.Insert:
    """INSERT that silently skips rows whose ``key`` already exists."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=[key])
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=[key])
    if dialect in ("mysql", "mariadb"):
        # not INSERT IGNORE: it would also turn data errors into warnings
        stmt = mysql.insert(table)
        return stmt.on_duplicate_key_update({key: stmt.inserted[key]})
    raise NotImplementedError(f"no duplicate-safe insert for dialect {dialect}")


def message_rows(batch: Sequence[Any]) -> list[dict[str, Any]]:
    return [dict(zip(MESSAGE_COLUMNS, _message_values(m))) for m in batch]


def rejection_rows(batch: Sequence[Any]) -> list[dict[str, Any]]:
    rows = [dict(zip(REJECTION_COLUMNS, _rejection_values(r))) for r in batch]
    for row in rows:  # bounded by construction; bounded here for any caller
        row["detail"] = row["detail"][:1024]
    return rows


def execute_batch(engine: sa.Engine, stmt: sa.Insert, rows: list[dict[str, Any]],
                  on_row_error: Callable[[int, BaseException], None]) -> None:
    """Insert ``rows`` in one transaction; isolate rows the database refuses.

    Environment failures raise ``StorageUnavailable`` whichever phase they
    happen in; ``on_row_error(index, exc)`` is called for each refused row.
    """
    if not rows:
        return
    try:
        with engine.begin() as conn:
            conn.execute(stmt, rows)
        return
    except sa_exc.SQLAlchemyError as exc:
        if not engines.is_row_error(exc):
            raise engines.unavailable(exc) from exc
    for i, row in enumerate(rows):  # rare: find the row(s) at fault
        try:
            with engine.begin() as conn:
                conn.execute(stmt, [row])
        except sa_exc.SQLAlchemyError as exc:
            if not engines.is_row_error(exc):
                raise engines.unavailable(exc) from exc
            on_row_error(i, exc)
