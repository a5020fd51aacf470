"""Build notification bodies exactly as oslo.messaging's rabbit driver does.

Checked against a real Notifier's output (formats 1.0 and 2.0); used where a
test needs bytes a Notifier would never produce or needs many fast.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from collector.catalogue import Entry


def example_params(entry: Entry) -> dict[str, Any]:
    return {name: ptype.example() for name, ptype in entry.params.items()}


def expected_text(entry: Entry, params: dict[str, Any]) -> str:
    """The rendering a test expects, computed independently of Template."""
    text = entry.template_for(params).text  # an entry that counts: its plural too
    for name, ptype in entry.params.items():
        text = text.replace("{" + name + "}", ptype.check(params[name]))
    return text


def payload(event_id: str, params: dict[str, Any] | None = None, **fields: Any) -> dict:
    out: dict[str, Any] = {"event_id": event_id, "params": params or {}}
    out.update(fields)
    return out


def message(payload: Any, *, message_id: str | None = None, timestamp: str | None = None,
            context: dict[str, Any] | None = None, priority: str = "ERROR",
            publisher_id: str = "volume.host-a") -> dict[str, Any]:
    msg = {
        "message_id": message_id or str(uuid.uuid4()),
        "publisher_id": publisher_id,
        "event_type": "user_message.create",
        "priority": priority,
        "payload": payload,
        "timestamp": timestamp or str(datetime.datetime.now(datetime.UTC).replace(tzinfo=None)),
        "_unique_id": uuid.uuid4().hex,
    }
    ctx = {"project_id": "p-test", "user_id": "u-test", "request_id": "req-" + str(uuid.uuid4()),
           "auth_token": "SECRET-TOKEN", "roles": ["member"]}
    if context is not None:
        ctx = context
    msg.update({"_context_" + k: v for k, v in ctx.items()})
    return msg


def body_v1(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg).encode()


def body_v2(msg: dict[str, Any]) -> bytes:
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(msg)}).encode()
