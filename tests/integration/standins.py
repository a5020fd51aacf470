"""Glance and Neutron stand-ins: the few calls nova makes for a boot.

For ``POST /servers`` with an image and ``"networks": "none"``, nova-api asks
Glance for the image and its schema, and Neutron for nothing. Reading or
deleting a server asks Neutron for its ports. Those calls are answered;
anything else gets 404 and is recorded like every call, so a test can say
exactly what was asked.
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
import wsgiref.simple_server
from typing import Any

IMAGE_ID = "155d900f-4e14-4e4c-a73d-069cbf4541e6"
IMAGE = {
    "id": IMAGE_ID, "name": "standin", "status": "active", "visibility": "public",
    "protected": False, "os_hidden": False, "container_format": "bare", "disk_format": "qcow2",
    "size": 1048576, "virtual_size": None, "min_disk": 0, "min_ram": 0, "checksum": None,
    "os_hash_algo": None, "os_hash_value": None, "owner": "admin", "tags": [],
    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "self": f"/v2/images/{IMAGE_ID}", "file": f"/v2/images/{IMAGE_ID}/file",
    "schema": "/v2/schemas/image",
}
# nova keeps as image attributes only the keys the schema lists (else KeyError 'id')
IMAGE_SCHEMA = {"name": "image", "properties": {k: {} for k in IMAGE},
                "additionalProperties": {"type": "string"}, "links": []}


def glance(method: str, path: str) -> tuple[int, Any] | None:
    if method == "GET" and path == "/v2/schemas/image":
        return 200, IMAGE_SCHEMA
    if method == "GET" and path == f"/v2/images/{IMAGE_ID}":
        return 200, IMAGE
    return None


def neutron(method: str, path: str) -> tuple[int, Any] | None:
    if method == "GET" and path == "/v2.0/ports":
        return 200, {"ports": []}
    return None


class _Server(socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class StandIn:
    """One stand-in on a free port, in a thread of the test process."""

    def __init__(self, name: str) -> None:
        self.answer = {"glance": glance, "neutron": neutron}[name]
        self.calls: list[tuple[str, str]] = []
        self.server = _Server(("127.0.0.1", 0), _Quiet)
        self.server.set_app(self._app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.calls.append((method, re.sub(r"[0-9a-f-]{36}", "{id}", path)))
        status, body = self.answer(method, path) or (404, {"error": "not stood in"})
        data = json.dumps(body).encode()
        start_response(f"{status} {'OK' if status < 400 else 'Not Found'}",
                       [("Content-Type", "application/json"),
                        ("Content-Length", str(len(data)))])
        return [data]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
