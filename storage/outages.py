"""Broker outages as one state shared by every herald node.

At most one row is open: an open row holds ``open_key = 'open'`` (unique),
so when two nodes lose the broker together the second insert is ignored by
the database itself, with no lock and no read-then-write race. Closing sets
``ended_at`` and clears the key, so the next outage opens a new row and the
closed ones stay as history for operators.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from storage import upsert
from storage.tables import broker_outages as table

OPEN = "open"


def open_outage(conn: sa.Connection, dialect: str, since: datetime.datetime,
                node: str) -> bool:
    """Open the outage unless one is open; True if this call opened it."""
    stmt = upsert.insert_ignoring(dialect, table, "open_key")
    conn.execute(stmt, [{"started_at": since, "open_key": OPEN, "opened_by": node[:255]}])
    # rowcount cannot tell (MySQL's found-rows counts a no-op update as 1):
    # the open row, read in the same transaction, says whose it is
    row = current(conn)
    return row is not None and row["opened_by"] == node[:255] and row["started_at"] == since


def close_outage(conn: sa.Connection, now: datetime.datetime, node: str) -> bool:
    """Close the open outage, if any; True if this call closed it."""
    result = conn.execute(sa.update(table).where(table.c.open_key == OPEN).values(
        ended_at=now, open_key=None, closed_by=node[:255]))
    return bool(result.rowcount)


def current(conn: sa.Connection) -> dict[str, Any] | None:
    """The open outage (``started_at``...), or None."""
    row = conn.execute(sa.select(table.c.started_at, table.c.opened_by)
                       .where(table.c.open_key == OPEN)).first()
    return dict(row._mapping) if row is not None else None


def history(conn: sa.Connection, limit: int) -> list[dict[str, Any]]:
    """Newest first, for operators (names the nodes)."""
    query = sa.select(table.c.started_at, table.c.ended_at, table.c.opened_by,
                      table.c.closed_by).order_by(table.c.started_at.desc(),
                                                  table.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]
