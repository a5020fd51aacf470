"""Messages as Cinder's view builder shows them, plus herald's own keys on request.

Cinder's keys (``id``, ``event_id``, ``user_message``, ``message_level``,
``created_at``, ``guaranteed_until``, ``request_id``, ``resource_type``,
``resource_uuid``, ``links``) and nothing else, with Cinder's types
(``request_id`` always a string): Tempest validates them with
``additionalProperties: false``. When the request opts in to herald's event
model (``user-messages 1.0``), ``event_type``, ``category``, ``count``,
``last_seen_at``, ``parent_id``, ``root_id`` and ``project_id`` (an
administrator's every-project list needs it) follow. Never the publisher,
the session or the claim.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import webob

from api import microversion
from collector import resources

TIME = "%Y-%m-%dT%H:%M:%S.%f"


def _time(value: datetime.datetime | None) -> str | None:
    # TIME's format (naive UTC), isoformat being several times cheaper than strftime
    return None if value is None else value.isoformat(timespec="microseconds")


def _links(base: str, project_id: str, message_id: str) -> list[dict[str, str]]:
    return [{"href": f"{base}/v3/{project_id}/messages/{message_id}", "rel": "self"},
            {"href": f"{base}/{project_id}/messages/{message_id}", "rel": "bookmark"}]


Text = Callable[[Mapping[str, Any]], str]


def message(req: webob.Request, row: dict[str, Any], base: str | None = None,
            text: Text | None = None) -> dict[str, Any]:
    """``base``: ``req.application_url`` (the host and the path the API is
    mounted at), when the caller has it already; ``text``: the row's text
    in the request's language (collector.rendering), else the stored one."""
    base = req.application_url if base is None else base
    # None only in a row an older herald-listener wrote after migration 0013
    # filled the others: derived from the row's id then, the same every time
    request_id = row["request_id"] or resources.derived_request_id(row["id"])
    out = {
        "id": row["id"],
        "event_id": row["event_id"],
        "user_message": row["user_message"] if text is None else text(row),
        "message_level": row["message_level"],
        "created_at": _time(row["created_at"]),
        "guaranteed_until": _time(row["expires_at"]),
        "request_id": request_id,
        "links": _links(base, row["project_id"], row["id"]),
    }
    for key in ("resource_type", "resource_uuid"):
        if row.get(key):
            out[key] = row[key]
    if not req.environ.get("herald.event_model"):
        return out
    out.update(event_type=row["event_type"], category=row["category"], count=row["count"],
               last_seen_at=_time(row["last_seen_at"]), parent_id=row["parent_id"],
               root_id=row["root_id"], project_id=row["project_id"])
    return out


def message_list(req: webob.Request, rows: list[dict[str, Any]], limit: int | None,
                 text: Text | None = None) -> dict[str, Any]:
    """``messages_links`` (an absolute href, as openstacksdk follows it as
    given) when the page is full: the next page starts after its last id.
    No links when ``limit`` is None (pages cannot be asked for)."""
    base = req.application_url
    body: dict[str, Any] = {"messages": [message(req, r, base, text) for r in rows]}
    if rows and limit and len(rows) >= limit:
        params = [(k, v) for k, v in req.GET.items() if k not in ("marker", "offset")]
        params += [("marker", rows[-1]["id"])]
        if "limit" not in req.GET:
            params.append(("limit", str(limit)))
        body["messages_links"] = [{"rel": "next",
                                   "href": f"{req.path_url}?{urlencode(params)}"}]
    return body


def versions(req: webob.Request) -> dict[str, Any]:
    base = req.application_url
    return {"versions": [{
        "id": "v3.0", "status": "CURRENT", "version": str(microversion.LATEST),
        "min_version": f"{microversion.MIN[0]}.{microversion.MIN[1]}",
        "updated": "2026-11-30T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}/v3/"},
                  {"rel": "describedby", "type": "text/html",
                   "href": "https://opendev.org/herald/herald/src/branch/master/docs/api.md"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }]}


def step(row: dict[str, Any]) -> dict[str, Any]:
    return {"step_name": row["step_name"], "step_type": row["step_type"],
            "completed": row["completed"], "total": row["total"],
            "successful": row["successful"], "started_at": _time(row["started_at"]),
            "completed_at": _time(row["completed_at"]), "updated_at": _time(row["updated_at"])}
