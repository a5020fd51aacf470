"""The versioned form of a user message that leaves herald (Senlin).

Used by the ``messaging`` and ``jsonfile`` dispatchers, so third-party
consumers read one documented format (docs/dispatchers.md). It holds only
what a user may see, plus ``message_id`` for de-duplication; never
``publisher_id``, ``session_id`` or ``claim``. Bump VERSION on any change:
a minor version for added fields, a major one for anything else.
"""

from __future__ import annotations

from typing import Any

from collector.model import UserMessage

NAME = "UserMessage"
VERSION = "1.0"
FIELDS = ("id", "message_id", "project_id", "request_id", "event_id", "event_type", "category",
          "resource_type", "resource_uuid", "message_level", "user_message", "parent_id",
          "root_id", "created_at", "expires_at")


def payload(m: UserMessage) -> dict[str, Any]:
    data = {f: getattr(m, f) for f in FIELDS}
    data["created_at"] = m.created_at.isoformat()
    data["expires_at"] = m.expires_at.isoformat()
    return {"herald_object.name": NAME, "herald_object.namespace": "herald",
            "herald_object.version": VERSION, "herald_object.data": data}
