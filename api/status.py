"""herald's extension: whether the cloud's messaging service is down.

When RabbitMQ is unreachable, requests that cast to a scheduler hang and no
service sends a notification, so no message can explain it. herald-listener
records the outage in herald's database (listener.broker_watch); this
route reads it from there, so herald-api answers while the broker is down.
The text is the catalogue's ``MESSAGING_UNAVAILABLE`` (operators may
re-word it like any entry); it names no host.
"""

from __future__ import annotations

from typing import Any

import webob
from oslo_config import cfg

from api import policy
from api.errors import APIError
from collector import catalogue
from collector.catalogue import Catalogue
from storage.base import Connection

EVENT_ID = "MESSAGING_UNAVAILABLE"


class MessagingStatus:
    def __init__(self, conf: cfg.ConfigOpts, store: Connection, cat: Catalogue | None = None,
                 enforcer: Any = None) -> None:
        self.store = store
        self.enforcer = enforcer
        entry = (cat or catalogue.load(conf)).get(EVENT_ID)
        assert entry is not None  # the sanctioned catalogue has it; overrides cannot drop it
        self.entry = entry

    def show(self, req: webob.Request, project_id: str) -> dict[str, Any]:
        caller = req.environ.get("HTTP_X_PROJECT_ID")
        creds = policy.creds(req.environ)
        if not self.enforcer.enforce("messaging_status:get", {"project_id": project_id}, creds):
            raise APIError(403, "policy does not allow messaging_status:get")
        if project_id != caller and not self.enforcer.enforce("admin_api", {}, creds):
            raise APIError(403, "the project in the URL is not the caller's")
        outage = self.store.broker_outage()
        if outage is None:
            return {"messaging_status": {"available": True, "unavailable_since": None,
                                         "event_id": None, "message_level": None,
                                         "message": None}}
        since = outage["started_at"]
        text = self.entry.template.render(
            {n: p.check(since) for n, p in self.entry.params.items()})
        return {"messaging_status": {
            "available": False, "unavailable_since": since.isoformat(timespec="seconds"),
            "event_id": EVENT_ID, "message_level": self.entry.level, "message": text}}
