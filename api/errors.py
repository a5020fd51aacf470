"""Errors as Cinder's API writes them: ``{"itemNotFound": {"code": 404, ...}}``."""

from __future__ import annotations

import json

import webob

_KEYS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
         405: "badMethod", 406: "notAcceptable", 413: "requestEntityTooLarge",
         500: "computeFault", 503: "serviceUnavailable"}


class APIError(Exception):
    """Raised by a controller; becomes the JSON fault below."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def fault(status: int, message: str) -> webob.Response:
    body = {_KEYS.get(status, "error"): {"code": status, "message": message}}
    return webob.Response(status=status, content_type="application/json", charset="utf-8",
                          body=json.dumps(body).encode())
