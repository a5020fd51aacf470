"""Captured notifications, as operators and tests hand them to herald.

``herald-manage mapping try`` accepts what one can capture or copy:

* a body as it was on the queue: oslo's 2.0 envelope
  (``{"oslo.version": "2.0", "oslo.message": "..."}``) or the 1.0 message;
* a notification as services document them (nova's doc samples:
  ``event_type``, ``priority``, ``publisher_id``, ``payload``), with nova's
  ``"$ref"`` abbreviations resolved relative to the file, as nova's own
  ``json_ref.resolve_refs`` does. oslo adds ``message_id``, ``timestamp``
  and the context when it sends; here they are filled in (``context``:
  ``_context_*`` keys, e.g. a project the payload does not name).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import uuid
from typing import Any


def _merge(target: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def resolve_refs(obj: Any, base_dir: str) -> Any:
    """Replace ``{"$ref": "file.json#", ...overrides}`` by the referenced
    document (its own refs resolved relative to its directory) with the
    sibling keys applied over it recursively."""
    if isinstance(obj, list):
        return [resolve_refs(item, base_dir) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if "$ref" not in obj:
        return {k: resolve_refs(v, base_dir) for k, v in obj.items()}
    ref, _, fragment = str(obj["$ref"]).partition("#")
    if fragment:
        raise ValueError(f"$ref {obj['$ref']!r}: only whole-file references are supported")
    path = os.path.join(base_dir, ref)
    with open(path, encoding="utf-8") as f:
        resolved = resolve_refs(json.load(f), os.path.dirname(path))
    overrides = resolve_refs({k: v for k, v in obj.items() if k != "$ref"}, base_dir)
    _merge(resolved, overrides)
    return resolved


def load(path: str) -> dict[str, Any]:
    """A captured notification file, ``$ref`` resolved."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a notification is a JSON object")
    resolved: dict[str, Any] = resolve_refs(data, os.path.dirname(os.path.abspath(path)))
    return resolved


def to_body(data: dict[str, Any], context: dict[str, Any] | None = None) -> bytes:
    """The bytes herald would read from the queue for ``data``."""
    if "oslo.message" in data or "message_id" in data:
        return json.dumps(data).encode("utf-8")
    message = copy.deepcopy(data)
    message.setdefault("message_id", str(uuid.uuid4()))
    message.setdefault("timestamp", str(datetime.datetime.now(datetime.UTC)
                                        .replace(tzinfo=None)))
    for key, value in (context or {}).items():
        message.setdefault("_context_" + key, value)
    return json.dumps(message).encode("utf-8")
