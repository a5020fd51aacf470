"""Provisioning steps (Sahara's event log), kept current from notifications.

A step is identified by (project, resource, step type, step name) and
updated with arithmetic that does not depend on arrival order, so several
workers, redeliveries and out-of-order reports all converge: progress only
grows (GREATEST), the start only moves earlier (LEAST), a failure sticks,
and completion is recorded once.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg

from collector.model import UserMessage, utcnow
from collector.validation import new_id
from storage import reads, upsert
from storage.base import ReapResult
from storage.tables import messages
from storage.tables import provision_steps as t

OPTS = [
    cfg.BoolOpt("record_progress", default=True,
                help="Keep provision_steps current from the step reports notifications "
                "carry (a step's events then reference it). Off: reports are ignored "
                "(messages are still stored)."),
    cfg.IntOpt("step_events_ttl", default=3600, min=-1,
               help="Seconds after a step completed successfully before the reaper "
               "deletes its events (not its error events, not the step with its "
               "duration). -1 keeps them until they expire."),
]
KEY = ("project_id", "resource_uuid", "step_type", "step_name")


def _merge(dialect: str, values: dict[str, Any]) -> sa.Insert:
    big, small = upsert.greatest(dialect), upsert.least(dialect)
    return upsert.upsert(dialect, t, values, KEY, lambda new: {
        "completed": big(t.c.completed, new.completed),
        "total": big(t.c.total, new.total),
        # once false, false; else true once reported true
        "successful": sa.case((sa.or_(t.c.successful.is_(False), new.successful.is_(False)),
                               sa.false()),
                              else_=sa.func.coalesce(t.c.successful, new.successful)),
        "started_at": small(t.c.started_at, new.started_at),
        "completed_at": sa.func.coalesce(t.c.completed_at, new.completed_at),
        "updated_at": big(t.c.updated_at, new.updated_at),
    })


def record(conn: sa.Connection, batch: Sequence[UserMessage]) -> None:
    """Upsert every reported step; set each message's step_id."""
    now = utcnow()
    for m in batch:
        if m.step is None:
            continue
        s = m.step
        done = s.successful is not None or s.completed >= s.total
        conn.execute(_merge(conn.dialect.name, {
            "id": new_id(), "project_id": m.project_id, "resource_uuid": m.resource_uuid,
            "step_type": s.type, "step_name": s.name, "completed": s.completed,
            "total": s.total, "successful": s.successful, "started_at": m.created_at,
            "completed_at": m.created_at if done else None, "updated_at": now}))
        m.step_id = conn.execute(sa.select(t.c.id).where(
            t.c.project_id == m.project_id, t.c.resource_uuid == m.resource_uuid,
            t.c.step_type == s.type, t.c.step_name == s.name)).scalar_one()


def list_steps(conn: sa.Connection, project_id: str, resource_uuid: str) -> list[dict[str, Any]]:
    """One project's steps of one resource, in the order they started."""
    reads.require_project(project_id)
    rows = conn.execute(sa.select(t).where(t.c.project_id == project_id,
                                           t.c.resource_uuid == resource_uuid)
                        .order_by(t.c.started_at, t.c.id))
    return [dict(r._mapping) for r in rows]


def reap_events(engine: sa.Engine, cutoff: datetime.datetime, batch_size: int) -> ReapResult:
    """Delete non-error events of steps that succeeded before ``cutoff``."""
    result = ReapResult()
    done = sa.select(t.c.id).where(t.c.successful.is_(True), t.c.completed_at < cutoff)
    pick = (sa.select(messages.c.id)
            .where(messages.c.step_id.in_(done), messages.c.message_level != "ERROR")
            .limit(batch_size))
    while True:
        with engine.begin() as conn:
            ids = list(conn.execute(pick).scalars())
            if ids:
                conn.execute(sa.delete(messages).where(messages.c.id.in_(ids)))
        result.deleted += len(ids)
        result.transactions += 1 if ids else 0
        if len(ids) < batch_size:
            return result
