"""Stalled creates in the database: one owner's message per resource.

Several herald nodes watch the same services; the row keyed by the
resource's UUID, inserted in the same transaction as the owner's message,
makes the first node's message the only one (the others' inserts conflict
and roll back). Closing is a conditional UPDATE for the same reason, so a
"created after all" message is written once. Messages are only ever
inserted: the outcome joins the stall's event tree by naming the stall's
message as its parent, never by changing a stored row.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from collector.model import UserMessage
from storage import engine as engines
from storage import writes
from storage.tables import messages, stalls

#: outcomes of a stall; "failed" stays linkable for a while (the failure's
#: notification may arrive after the service's API already says "error")
OUTCOMES = ("completed", "failed", "gone")


@dataclasses.dataclass(frozen=True, slots=True)
class Stall:
    resource_uuid: str
    resource_type: str
    project_id: str
    message_id: str
    stalled_at: datetime.datetime
    outcome: str | None = None
    closed_at: datetime.datetime | None = None


class StallStore:
    """The stalls table and the messages it writes, on one engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def open_stalls(self) -> dict[str, Stall]:
        """Every stall whose resource has not reached a final state."""
        with engines.database_errors(), self.engine.connect() as conn:
            rows = conn.execute(sa.select(stalls).where(stalls.c.outcome.is_(None)))
            return {r.resource_uuid: Stall(**r._mapping) for r in rows}

    def claim(self, stall: Stall, message: UserMessage, since: datetime.datetime) -> bool:
        """Record the stall and write its message, unless another node did,
        or herald already told the owner something about the resource since
        ``since`` (its creation: a failure that arrived meanwhile)."""
        try:
            with engines.environment_errors(), self.engine.begin() as conn:
                said = conn.execute(
                    sa.select(messages.c.id)
                    .where(messages.c.project_id == stall.project_id,
                           messages.c.resource_uuid == stall.resource_uuid,
                           messages.c.created_at >= since).limit(1)).first()
                if said is not None:
                    return False
                conn.execute(sa.insert(stalls).values(**dataclasses.asdict(stall)))
                conn.execute(sa.insert(messages), writes.message_rows([message]))
        except sa_exc.IntegrityError:
            return False  # another node claimed it first
        return True

    def close(self, resource_uuid: str, outcome: str, closed_at: datetime.datetime,
              message: UserMessage | None = None) -> bool:
        """Mark the stall's outcome, and write ``message`` with it; False if
        another node closed it first (and wrote the message)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome {outcome!r} is not one of {OUTCOMES}")
        try:
            with engines.environment_errors(), self.engine.begin() as conn:
                done = conn.execute(
                    sa.update(stalls)
                    .where(stalls.c.resource_uuid == resource_uuid, stalls.c.outcome.is_(None))
                    .values(outcome=outcome, closed_at=closed_at)).rowcount
                if done != 1:
                    return False
                if message is not None:
                    conn.execute(sa.insert(messages), writes.message_rows([message]))
        except sa_exc.IntegrityError:
            return False
        return True

    def forget(self, closed_before: datetime.datetime) -> int:
        """Delete stalls closed before then (their messages stay)."""
        with engines.database_errors(), self.engine.begin() as conn:
            return conn.execute(sa.delete(stalls).where(
                stalls.c.closed_at < closed_before)).rowcount


def parents(conn: sa.Connection, resources: Mapping[str, str], now: datetime.datetime,
            window: datetime.timedelta) -> dict[str, str]:
    """``{resource uuid: the stall's message id}`` for the resources of
    ``resources`` (uuid -> project) whose stall is open, or failed less than
    ``window`` ago, in the same project."""
    if not resources:
        return {}
    linkable = sa.or_(stalls.c.outcome.is_(None),
                      sa.and_(stalls.c.outcome == "failed", stalls.c.closed_at >= now - window))
    rows = conn.execute(sa.select(stalls.c.resource_uuid, stalls.c.project_id,
                                  stalls.c.message_id)
                        .where(stalls.c.resource_uuid.in_(list(resources)), linkable))
    return {r.resource_uuid: r.message_id for r in rows
            if resources.get(r.resource_uuid) == r.project_id}
