"""What a rejection keeps: the reason, what identifies the notification, its
raw body (capped). Only plain identifiers are copied into its columns."""

from __future__ import annotations

import datetime
from typing import Any

from collector import envelope, patterns
from collector.model import Inbound, Notification, Rejection


def _safe(value: Any) -> str | None:
    """Keep an identifier for the operator-only columns, else nothing."""
    return value if patterns.fits(patterns.IDENTIFIER, value, 255) else None


def raw_body(item: Inbound) -> bytes:
    """The delivery as it was on the wire (or as oslo decoded it)."""
    return (envelope.body_bytes(item.body) if item.body is not None
            else envelope.encode_oslo(item.decoded or {}))


def rejection(item: Inbound, n: Notification | None, code: str, detail: str,
              received_at: datetime.datetime, body_cap: int,
              **known: str | None) -> Rejection:
    """The quarantine row for ``item``; ``n``: what could be decoded of it,
    ``known``: identifiers already checked (a dispatcher's refusal)."""
    raw = raw_body(item)
    payload = n.payload if n is not None and type(n.payload) is dict else {}
    context = n.context if n is not None else {}
    message_id = known.get("message_id") or (n.message_id if n is not None else None)
    project = payload.get("project_id") or next(
        (context[k] for k in envelope.CONTEXT_FALLBACKS["project_id"] if context.get(k)), None)
    return Rejection(
        dedupe_key=message_id or envelope.body_key(raw),
        code=code,
        detail=detail,
        message_id=message_id,
        event_id=known.get("event_id") or _safe(payload.get("event_id")),
        project_id=known.get("project_id") or _safe(project),
        publisher_id=known.get("publisher_id") or _safe(n.publisher_id if n else None),
        event_type=_safe(n.event_type if n else None),
        received_at=received_at,
        raw_body=raw[:body_cap],
        raw_size=len(raw),
    )
