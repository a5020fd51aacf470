"""Queries a read API runs: one project at a time, newest first, paged.

The project condition is part of every statement built here (including
the marker lookup), so no filter, marker or page can reach another
project's rows. Expired rows the reaper has not deleted yet are hidden.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from storage.base import MESSAGE_FILTERS, USER_FIELDS, InvalidMarker
from storage.tables import messages, rejected_notifications

MAX_LIMIT = 1000
_USER_COLUMNS = [messages.c[name] for name in USER_FIELDS]


def _scoped(project_id: str, now: datetime.datetime) -> list[sa.ColumnElement[bool]]:
    if not isinstance(project_id, str) or not project_id:
        raise ValueError("a project_id is required for every user-facing read")
    return [messages.c.project_id == project_id, messages.c.expires_at > now]


def list_messages(conn: sa.Connection, project_id: str, now: datetime.datetime, *,
                  limit: int, marker: str | None, newest_first: bool,
                  since: datetime.datetime | None, filters: dict[str, str]
                  ) -> list[dict[str, Any]]:
    unknown = set(filters) - set(MESSAGE_FILTERS)
    if unknown:
        raise ValueError(f"unknown filters: {', '.join(sorted(unknown))}")
    where = _scoped(project_id, now)
    where += [messages.c[name] == value for name, value in filters.items() if value is not None]
    if since is not None:
        where.append(messages.c.created_at >= since)
    if marker is not None:
        anchor = conn.execute(
            sa.select(messages.c.created_at, messages.c.id)
            .where(messages.c.id == marker, *_scoped(project_id, now))
        ).first()
        if anchor is None:
            raise InvalidMarker(f"marker {marker!r} is not a message of this project")
        key = sa.tuple_(messages.c.created_at, messages.c.id)
        where.append(key < tuple(anchor) if newest_first else key > tuple(anchor))
    order = (sa.desc, sa.asc)[not newest_first]
    stmt = (sa.select(*_USER_COLUMNS).where(*where)
            .order_by(order(messages.c.created_at), order(messages.c.id))
            .limit(max(1, min(limit, MAX_LIMIT))))
    return [dict(row._mapping) for row in conn.execute(stmt)]


def get_message(conn: sa.Connection, project_id: str, message_id: str,
                now: datetime.datetime) -> dict[str, Any] | None:
    row = conn.execute(sa.select(*_USER_COLUMNS)
                       .where(messages.c.id == message_id, *_scoped(project_id, now))).first()
    return dict(row._mapping) if row else None


def delete_message(conn: sa.Connection, project_id: str, message_id: str) -> bool:
    if not isinstance(project_id, str) or not project_id:
        raise ValueError("a project_id is required for every user-facing delete")
    result = conn.execute(sa.delete(messages).where(messages.c.id == message_id,
                                                    messages.c.project_id == project_id))
    return result.rowcount > 0


def list_rejected(conn: sa.Connection, *, limit: int, code: str | None,
                  with_body: bool) -> list[dict[str, Any]]:
    t = rejected_notifications
    columns = [c for c in t.columns if with_body or c.name != "raw_body"]
    stmt = sa.select(*columns).order_by(t.c.received_at.desc(), t.c.id.desc())
    if code:
        stmt = stmt.where(t.c.code == code)
    return [dict(row._mapping) for row in conn.execute(stmt.limit(max(1, min(limit, MAX_LIMIT))))]
