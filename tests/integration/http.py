"""A few JSON calls to the services' APIs (urllib: nothing of theirs in herald's env)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def call(method: str, url: str, headers: dict[str, str], body: Any = None,
         ) -> tuple[int, dict[str, str], Any]:
    """(status, headers, decoded body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        **headers, **({"Content-Type": "application/json"} if data else {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, got, raw = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        status, got, raw = exc.code, dict(exc.headers), exc.read()
    return status, got, json.loads(raw) if raw else None


def request_id(headers: dict[str, str]) -> str:
    found = {v for k, v in headers.items() if k.lower() == "x-openstack-request-id"}
    assert len(found) == 1, headers
    return found.pop()
