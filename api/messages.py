"""The messages resource and a resource's provisioning progress.

Every query is scoped: to the project in the URL, which must be the
caller's own unless the caller is an administrator; routes without a
project (3.67) use the caller's. An administrator may name another
project (``project_id``) or every project (``all_tenants``); for anyone
else ``all_tenants`` changes nothing. A message of another project is a
404, exactly like one that does not exist.

The reserved project ``_operators`` holds herald's own operator messages
(services that stopped consuming: they name hosts and queues). Only
administrators read it, by naming it (``project_id=_operators``) or with
``all_tenants``; anyone else gets a 403, even a token scoped to a project
of that name.
"""

from __future__ import annotations

from typing import Any

import webob
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from api import microversion, policy, query, views
from api.errors import APIError
from collector.catalogue import OPERATORS_PROJECT
from collector.rendering import Texts
from storage.base import Connection, InvalidMarker

OPTS = [
    cfg.IntOpt("max_limit", default=1000, min=1, max=1000,
               help="Largest page a list returns, whatever ``limit`` asks."),
    cfg.IntOpt("default_limit", default=1000, min=1, max=1000,
               help="Page size of a list that asks for none (Cinder's osapi_max_limit)."),
]


class Messages:
    def __init__(self, conf: cfg.ConfigOpts, store: Connection,
                 enforcer: oslo_policy.Enforcer, texts: Texts) -> None:
        self.store = store
        self.texts = texts
        self.enforcer = enforcer
        self.max_limit = conf.api.max_limit
        self.default_limit = conf.api.default_limit

    # -- who, and which project -------------------------------------------------
    def _authorize(self, req: webob.Request, rule: str, project_id: str) -> dict[str, Any]:
        creds = policy.creds(req.environ)
        if not self.enforcer.enforce(rule, {"project_id": project_id}, creds):
            raise APIError(403, f"policy does not allow {rule}")
        return creds

    def _is_admin(self, creds: dict[str, Any]) -> bool:
        return bool(self.enforcer.enforce("admin_api", {}, creds))

    def _scope(self, req: webob.Request, project_id: str | None) -> str:
        """The project the URL names (the caller's own when it names none):
        refused when it is not the caller's, unless an administrator asks."""
        version: microversion.Version = req.environ["herald.version"]
        if not version.at_least(microversion.MESSAGES):
            raise APIError(404, "messages exist from microversion 3.3")
        caller = req.environ.get("HTTP_X_PROJECT_ID")
        if project_id is None:  # Cinder has these routes from 3.67; herald at any version
            project_id = caller
        if not project_id:
            raise APIError(403, "the caller has no project")
        if (project_id != caller or project_id == OPERATORS_PROJECT) and not self._is_admin(
                policy.creds(req.environ)):
            raise APIError(403, "the project in the URL is not the caller's")
        return project_id

    def _text(self, req: webob.Request) -> Any:
        """``row -> text`` in the request's language (from the catalogue as
        it is now: a SIGHUP's rewording applies to stored messages too)."""
        return self.texts.current.for_locale(req.environ.get("herald.locale", "en"))

    # -- routes -------------------------------------------------------------------
    def index(self, req: webob.Request, project_id: str | None = None) -> dict[str, Any]:
        scope = self._scope(req, project_id)
        creds = self._authorize(req, "message:get_all", scope)
        version: microversion.Version = req.environ["herald.version"]
        q = query.parse(req.GET, max_limit=self.max_limit, default_limit=self.default_limit,
                        with_query=version.at_least(microversion.QUERY))
        # the administrator check only when the request asks for more than
        # its project (one policy evaluation per request otherwise)
        if q.project_id not in (None, scope) and not self._is_admin(creds):
            raise APIError(403, "only administrators may list another project's messages")
        try:
            if q.all_projects and self._is_admin(creds):
                rows = self.store.list_messages_of_all_projects(**q.page())
            else:
                rows = self.store.list_messages(q.project_id or scope, **q.page())
        except InvalidMarker:
            raise APIError(400, f"marker {q.marker!r} is not a message of this project") from None
        # before 3.5 a marker is not read: a next link would repeat the page
        return views.message_list(req, rows, q.limit if version.at_least(microversion.QUERY)
                                  else None, self._text(req))

    def _find(self, req: webob.Request, scope: str, message_id: str, rule: str
              ) -> dict[str, Any]:
        creds = self._authorize(req, rule, scope)
        row = self.store.get_message(scope, message_id)
        if row is None and self._is_admin(creds):
            row = self.store.get_message_of_any_project(message_id)
        if row is None:
            raise APIError(404, f"message {message_id} could not be found")
        return row

    def show(self, req: webob.Request, message_id: str, project_id: str | None = None
             ) -> dict[str, Any]:
        scope = self._scope(req, project_id)
        # only "message", as Cinder (openstacksdk, whose Message resource reads
        # "messages", gets from herald what it gets from Cinder: the id it had)
        return {"message": views.message(req, self._find(req, scope, message_id,
                                                         "message:get"),
                                         text=self._text(req))}

    def delete(self, req: webob.Request, message_id: str, project_id: str | None = None
               ) -> webob.Response:
        scope = self._scope(req, project_id)
        row = self._find(req, scope, message_id, "message:delete")
        if row["project_id"] == scope:
            self.store.delete_message(scope, message_id)
        else:  # an administrator, found across projects
            self.store.delete_message_of_any_project(message_id)
        return webob.Response(status=204)

    def progress(self, req: webob.Request, project_id: str, resource_uuid: str
                 ) -> dict[str, Any]:
        """The provisioning steps of a resource (Sahara's progress), oldest
        first, and the events of the latest step."""
        scope = self._scope(req, project_id)
        self._authorize(req, "progress:get", scope)
        steps = self.store.list_steps(scope, resource_uuid)
        if not steps:
            raise APIError(404, f"no provisioning steps for {resource_uuid}")
        text = self._text(req)
        events = self.store.list_messages(scope, step_id=steps[-1]["id"], limit=self.max_limit,
                                          newest_first=False)
        return {"progress": {"resource_uuid": resource_uuid,
                             "steps": [views.step(s) for s in steps],
                             "events": [views.message(req, e, text=text) for e in events]}}

    def versions(self, req: webob.Request, project_id: str | None = None) -> dict[str, Any]:
        return views.versions(req)
