"""herald-api, as the dashboard reads it: over HTTP, with the user's token.

The endpoint is the Keystone catalog's ``user-messages`` service on the
interface Horizon is set to use (``OPENSTACK_ENDPOINT_TYPE``), already
scoped to the user's project by Keystone. Requests go through a
keystoneauth session carrying the logged-in user's token, at microversion
3.5 (filters, sort, ``limit`` and ``marker`` are read from 3.5 on), with
herald's own opt-in, ``user-messages 1.0``: without it herald-api answers
exactly as Cinder does, without the event model's keys (``event_type``,
``count``, ``parent_id``...) the Event Viewer shows; and the user's Horizon
language as ``Accept-Language`` (herald-api renders each message in it).
The dashboard never reads herald's database.

Failures surface as keystoneauth exceptions (``ConnectFailure``, an HTTP
5xx...), which Horizon treats as recoverable: its usual error banner and an
empty table, never a 500 page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from horizon.utils import functions as utils
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack_dashboard.api import base

SERVICE_TYPE = "user-messages"
MICROVERSION = {"OpenStack-API-Version": "volume 3.5, user-messages 1.0"}
TIMEOUT = 30

#: what herald-api answers for a message it does not have (or hides)
NotFound = ks_exceptions.NotFound

#: herald-api's list filters the tables offer (server side)
FILTERS = ("message_level", "resource_type", "resource_uuid", "event_id", "request_id",
           "created_since", "created_before", "project_id")


class Message(base.APIDictWrapper):
    """One message as herald-api returns it (Cinder's keys, and herald's)."""

    _attrs = ("id", "event_id", "message_level", "user_message", "created_at",
              "guaranteed_until", "request_id", "resource_type", "resource_uuid",
              "event_type", "category", "count", "last_seen_at", "parent_id", "root_id",
              "project_id")

    def __getattr__(self, attr: str) -> Any:
        try:
            return super().__getattr__(attr)
        except AttributeError:
            if attr in self._attrs:  # a key herald-api leaves out (no resource...)
                return None
            raise


def _session(request: Any) -> tuple[ks_session.Session, str]:
    endpoint = base.url_for(request, SERVICE_TYPE).rstrip("/")
    cacert = getattr(settings, "OPENSTACK_SSL_CACERT", None)
    insecure = getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False)
    session = ks_session.Session(auth=token_endpoint.Token(endpoint, request.user.token.id),
                                 verify=False if insecure else (cacert or True),
                                 timeout=TIMEOUT)
    return session, endpoint


def _headers(request: Any) -> dict[str, str]:
    """The microversion, and the user's Horizon language (their setting, else
    what Django negotiated): herald-api renders messages in it."""
    headers = dict(MICROVERSION)
    try:
        language = utils.get_language(request)
    except AttributeError:  # a request Django's LocaleMiddleware has not seen
        language = None
    if language:
        headers["Accept-Language"] = str(language)
    return headers


def _call(request: Any, method: str, path: str, **params: Any) -> Any:
    session, endpoint = _session(request)
    response = session.request(endpoint + path, method, headers=_headers(request),
                               params={k: v for k, v in params.items() if v not in (None, "")})
    return response.json() if response.content else None


def message_list(request: Any, *, marker: str | None = None, sort_dir: str = "desc",
                 filters: dict[str, str] | None = None, all_projects: bool = False,
                 page_size: int | None = None) -> tuple[list[Message], bool, bool]:
    """One page, newest first, and whether pages follow and precede it.

    Horizon's marker paging: ``sort_dir`` is ``asc`` when going back from a
    page's first row (``prev_marker``); one row more than the page size is
    asked for, to know whether another page follows (cinder's rule in
    openstack_dashboard.api.cinder.update_pagination).
    """
    size = page_size or utils.get_page_size(request)
    filters = dict(filters or {})
    if all_projects and not filters.get("project_id"):
        filters["all_tenants"] = "1"
    body = _call(request, "GET", "/messages", sort=f"created_at:{sort_dir}", limit=size + 1,
                 marker=marker, **filters)
    messages = [Message(m) for m in body["messages"]]
    has_more = has_prev = False
    if len(messages) > size:
        messages.pop()
        has_more = True
        has_prev = marker is not None
    elif sort_dir == "asc" and marker is not None:
        has_more = True  # back on the first page
    elif marker is not None:
        has_prev = True  # the last page
    if sort_dir == "asc":
        messages.reverse()
    return messages, has_more, has_prev


def message_get(request: Any, message_id: str) -> Message:
    return Message(_call(request, "GET", f"/messages/{message_id}")["message"])


def message_delete(request: Any, message_id: str) -> None:
    _call(request, "DELETE", f"/messages/{message_id}")


def children(request: Any, message_id: str) -> list[Message]:
    """The messages this one caused (the event model's parent_id)."""
    return message_list(request, filters={"parent_id": message_id}, page_size=100)[0]


def progress(request: Any, resource_uuid: str) -> dict[str, Any] | None:
    """The resource's provisioning steps and latest events, or None."""
    try:
        return _call(request, "GET", f"/resources/{resource_uuid}/progress")["progress"]
    except NotFound:
        return None


def messaging_status(request: Any) -> dict[str, Any]:
    """herald's extension: whether the cloud's messaging service (the
    broker) is unavailable, and the catalogue's text saying so."""
    status: dict[str, Any] = _call(request, "GET", "/messaging-status")["messaging_status"]
    return status
