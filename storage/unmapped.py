"""The tally of ERROR notifications no rule maps (collector.unmapped).

One row per kind (event type, publishing service): each batch adds its
counts and replaces the sample with its latest one, in one upsert. Rows
not seen for ``[storage] rejected_ttl`` are reaped with the quarantine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from collector.model import Unmapped
from storage import upsert
from storage.tables import unmapped_notifications as table

COLUMNS = ("event_type", "service", "count", "first_seen", "last_seen", "sample_size")


def record(conn: sa.Connection, dialect: str, records: Sequence[Unmapped]) -> None:
    stmt = upsert.upsert(dialect, table, None, ["event_type", "service"], lambda new: {
        "count": table.c["count"] + new["count"], "last_seen": new.last_seen,
        "sample": new.sample, "sample_size": new.sample_size})
    # one kind at a time, in a fixed order: two workers never deadlock on rows
    for r in sorted(records, key=lambda r: (r.event_type, r.service)):
        conn.execute(stmt, [{"event_type": r.event_type, "service": r.service,
                             "count": r.count, "first_seen": r.last_seen,
                             "last_seen": r.last_seen, "sample": r.sample,
                             "sample_size": r.sample_size}])


def listing(conn: sa.Connection, limit: int, with_sample: bool = False,
            event_type: str | None = None) -> list[dict[str, Any]]:
    """Most frequent first."""
    columns = [table.c[c] for c in COLUMNS] + ([table.c.sample] if with_sample else [])
    query = sa.select(*columns).order_by(table.c["count"].desc(), table.c.event_type,
                                         table.c.service).limit(limit)
    if event_type is not None:
        query = query.where(table.c.event_type == event_type)
    return [dict(row._mapping) for row in conn.execute(query)]
