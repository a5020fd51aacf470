"""Telling a redelivery from a different notification reusing a message_id.

A notification delivered twice carries the same content both times: one
row, no complaint. Two notifications with one message_id but different
user-visible content are a publisher bug; the later one is refused
(``duplicate_message_id``) and quarantined instead of silently vanishing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from collector.dispatcher import Refusal
from collector.model import UserMessage
from storage.tables import messages

CODE = "duplicate_message_id"
DETAIL = "another notification with this message_id was stored with different content"
# not created_at: two reports of one failure (collector.mapping.keyed_by_fact)
# share a message_id but not their timestamps; the first one's is kept
CONTENT = ("project_id", "event_id", "user_message", "resource_uuid", "request_id", "user_id")


def same_content(a: Any, b: Any) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in CONTENT)


def split_batch(batch: Sequence[UserMessage]) -> tuple[list[UserMessage], list[Refusal]]:
    """One copy of each message_id; refusals for conflicting copies."""
    if len({m.message_id for m in batch}) == len(batch):  # the common case
        return list(batch), []
    seen: dict[str, UserMessage] = {}
    keep: list[UserMessage] = []
    refused: list[Refusal] = []
    for m in batch:
        first = seen.get(m.message_id)
        if first is None:
            seen[m.message_id] = m
            keep.append(m)
        elif not same_content(first, m):
            refused.append(Refusal(m, DETAIL, CODE))
    return keep, refused


def conflicts(conn: sa.Connection, batch: Sequence[UserMessage]) -> list[Refusal]:
    """Refusals for messages whose message_id was already stored (by an
    earlier delivery, or another worker) with different content."""
    by_id = {m.message_id: m for m in batch}
    rows = conn.execute(
        sa.select(messages.c.message_id, *(messages.c[f] for f in CONTENT))
        .where(messages.c.message_id.in_(list(by_id)),
               messages.c.id.not_in([m.id for m in batch])))
    return [Refusal(by_id[r.message_id], DETAIL, CODE) for r in rows
            if not same_content(r, by_id[r.message_id])]
