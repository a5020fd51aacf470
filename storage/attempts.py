"""Durable delivery attempt counts (see collector.pipeline's redelivery path).

An attempt is counted before a redelivered notification is handled and
forgotten right after. A count only survives when the listener died while
handling it, which is what makes a notification a poison message.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from storage.tables import delivery_attempts as t


def _increment(dialect: str, key: str, now: datetime.datetime) -> sa.Insert:
    values = {"delivery_key": key, "attempts": 1, "last_attempt_at": now}
    bump = {"attempts": t.c.attempts + 1, "last_attempt_at": now}
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        return module.insert(t).values(values).on_conflict_do_update(
            index_elements=["delivery_key"], set_=bump)
    if dialect in ("mysql", "mariadb"):
        return mysql.insert(t).values(values).on_duplicate_key_update(bump)
    raise NotImplementedError(dialect)


def begin(conn: sa.Connection, key: str, now: datetime.datetime) -> int:
    """Count one more attempt for ``key``; the count, this one included."""
    conn.execute(_increment(conn.dialect.name, key, now))
    return conn.execute(sa.select(t.c.attempts).where(t.c.delivery_key == key)).scalar_one()


def end(conn: sa.Connection, key: str) -> None:
    conn.execute(sa.delete(t).where(t.c.delivery_key == key))
