"""The dispatcher example in docs/dispatchers.md runs as written."""

from __future__ import annotations

import datetime
import http.server
import json
import re
import socket
import threading
from pathlib import Path

import pytest

from collector.exceptions import DispatchError
from collector.model import UserMessage
from listener import config

DOC = Path(__file__).resolve().parents[2] / "docs" / "dispatchers.md"


def example_module() -> dict:
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict = {"__name__": "webhook_example"}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def message(mid: str) -> UserMessage:
    now = datetime.datetime(2026, 11, 30, 12, 0)
    return UserMessage(id=f"id-{mid}", message_id=mid, project_id="p", user_id=None,
                       request_id=None, event_id="VOLUME_DELETE_FAILED", resource_type="VOLUME",
                       resource_uuid=None, message_level="ERROR", user_message="text",
                       publisher_id="host-a", created_at=now,
                       expires_at=now + datetime.timedelta(days=1))


class Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Hook.received.append(batch)
        body = json.dumps({"refused": ["m-2"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_documented_webhook_dispatcher_works():
    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        conf = config.make_conf()
        conf([], project="herald", default_config_files=[], default_config_dirs=[])
        webhook = example_module()["WebhookDispatcher"]
        d = webhook.create(conf)
        conf.set_override("url", f"http://127.0.0.1:{server.server_port}/hook",
                          group="dispatcher_webhook")
        d.url = conf.dispatcher_webhook.url
        refusals = d.dump([message("m-1"), message("m-2")])
        assert [r.message.message_id for r in refusals] == ["m-2"]
        (batch,) = Hook.received
        assert [b["herald_object.data"]["message_id"] for b in batch] == ["m-1", "m-2"]
        assert "publisher_id" not in batch[0]["herald_object.data"]
    finally:
        server.shutdown()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    d.url = f"http://127.0.0.1:{closed}/hook"
    with pytest.raises(DispatchError, match="webhook unreachable"):
        d.dump([message("m-3")])
