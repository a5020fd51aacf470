"""Event trees (Nuvla's causation and correlation ids).

A message may name the message that caused it (``parent_id``) and the
first message of its chain (``root_id``). A message naming no root joins
its parent's tree; one naming no parent is the root of its own. Parents may
arrive after their children (two workers, a redelivery): the collector
resolves what it can see, and the store fixes up roots when the missing
parent arrives (:mod:`storage.trees`).
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
    """Fill every missing root, whatever the order within the batch: from a
    parent in this batch (same project), else from ``stored`` (parent id ->
    its root), else the parent itself -- which the store corrects once the
    parent arrives (storage.trees)."""
    in_batch = {m.id: m for m in messages}

    def root_of(m: UserMessage, seen: frozenset[str]) -> str:
        if m.root_id is not None or m.parent_id is None:
            return m.root_id or m.id
        parent = in_batch.get(m.parent_id)
        if parent is not None and parent.project_id == m.project_id and parent.id not in seen:
            return root_of(parent, seen | {m.id})
        return stored.get(m.parent_id, m.parent_id)

    for m in messages:
        if m.root_id is None and m.parent_id is not None:
            m.root_id = root_of(m, frozenset())
