"""Batch inserts that ignore rows already present, in each dialect's form.

Messages go through each driver's fast path (:mod:`storage.bulk`);
rejections, and a batch whose fast path refused a row, through one
executemany of the statement built here.

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

from storage import engine as engines
from storage.tables import messages, rejected_notifications

# what a UserMessage fills (fold_key belongs to the fold path: storage.folding)
MESSAGE_COLUMNS = tuple(c.name for c in messages.columns if c.name != "fold_key")
REJECTION_COLUMNS = tuple(c.name for c in rejected_notifications.columns if c.name != "id")
_message_values = operator.attrgetter(*MESSAGE_COLUMNS)
_rejection_values = operator.attrgetter(*REJECTION_COLUMNS)


def message_rows(batch: Sequence[Any]) -> list[dict[str, Any]]:
    return [dict(zip(MESSAGE_COLUMNS, _message_values(m))) for m in batch]


def rejection_rows(batch: Sequence[Any]) -> list[dict[str, Any]]:
    rows = [dict(zip(REJECTION_COLUMNS, _rejection_values(r))) for r in batch]
    for row in rows:  # bounded by construction; bounded here for any caller
        row["detail"] = row["detail"][:1024]
    return rows


def message_values(batch: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [_message_values(m) for m in batch]


def execute_batch(engine: sa.Engine, stmt: sa.Insert, rows: Callable[[], list[dict[str, Any]]],
                  on_row_error: Callable[[int, BaseException], None],
                  fast: Callable[[sa.Connection], int | None] | None = None) -> int | None:
    """Insert a non-empty batch in one transaction; isolate refused rows.

    ``rows()`` builds the executemany parameters, only when needed (``fast``,
    when given, inserts the whole batch its own way). Environment failures
    raise ``StorageUnavailable`` whichever phase they happen in;
    ``on_row_error(index, exc)`` is called for each refused row. Returns how
    many rows were new, or None where the statement cannot tell (MySQL's
    executemany: SQLAlchemy's pymysql executemany reports no exact count).
    """
    exact = engine.dialect.name in ("postgresql", "sqlite")
    try:
        with engines.environment_errors(), engine.begin() as conn:
            if fast is not None:
                return fast(conn)
            result = conn.execute(stmt.execution_options(preserve_rowcount=True), rows())
            return result.rowcount if exact and result.rowcount >= 0 else None
    except (sa_exc.SQLAlchemyError, TypeError, ValueError):
        pass  # a row error, or a value the fast path cannot even format
    inserted = 0
    for i, row in enumerate(rows()):  # rare: find the row(s) at fault
        try:
            with engines.environment_errors(), engine.begin() as conn:
                inserted += max(0, conn.execute(
                    stmt.execution_options(preserve_rowcount=True), [row]).rowcount)
        except sa_exc.SQLAlchemyError as exc:
            on_row_error(i, exc)
    return inserted if exact else None
