"""Queries a read API runs: one project at a time (or, for administrators
only, every project), sorted, keyset-paginated.

The project condition is part of every statement built for a project
(including the marker lookup), so no filter, marker or page can reach
another project's rows. Expired rows the reaper has not deleted yet are
hidden. Pages are keyset pages on (sort key, created_at, id): the default
order, created_at, is served by the index (project_id, created_at, id)
without sorting, a marker being a range on it. The other keys sort one
project's rows, found by that index: they are sorted as expressions so that
no database walks another index (the primary key, for ``id``) across every
project's rows looking for this one's.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa

from storage.base import MESSAGE_FILTERS, SORT_KEYS, USER_FIELDS, InvalidMarker
from storage.tables import messages, rejected_notifications

MAX_LIMIT = 1000
_USER_COLUMNS = [messages.c[name] for name in USER_FIELDS]


@dataclasses.dataclass(frozen=True)
class Page:
    """What one list request asks for (validated by the caller)."""

    limit: int = 50
    marker: str | None = None
    sort_key: str = "created_at"
    ascending: bool = False
    offset: int = 0
    since: datetime.datetime | None = None
    before: datetime.datetime | None = None
    filters: dict[str, str] = dataclasses.field(default_factory=dict)


def require_project(project_id: object) -> None:
    """Every user-facing query names one project (None, "every project",
    is only for the administrators' variants, which pass it on purpose)."""
    if not isinstance(project_id, str) or not project_id:
        raise ValueError("a project_id is required for every user-facing query")


def _scoped(project_id: str | None, now: datetime.datetime) -> list[sa.ColumnElement[bool]]:
    """The rows a caller may see: live ones, of one project (None: every
    project, for administrators only -- callers decide that)."""
    where = [messages.c.expires_at > now]
    if project_id is not None:
        require_project(project_id)
        where.append(messages.c.project_id == project_id)
    return where


_EARLIEST = datetime.datetime(1970, 1, 1)


def _sort_expression(key: str) -> sa.ColumnElement[Any]:
    # NULLs would break keyset comparisons: they sort as the empty string
    # (the epoch, for times); and an expression is what no index offers in
    # order (see above)
    column = messages.c[key]
    floor = _EARLIEST if isinstance(column.type, sa.DateTime) else ""
    return sa.func.coalesce(column, sa.literal(floor, column.type))


def list_messages(conn: sa.Connection, project_id: str | None, now: datetime.datetime,
                  page: Page) -> list[dict[str, Any]]:
    unknown = set(page.filters) - set(MESSAGE_FILTERS)
    if unknown:
        raise ValueError(f"unknown filters: {', '.join(sorted(unknown))}")
    if page.sort_key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {page.sort_key}")
    where = _scoped(project_id, now)
    where += [messages.c[name] == value for name, value in page.filters.items()
              if value is not None]
    if page.since is not None:
        where.append(messages.c.created_at >= page.since)
    if page.before is not None:
        where.append(messages.c.created_at < page.before)
    keys: list[sa.ColumnElement[Any]] = [messages.c.created_at, messages.c.id]
    if page.sort_key != "created_at":
        keys.insert(0, _sort_expression(page.sort_key))
    if page.marker is not None:
        anchor = conn.execute(sa.select(*keys).where(messages.c.id == page.marker,
                                                     *_scoped(project_id, now))).first()
        if anchor is None:
            raise InvalidMarker(f"marker {page.marker!r} is not a message of this project")
        key = sa.tuple_(*keys)
        where.append(key > tuple(anchor) if page.ascending else key < tuple(anchor))
        # the same bound on the leading key alone: MariaDB makes a range of
        # this, not of the row comparison (PostgreSQL and SQLite do of both)
        where.append(keys[0] >= anchor[0] if page.ascending else keys[0] <= anchor[0])
    order = sa.asc if page.ascending else sa.desc
    stmt = (sa.select(*_USER_COLUMNS).where(*where).order_by(*(order(k) for k in keys))
            .limit(max(0, min(page.limit, MAX_LIMIT))))
    if page.offset:
        stmt = stmt.offset(page.offset)
    return [dict(row._mapping) for row in conn.execute(stmt)]


def get_message(conn: sa.Connection, project_id: str | None, message_id: str,
                now: datetime.datetime) -> dict[str, Any] | None:
    row = conn.execute(sa.select(*_USER_COLUMNS)
                       .where(messages.c.id == message_id, *_scoped(project_id, now))).first()
    return dict(row._mapping) if row else None


def delete_message(conn: sa.Connection, project_id: str | None, message_id: str) -> bool:
    where = [messages.c.id == message_id]
    if project_id is not None:
        require_project(project_id)
        where.append(messages.c.project_id == project_id)
    result = conn.execute(sa.delete(messages).where(*where))
    return result.rowcount > 0


def list_rejected(conn: sa.Connection, *, limit: int, code: str | None,
                  with_body: bool) -> list[dict[str, Any]]:
    t = rejected_notifications
    columns = [c for c in t.columns if with_body or c.name != "raw_body"]
    stmt = sa.select(*columns).order_by(t.c.received_at.desc(), t.c.id.desc())
    if code:
        stmt = stmt.where(t.c.code == code)
    return [dict(row._mapping) for row in conn.execute(stmt.limit(max(1, min(limit, MAX_LIMIT))))]
