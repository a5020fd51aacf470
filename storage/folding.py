"""Repeats (what Kubernetes events do): identical messages folded into one row.

With ``[storage] fold_window`` > 0, a message identical to one stored less
than the window ago -- same project, resource, event ID and rendered text --
increments that row's ``count`` and advances its ``last_seen_at`` and its
``expires_at`` (the repeat's own: a failure that keeps repeating stays
visible for ``message_ttl`` after its last repeat) instead of adding a row.
The reaper never deletes a row whose window is still open. Exact under
concurrent workers:

- a row accepts repeats while it holds the (unique) fold key; an upsert on
  that key is atomic, so no increment is lost;
- a row whose window has passed gives its key up, and the next repeat starts
  a new row;
- every folded notification's message_id is recorded in the same
  transaction, so a redelivery never counts twice.

Messages are handled in fold-key order so that concurrent batches take row
locks in the same order.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg

from collector.model import UserMessage
from storage import upsert, writes
from storage.tables import folded_notifications, messages

OPTS = [
    cfg.IntOpt("fold_window", default=0, min=0,
               help="Seconds within which identical messages (same project, resource, "
               "event ID and rendered text) are folded into one row with a count and "
               "a last_seen_at, instead of one row each. 0 (the default) stores every "
               "message as its own row."),
]


def fold_key(m: UserMessage) -> str:
    parts = (m.project_id, m.resource_uuid or "", m.event_id, m.user_message)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _first_time(conn: sa.Connection, message_id: str, received_at: datetime.datetime) -> bool:
    """Record a folded notification; False if it was recorded before.

    One row per statement, so rowcount is 0 or 1 with every driver (MySQL
    too: herald connects without CLIENT_FOUND_ROWS, see storage.engine).
    """
    stmt = upsert.insert_ignoring(conn.dialect.name, folded_notifications, "message_id")
    stmt = stmt.values({"message_id": message_id, "received_at": received_at})
    # SQLAlchemy keeps an INSERT's rowcount only when asked to
    return conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount == 1


def _upsert(dialect: str, row: dict[str, Any]) -> sa.Insert:
    big = upsert.greatest(dialect)
    return upsert.upsert(dialect, messages, row, ["fold_key"], lambda new: {
        "count": messages.c.count + 1,
        "last_seen_at": big(messages.c.last_seen_at, new.last_seen_at),
        "expires_at": big(messages.c.expires_at, new.expires_at)})


def fold(conn: sa.Connection, batch: Sequence[UserMessage],
         window: datetime.timedelta) -> int:
    """Store ``batch`` folding repeats; one transaction (the caller's).
    Returns how many notifications were folded into an existing row."""
    dialect = conn.dialect.name
    keyed = sorted(((fold_key(m), m) for m in batch), key=lambda km: km[0])
    folded = 0
    for key, m in keyed:
        if not _first_time(conn, m.message_id, m.created_at):
            continue  # this notification was folded before: a redelivery
        conn.execute(sa.update(messages)
                     .where(messages.c.fold_key == key,
                            messages.c.last_seen_at < m.created_at - window)
                     .values(fold_key=None))  # its window has passed
        row = dict(zip(writes.MESSAGE_COLUMNS, writes.message_values([m])[0]))
        row["fold_key"] = key
        folded += conn.execute(sa.select(sa.literal(1)).where(
            messages.c.fold_key == key)).first() is not None
        conn.execute(_upsert(dialect, row))
    return folded
