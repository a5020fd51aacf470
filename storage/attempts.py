"""Durable delivery attempt counts (see collector.pipeline's redelivery path).

An attempt is counted before a redelivered notification is handled and
forgotten right after. A count only survives when the listener died while
handling it, which is what makes a notification a poison message.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa

from storage import upsert
from storage.tables import delivery_attempts as t


def _increment(dialect: str, key: str, now: datetime.datetime) -> sa.Insert:
    return upsert.upsert(dialect, t, {"delivery_key": key, "attempts": 1, "last_attempt_at": now},
                         ["delivery_key"],
                         lambda new: {"attempts": t.c.attempts + 1, "last_attempt_at": now})


def begin(conn: sa.Connection, key: str, now: datetime.datetime) -> int:
    """Count one more attempt for ``key``; the count, this one included."""
    conn.execute(_increment(conn.dialect.name, key, now))
    return conn.execute(sa.select(t.c.attempts).where(t.c.delivery_key == key)).scalar_one()


def end(conn: sa.Connection, key: str) -> None:
    conn.execute(sa.delete(t).where(t.c.delivery_key == key))
