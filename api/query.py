"""A list request's query string: what Cinder's clients send, checked.

``limit``, ``marker``, ``offset``, ``sort=key[:asc|desc]`` or
``sort_key``/``sort_dir`` (not both), filters, ``created_since`` and
``created_before`` (ISO 8601), and for administrators ``project_id`` and
``all_tenants``. ``resource_type`` is read in either spelling (``VOLUME``,
as Cinder's clients send it, or herald's old ``volume``). Anything
malformed is a 400 with the reason; unknown parameters are ignored, as
Cinder does.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any

from api.errors import APIError
from collector import resources
from storage.base import SORT_KEYS

FILTERS = ("resource_uuid", "resource_type", "event_id", "request_id", "message_level",
           "event_type", "category", "root_id", "parent_id")
MAX_FILTER_LENGTH = 255


@dataclasses.dataclass
class ListQuery:
    limit: int
    marker: str | None = None
    offset: int = 0
    sort_key: str = "created_at"
    ascending: bool = False
    since: datetime.datetime | None = None
    before: datetime.datetime | None = None
    filters: dict[str, str] = dataclasses.field(default_factory=dict)
    project_id: str | None = None
    all_projects: bool = False

    def page(self) -> dict[str, Any]:
        """Keyword arguments of the store's list functions."""
        return {"limit": self.limit, "marker": self.marker, "offset": self.offset,
                "sort_key": self.sort_key, "newest_first": not self.ascending,
                "since": self.since, "before": self.before, **self.filters}


MAX_INT = 2**31 - 1


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, f"{name} must be a non-negative integer") from None
    if value < 0:
        raise APIError(400, f"{name} must be a non-negative integer")
    if value > MAX_INT:  # the databases' INTEGER: a larger one is an error there
        raise APIError(400, f"{name} must be at most {MAX_INT}")
    return value


def _sort(params: Mapping[str, str]) -> tuple[str, bool]:
    sort, key, direction = params.get("sort"), params.get("sort_key"), params.get("sort_dir")
    if sort is not None and (key is not None or direction is not None):
        raise APIError(400, "give sort, or sort_key and sort_dir, not both")
    if sort is not None:
        if "," in sort:
            raise APIError(400, "herald sorts by one key (ties: created_at, then id)")
        key, _, direction = sort.partition(":")
        direction = direction or None
    key = key or "created_at"
    direction = (direction or "desc").lower()
    if key not in SORT_KEYS:
        raise APIError(400, f"cannot sort by {key[:40]!r}; sort keys: {', '.join(SORT_KEYS)}")
    if direction not in ("asc", "desc"):
        raise APIError(400, "the sort direction must be asc or desc")
    return key, direction == "asc"


def _time(params: Mapping[str, str], name: str) -> datetime.datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise APIError(400, f"{name} must be an ISO 8601 date and time") from None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def parse(params: Mapping[str, str], *, max_limit: int, default_limit: int,
          with_query: bool) -> ListQuery:
    """``with_query``: microversion 3.5 or later; before it, Cinder reads
    no filter, sort or pagination parameter."""
    if not with_query:
        return ListQuery(limit=default_limit)
    filters = {}
    for name in FILTERS:
        value = params.get(name)
        if value is not None:
            if len(value) > MAX_FILTER_LENGTH:
                raise APIError(400, f"{name} is longer than {MAX_FILTER_LENGTH} characters")
            filters[name] = value
    if "resource_type" in filters:  # VOLUME, or herald's old spelling, volume
        filters["resource_type"] = resources.normalise(filters["resource_type"])
    key, ascending = _sort(params)
    all_tenants = (params.get("all_tenants") or "").lower() in ("1", "true", "yes")
    marker = params.get("marker")
    if marker is not None and (not marker or len(marker) > 64):
        raise APIError(400, "marker must be the id of a message")
    return ListQuery(
        limit=min(_int(params, "limit", default_limit), max_limit), marker=marker,
        offset=_int(params, "offset", 0), sort_key=key, ascending=ascending,
        since=_time(params, "created_since"), before=_time(params, "created_before"),
        filters=filters, project_id=params.get("project_id"), all_projects=all_tenants)
