"""Event trees whatever the arrival order: roots fixed up as parents arrive.

A message whose parent was not stored yet got the parent's id as its root
(collector.trees). When that parent arrives with a root of its own, every
row rooted at the parent's id moves to that root ("push"); and a message
stored with an unresolved parent looks again, after its own commit, in
case the parent was committed meanwhile by another worker ("pull"). Both
run after the batch's insert committed: of two workers committing a parent
and its child at the same time, whichever fixes up last sees the other's
row, so no child is left behind. Only messages with a parent cost anything.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from collector.model import UserMessage
from storage.tables import messages

_MOVE = (sa.update(messages)
         .where(messages.c.project_id == sa.bindparam("project"),
                messages.c.root_id == sa.bindparam("old"))
         .values(root_id=sa.bindparam("new")))


def fix_roots(conn: sa.Connection, batch: Sequence[UserMessage]) -> None:
    children = [m for m in batch if m.parent_id is not None and m.root_id is not None]
    if not children:
        return
    moves = {(m.project_id, m.id): m.root_id for m in children if m.root_id != m.id}
    unresolved = {(m.project_id, m.parent_id) for m in children if m.root_id == m.parent_id}
    if unresolved:  # pull: the parent may have been stored meanwhile
        rows = conn.execute(sa.select(messages.c.id, messages.c.project_id, messages.c.root_id)
                            .where(messages.c.id.in_([p for _, p in unresolved])))
        for r in rows:
            if (r.project_id, r.id) in unresolved and r.root_id not in (None, r.id):
                moves[(r.project_id, r.id)] = r.root_id
    params = [{"project": project, "old": old, "new": new}
              for (project, old), new in moves.items()]
    if params:
        conn.execute(_MOVE, params)
