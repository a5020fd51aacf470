"""Authentication: keystonemiddleware's auth_token, or noauth for tests.

``[api] auth_strategy = keystone`` puts keystonemiddleware in front (its
``[keystone_authtoken]`` options); it sets X-User-Id, X-Project-Id and
X-Roles from a validated token. ``noauth`` follows Cinder's and
placement's convention, ``X-Auth-Token: <user>:<project>`` (what
python-cinderclient's ``--os-auth-type noauth`` sends), but unlike Cinder's
it makes nobody an administrator: the caller gets the ``member`` and
``reader`` roles of that project, and other roles only when the request
names them itself in X-Roles. Version documents need no authentication.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from oslo_config import cfg

from api import errors

OPTS = [
    cfg.StrOpt("auth_strategy", default="keystone", choices=[
        ("keystone", "keystonemiddleware's auth_token ([keystone_authtoken] options)"),
        ("noauth", "X-Auth-Token: <user>:<project>, for development and tests only")],
        help="How callers are authenticated."),
]
_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}", re.ASCII)
# /, /v3, /v3/, /v3/<project> -- but /v3/messages is the message list (3.67)
_VERSION_DOCUMENT = re.compile(r"/(?:v3/?(?:(?!messages/?$)[^/]+/?)?)?")
_TRUSTED = ("HTTP_X_USER_ID", "HTTP_X_PROJECT_ID", "HTTP_X_IDENTITY_STATUS")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_version_document(environ: dict[str, Any]) -> bool:
    """GET /, /v3, /v3/ and /v3/<project>: discovery, without a token."""
    return (environ.get("REQUEST_METHOD") == "GET"
            and _VERSION_DOCUMENT.fullmatch(environ.get("PATH_INFO") or "/") is not None)


class NoAuth:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        for key in _TRUSTED:  # only what the token says counts
            environ.pop(key, None)
        user, sep, project = (environ.get("HTTP_X_AUTH_TOKEN") or "").partition(":")
        if not sep or not _IDENT.fullmatch(user) or not _IDENT.fullmatch(project):
            return errors.fault(401, "noauth: X-Auth-Token must be <user>:<project>")(
                environ, start_response)
        environ.update(HTTP_X_USER_ID=user, HTTP_X_PROJECT_ID=project,
                       HTTP_X_IDENTITY_STATUS="Confirmed")
        environ.setdefault("HTTP_X_ROLES", "member,reader")
        return self.app(environ, start_response)


class VersionsWithoutAuth:
    """Version discovery goes around authentication (keystoneauth and
    python-cinderclient ask for it without a token)."""

    def __init__(self, authenticated: WSGIApp, open_app: WSGIApp) -> None:
        self.authenticated, self.open_app = authenticated, open_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if is_version_document(environ):
            return self.open_app(environ, start_response)
        return self.authenticated(environ, start_response)


def wrap(app: WSGIApp, conf: cfg.ConfigOpts) -> WSGIApp:
    if conf.api.auth_strategy == "noauth":
        return VersionsWithoutAuth(NoAuth(app), app)
    from keystonemiddleware import auth_token

    return VersionsWithoutAuth(auth_token.AuthProtocol(app, {"oslo_config_config": conf}), app)
