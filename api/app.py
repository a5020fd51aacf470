"""The WSGI application: routes, microversions, faults and middleware.

WebOb and Routes, as placement uses them; oslo.middleware for what every
OpenStack API does the same way (request ids, health checks, CORS, a
proxy's forwarded host and scheme, request size limits).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import routes
import webob
import webob.dec
from oslo_config import cfg
from oslo_middleware import cors, healthcheck, http_proxy_to_wsgi, request_id, sizelimit

import storage
from api import auth, errors, language, messages, microversion, policy, status
from api.errors import APIError
from collector import rendering
from collector.exceptions import StorageUnavailable

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.HostAddressOpt("host", default="127.0.0.1",
                       help="Address herald-api listens on (development server)."),
    cfg.PortOpt("port", default=8787, help="Port herald-api listens on (development server)."),
]
MESSAGE = "{message_id:[^/]+}"
PROJECT = "{project_id:(?!messages$|messaging-status$)[^/]+}"


def _mapper() -> routes.Mapper:
    m = routes.Mapper()

    def route(path: str, action: str, method: str, controller: str = "messages") -> None:
        m.connect(path, action=action, controller=controller,
                  conditions={"method": [method]})

    for path in ("/", "/v3", "/v3/", f"/v3/{PROJECT}", f"/v3/{PROJECT}/"):
        route(path, "versions", "GET")
    for prefix in ("/v3", f"/v3/{PROJECT}"):
        route(f"{prefix}/messages", "index", "GET")
        route(f"{prefix}/messages/{MESSAGE}", "show", "GET")
        route(f"{prefix}/messages/{MESSAGE}", "delete", "DELETE")
    route(f"/v3/{PROJECT}/resources/{{resource_uuid}}/progress", "progress", "GET")
    # herald's extension: is the cloud's messaging service (the broker) down?
    route(f"/v3/{PROJECT}/messaging-status", "show", "GET", controller="status")
    return m


class Router:
    """Finds the action, applies the microversion, turns errors into faults."""

    def __init__(self, controllers: dict[str, Any]) -> None:
        self.controllers = controllers
        self.mapper = _mapper()
        self.languages = language.Negotiator(controllers["messages"].texts.current.languages)

    @webob.dec.wsgify
    def __call__(self, req: webob.Request) -> webob.Response:
        try:
            version = microversion.parse(req.headers)
            herald_version = microversion.parse_herald(req.headers)
        except microversion.VersionError as exc:
            return errors.fault(exc.status, str(exc))
        req.environ["herald.version"] = version
        req.environ["herald.event_model"] = herald_version is not None
        locale = self.languages.negotiate(req.headers.get(language.HEADER))
        req.environ["herald.locale"] = locale
        unreadable = _unreadable(req)
        if unreadable:
            return errors.fault(400, unreadable)
        match = self.mapper.match(req.path_info, req.environ)
        if match is None:
            if self.mapper.match(req.path_info):  # the path exists, not the method
                return errors.fault(405, f"{req.method} is not allowed on {req.path_info}")
            return errors.fault(404, f"no resource at {req.path_info}")
        args = {k: v for k, v in match.items() if k not in ("action", "controller")}
        try:
            controller = self.controllers[match["controller"]]
            result = getattr(controller, match["action"])(req, **args)
        except APIError as exc:
            response = errors.fault(exc.status, exc.message)
        except StorageUnavailable as exc:  # down, or a schema herald-manage must upgrade
            LOG.warning("herald-api cannot read the database: %s", exc)
            response = errors.fault(503, "the message store is unavailable; try again later")
            response.headers["Retry-After"] = "5"
        except Exception:  # a bug: logged, never a traceback to the caller
            LOG.exception("herald-api failed on %s %s", req.method, req.path_info)
            response = errors.fault(500, "herald-api failed; the request id is in its log")
        else:
            response = result if isinstance(result, webob.Response) else webob.Response(
                content_type="application/json", charset="utf-8",
                body=json.dumps(result).encode())
        response.headers[microversion.HEADER] = f"{microversion.SERVICE} {version}" + (
            "" if herald_version is None else f", {microversion.HERALD_SERVICE} {herald_version}")
        response.headers["Vary"] = f"{microversion.HEADER}, {language.HEADER}"
        response.headers["Content-Language"] = language.content_language(locale)
        return response


def _unreadable(req: webob.Request) -> str | None:
    """Why a URL cannot be a query (NUL characters, which PostgreSQL
    refuses in text, or bytes that are not UTF-8), else None."""
    try:
        values = [req.path_info, *(x for item in req.GET.items() for x in item)]
    except UnicodeDecodeError:
        return "the query string is not UTF-8"
    if any("\x00" in v for v in values):
        return "the URL contains a NUL character"
    return None


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Mount:
    """``/healthcheck`` to oslo.middleware's health check (an application
    of its own, as paste's urlmap mounts it), everything else to the API."""

    def __init__(self, app: WSGIApp, health: WSGIApp) -> None:
        self.app, self.health = app, health

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthcheck":
            return self.health(environ, start_response)
        return self.app(environ, start_response)


def build(conf: cfg.ConfigOpts, store: storage.Connection | None = None,
          texts: rendering.Texts | None = None) -> WSGIApp:
    """The whole stack, outermost last. ``texts``: the catalogue and its
    translations (the caller keeps it to reload them on SIGHUP)."""
    store = store if store is not None else storage.get_connection(conf)
    texts = texts if texts is not None else rendering.Texts(conf)
    enforcer = policy.enforcer(conf)
    app: WSGIApp = Router({"messages": messages.Messages(conf, store, enforcer, texts),
                           "status": status.MessagingStatus(conf, store, enforcer=enforcer)})
    app = auth.wrap(app, conf)
    app = sizelimit.RequestBodySizeLimiter(app, conf)
    app = cors.CORS(app, conf)
    app = _Mount(app, healthcheck.Healthcheck(None, {
        "backends": "disable_by_file",
        "disable_by_file_path": "/etc/herald/healthcheck_disable"}))
    app = request_id.RequestId(app)
    return http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("api", [*OPTS, *auth.OPTS, *messages.OPTS])]


def register_opts(conf: cfg.ConfigOpts) -> None:
    for group, opts in list_opts():
        conf.register_opts(opts, group=group)
