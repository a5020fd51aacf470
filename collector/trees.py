"""Event trees (Nuvla's causation and correlation ids).

A message may name the message that caused it (``parent_id``) and the
first message of its chain (``root_id``). A message naming no root joins
its parent's tree; one naming no parent is the root of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from collector.model import UserMessage


def to_look_up(messages: Sequence[UserMessage]) -> dict[str, str]:
    """``{parent id: project id}`` of the parents not in this batch whose
    roots are still needed."""
    in_batch = {m.id for m in messages}
    return {m.parent_id: m.project_id for m in messages
            if m.root_id is None and m.parent_id is not None and m.parent_id not in in_batch}


def resolve(messages: Sequence[UserMessage], stored: Mapping[str, str]) -> None:
    """Fill every missing root: from a parent earlier in the batch (same
    project), else from ``stored`` (parent id -> its root), else the parent."""
    in_batch = {m.id: m for m in messages}
    for m in messages:
        if m.root_id is not None or m.parent_id is None:
            continue
        parent = in_batch.get(m.parent_id)
        if parent is not None and parent.project_id == m.project_id and parent.root_id:
            m.root_id = parent.root_id
        else:
            m.root_id = stored.get(m.parent_id, m.parent_id)
