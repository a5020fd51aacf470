"""The watched_queues table: one state per service queue for every herald node.

Every node probes the queues and keeps its own streaks of readings
(listener.watch.decide); what they share is here. A node that sees a
transition claims it with one conditional UPDATE (``WHERE state = <the state
it read>``) and, in the same transaction, inserts the operator message: when
two nodes see the same transition, one UPDATE matches and the other finds
the state already changed, so the operators get one message.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from collector.model import UserMessage
from storage import writes
from storage.tables import messages
from storage.tables import watched_queues as table

OK = "ok"


def ensure(conn: sa.Connection, queues: Mapping[str, str], now: datetime.datetime) -> None:
    """Add a row (state ok) for each ``{queue: service}`` not known yet."""
    known = {r.queue for r in conn.execute(sa.select(table.c.queue))}
    new = [{"queue": q, "service": s, "state": OK, "changed_at": now}
           for q, s in sorted(queues.items()) if q not in known]
    if new:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(table), new)
        except sa.exc.IntegrityError:  # another node added them meanwhile
            pass


def states(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    return {r.queue: dict(r._mapping) for r in conn.execute(sa.select(table))}


def record_reading(conn: sa.Connection, queue: str, messages_: int | None,
                   consumers: int | None, now: datetime.datetime) -> None:
    conn.execute(sa.update(table).where(table.c.queue == queue).values(
        messages=messages_, consumers=consumers, checked_at=now))


def claim(conn: sa.Connection, queue: str, expected: str, state: str,
          since: datetime.datetime | None, message: UserMessage,
          now: datetime.datetime) -> bool:
    """Move ``queue`` from ``expected`` to ``state`` and store ``message``;
    False (nothing written) when another node moved it first."""
    result = conn.execute(
        sa.update(table).where(table.c.queue == queue, table.c.state == expected).values(
            state=state, since=since, changed_at=now,
            message_id=None if state == OK else message.id))
    if result.rowcount != 1:
        return False
    conn.execute(sa.insert(messages), writes.message_rows([message]))
    return True


def listing(conn: sa.Connection) -> list[dict[str, Any]]:
    """Problems first, then by service and queue."""
    order = sa.case((table.c.state == OK, 1), else_=0)
    return [dict(r._mapping) for r in conn.execute(
        sa.select(table).order_by(order, table.c.service, table.c.queue))]


def forget(conn: sa.Connection, queue: str) -> bool:
    return conn.execute(sa.delete(table).where(table.c.queue == queue)).rowcount == 1
