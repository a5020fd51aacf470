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


_EARLIEST = datetime.datetime(1970, 1, 1)


def _sort_expression(key: str) -> sa.ColumnElement[Any]:
    # NULLs would break keyset comparisons: they sort as the empty string
    # (the epoch, for times); and an expression is what no index offers in
    # order (see above)
    column = messages.c[key]
    floor = _EARLIEST if isinstance(column.type, sa.DateTime) else ""
    return sa.func.coalesce(column, sa.literal(floor, column.type))


def _param(name: str, like: sa.ColumnElement[Any]) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=like.type)


@dataclasses.dataclass(frozen=True)
class _Shape:
    """What a list statement's SQL depends on (its values are parameters)."""

    scoped: bool
    filters: tuple[str, ...]
    since: bool
    before: bool
    sort_key: str
    ascending: bool
    marker: bool
    offset: bool


class Statements:
    """The read statements, built once per shape and then only executed
    with new values. An API asks the same few shapes over and over, and
    building one per request was about 40 % of the store's CPU for a first
    page (0.67 ms, then 0.39 ms, in process). A shape is a combination of a
    request's options, so there are few; the cache is per store, and
    bounded anyway."""

    MAX_SHAPES = 512

    def __init__(self) -> None:
        self._lists: dict[_Shape, tuple[sa.Select[Any], sa.Select[Any] | None]] = {}
        self._gets: dict[bool, sa.Select[Any]] = {}

    @staticmethod
    def _where(scoped: bool) -> list[sa.ColumnElement[bool]]:
        where = [messages.c.expires_at > _param("now", messages.c.expires_at)]
        if scoped:
            where.append(messages.c.project_id == _param("project_id", messages.c.project_id))
        return where

    def listing(self, shape: _Shape) -> tuple[sa.Select[Any], sa.Select[Any] | None]:
        """The page's statement, and the marker's lookup (None without one)."""
        built = self._lists.get(shape)
        if built is None:
            if len(self._lists) >= self.MAX_SHAPES:
                self._lists.clear()
            built = self._lists[shape] = self._build_listing(shape)
        return built

    def _build_listing(self, shape: _Shape) -> tuple[sa.Select[Any], sa.Select[Any] | None]:
        where = self._where(shape.scoped)
        where += [messages.c[name] == _param(f"filter_{name}", messages.c[name])
                  for name in shape.filters]
        if shape.since:
            where.append(messages.c.created_at >= _param("since", messages.c.created_at))
        if shape.before:
            where.append(messages.c.created_at < _param("before", messages.c.created_at))
        keys: list[sa.ColumnElement[Any]] = [messages.c.created_at, messages.c.id]
        if shape.sort_key != "created_at":
            keys.insert(0, _sort_expression(shape.sort_key))
        anchor_stmt = None
        if shape.marker:
            anchor_stmt = sa.select(*keys).where(
                messages.c.id == _param("marker", messages.c.id), *self._where(shape.scoped))
            anchor = [_param(f"anchor_{i}", k) for i, k in enumerate(keys)]
            key = sa.tuple_(*keys)
            where.append(key > sa.tuple_(*anchor) if shape.ascending
                         else key < sa.tuple_(*anchor))
            # the same bound on the leading key alone: MariaDB makes a range
            # of this, not of the row comparison (PostgreSQL and SQLite do of both)
            where.append(keys[0] >= anchor[0] if shape.ascending else keys[0] <= anchor[0])
        order = sa.asc if shape.ascending else sa.desc
        stmt = (sa.select(*_USER_COLUMNS).where(*where).order_by(*(order(k) for k in keys))
                .limit(sa.bindparam("limit", type_=sa.Integer)))
        if shape.offset:
            stmt = stmt.offset(sa.bindparam("offset", type_=sa.Integer))
        return stmt, anchor_stmt

    def get(self, scoped: bool) -> sa.Select[Any]:
        stmt = self._gets.get(scoped)
        if stmt is None:
            stmt = self._gets[scoped] = sa.select(*_USER_COLUMNS).where(
                messages.c.id == _param("message_id", messages.c.id), *self._where(scoped))
        return stmt


def _rows(result: sa.CursorResult[Any]) -> list[dict[str, Any]]:
    names = tuple(result.keys())
    return [dict(zip(names, row)) for row in result]


def list_messages(conn: sa.Connection, project_id: str | None, now: datetime.datetime,
                  page: Page, statements: Statements | None = None) -> list[dict[str, Any]]:
    unknown = set(page.filters) - set(MESSAGE_FILTERS)
    if unknown:
        raise ValueError(f"unknown filters: {', '.join(sorted(unknown))}")
    if page.sort_key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {page.sort_key}")
    if project_id is not None:
        require_project(project_id)
    filters = sorted((name, value) for name, value in page.filters.items() if value is not None)
    shape = _Shape(scoped=project_id is not None, filters=tuple(name for name, _ in filters),
                   since=page.since is not None, before=page.before is not None,
                   sort_key=page.sort_key, ascending=page.ascending,
                   marker=page.marker is not None, offset=bool(page.offset))
    stmt, anchor_stmt = (statements or Statements()).listing(shape)
    # one set of values for both statements: each reads only its own parameters
    params: dict[str, Any] = {
        "now": now, "project_id": project_id, "since": page.since, "before": page.before,
        "limit": max(0, min(page.limit, MAX_LIMIT)), "offset": page.offset,
        "marker": page.marker, **{f"filter_{name}": value for name, value in filters}}
    if anchor_stmt is not None:
        anchor = conn.execute(anchor_stmt, params).first()
        if anchor is None:
            raise InvalidMarker(f"marker {page.marker!r} is not a message of this project")
        params.update({f"anchor_{i}": value for i, value in enumerate(anchor)})
    return _rows(conn.execute(stmt, params))


def get_message(conn: sa.Connection, project_id: str | None, message_id: str,
                now: datetime.datetime, statements: Statements | None = None
                ) -> dict[str, Any] | None:
    if project_id is not None:
        require_project(project_id)
    row = conn.execute((statements or Statements()).get(project_id is not None),
                       {"message_id": message_id, "now": now, "project_id": project_id}
                       ).mappings().first()
    return dict(row) if row is not None else None


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
