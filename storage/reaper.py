"""Delete expired rows in small transactions, safely from several nodes.

Each transaction selects at most ``batch_size`` ids by the indexed time
column (``FOR UPDATE SKIP LOCKED`` on PostgreSQL and MariaDB/MySQL, so two
reapers take different rows instead of waiting on each other), deletes
them and commits. Short transactions keep inserts flowing meanwhile.

:func:`run_forever` is the reaper process's loop: a pass that fails (the
database failed over under it) is retried soon, with back-off, on new
connections, instead of a whole ``message_reap_interval`` later.
"""

from __future__ import annotations

import datetime
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from collector.metrics import NOOP, Metrics
from collector.model import utcnow
from storage.base import Connection, ReapResult

LOG = logging.getLogger(__name__)
DEADLOCK_RETRIES = 5

OPTS = [
    cfg.IntOpt(
        "message_reap_interval",
        default=86400,
        min=-1,
        help="Seconds between two runs of the reaper inside herald-listener "
        "(expired messages and old rejections). -1 never runs it (use "
        "``herald-manage messages reap`` from cron instead). Running it on "
        "many nodes is safe but useless: one or two are enough.",
    ),
    cfg.FloatOpt(
        "reap_retry_initial",
        default=1.0,
        min=0.1,
        help="Seconds before the reaper retries a pass that failed (the "
        "database was unreachable or failed over); doubled after each "
        "failure up to ``reap_retry_max``. A success goes back to "
        "``message_reap_interval``.",
    ),
    cfg.FloatOpt(
        "reap_retry_max",
        default=60.0,
        min=0.1,
        help="Longest wait, in seconds, between two retries of a failed "
        "reaper pass (never longer than ``message_reap_interval``).",
    ),
    cfg.IntOpt(
        "message_reap_batch_size",
        default=1000,
        min=1,
        help="Rows deleted per transaction by the reaper: smaller keeps "
        "each transaction (and its locks) short, larger reaps faster.",
    ),
    cfg.IntOpt(
        "rejected_ttl",
        default=30 * 86400,
        min=3600,
        help="Seconds a rejected notification is kept in "
        "``rejected_notifications`` before the reaper deletes it; also how "
        "long a kind of unmapped ERROR notification (``herald-manage mapping "
        "unmapped``) is remembered after it was last seen.",
    ),
]


def _delete_batch(engine: sa.Engine, table: sa.Table, pick: sa.Select[tuple[Any]],
                  key: sa.Column[Any], isolation: str | None) -> list[Any]:
    """One transaction; a lost lock race (deadlock, lock wait) is retried."""
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            with engine.connect() as conn, conn.begin():
                if isolation:
                    # for this transaction only, as a statement: an error
                    # here is seen by storage.failover like any other, and
                    # no session setting is left to reset on the way back
                    conn.execute(sa.text(f"SET TRANSACTION ISOLATION LEVEL {isolation}"))
                # as the key's type: rejected_notifications' ids are integers
                ids = list(conn.execute(pick).scalars())
                if ids:
                    conn.execute(sa.delete(table).where(key.in_(ids)))
            return ids
        except sa_exc.OperationalError as exc:
            if attempt == DEADLOCK_RETRIES or not _lost_lock_race(exc):
                raise
            LOG.debug("Reaper transaction lost a lock race (attempt %d): %s", attempt, exc.orig)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _lost_lock_race(exc: sa_exc.OperationalError) -> bool:
    code = getattr(exc.orig, "args", (None,))[0]
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return code in (1205, 1213) or sqlstate in ("40001", "40P01", "55P03")


def reap(engine: sa.Engine, table: sa.Table, column: sa.Column[datetime.datetime],
         cutoff: datetime.datetime, batch_size: int,
         unless: sa.ColumnElement[bool] | None = None) -> ReapResult:
    """Delete rows whose ``column`` is before ``cutoff`` (and that ``unless``
    does not protect), batch by batch."""
    result = ReapResult()
    dialect = engine.dialect.name
    (key,) = table.primary_key.columns
    condition = column < cutoff if unless is None else sa.and_(column < cutoff, ~unless)
    pick = sa.select(key).where(condition).order_by(column).limit(batch_size)
    if dialect in ("postgresql", "mysql", "mariadb"):
        pick = pick.with_for_update(skip_locked=True)
    # InnoDB's default REPEATABLE READ adds gap locks that make two reapers
    # deadlock even on disjoint rows; READ COMMITTED takes record locks only.
    isolation = "READ COMMITTED" if dialect in ("mysql", "mariadb") else None
    while True:
        started = time.monotonic()
        ids = _delete_batch(engine, table, pick, key, isolation)
        elapsed = time.monotonic() - started
        if not ids:
            break
        result.deleted += len(ids)
        result.transactions += 1
        result.longest_transaction = max(result.longest_transaction, elapsed)
        if len(ids) < batch_size:
            break
    if result.deleted:
        LOG.info("Reaped %d rows from %s in %d transactions (longest %.3f s)",
                 result.deleted, table.name, result.transactions, result.longest_transaction)
    return result


#: what one pass reaps, in order, and how each kind is named in reports
KINDS = ("messages", "step_events", "rejected", "attempts", "steps", "folded", "unmapped")


def run_once(store: Connection, conf: cfg.ConfigOpts, now: datetime.datetime | None = None,
             metrics: Metrics = NOOP) -> dict[str, ReapResult]:
    """One reaper pass; what was deleted, by kind (:data:`KINDS`):

    ``messages`` that expired; ``step_events``, the non-error events of
    steps that succeeded ``step_events_ttl`` ago; ``rejected`` notifications
    past ``rejected_ttl``; delivery ``attempts`` a crash left behind a day
    ago; ``steps`` and the memory of ``folded`` notifications past the
    message TTL (a step outlives its events; a redelivery is not older);
    kinds of ``unmapped`` failures not seen for ``rejected_ttl``.
    """
    now = now or utcnow()
    batch = conf.storage.message_reap_batch_size
    ttl_ago = now - datetime.timedelta(seconds=conf.collector.message_ttl)
    runs: dict[str, Callable[[], ReapResult]] = {
        "messages": lambda: store.reap_messages(now, batch),
        "step_events": lambda: store.reap_step_events(
            now - datetime.timedelta(seconds=conf.storage.step_events_ttl), batch),
        "rejected": lambda: store.reap_rejected(
            now - datetime.timedelta(seconds=conf.storage.rejected_ttl), batch),
        "attempts": lambda: store.reap_attempts(now - datetime.timedelta(days=1), batch),
        "steps": lambda: store.reap_steps(ttl_ago, batch),
        "folded": lambda: store.reap_folded(ttl_ago, batch),
        "unmapped": lambda: store.reap_unmapped(
            now - datetime.timedelta(seconds=conf.storage.rejected_ttl), batch),
    }
    if conf.storage.step_events_ttl < 0:
        del runs["step_events"]
    results = {}
    for kind, run in runs.items():
        results[kind] = run()
        metrics.reaped(kind, results[kind].deleted, time.time())
    return results


class Backoff:
    """The reaper's next wait: the interval after a success; after a
    failure, ``initial`` doubling up to ``ceiling`` (each capped by the
    interval, so a failure never waits longer than a success)."""

    def __init__(self, interval: float, initial: float, ceiling: float) -> None:
        self.interval = interval
        self.initial = min(initial, interval)
        self.ceiling = min(ceiling, interval)
        self.failures = 0

    def succeeded(self) -> float:
        self.failures = 0
        return self.interval

    def failed(self) -> float:
        self.failures += 1
        return min(self.initial * 2 ** (self.failures - 1), self.ceiling)


def run_forever(store: Connection, conf: cfg.ConfigOpts, stop: Callable[[float], bool],
                metrics: Metrics = NOOP) -> None:
    """Reap every ``message_reap_interval`` until ``stop(seconds)`` (a
    ``threading.Event.wait``) says to stop.

    A failed pass is retried after :class:`Backoff`'s wait, on new
    connections: the store drops its pool first, so a connection to a
    database node that died or left its cluster is never reused.
    """
    interval = float(conf.storage.message_reap_interval)
    backoff = Backoff(interval, conf.storage.reap_retry_initial, conf.storage.reap_retry_max)
    # nodes started together should not all reap at the same moment
    wait = random.uniform(1.0, min(interval, 60.0))
    while not stop(wait):
        try:
            run_once(store, conf, metrics=metrics)
        except Exception as exc:
            wait = backoff.failed()
            LOG.warning("Reaping failed (%s failure in a row): %s; next attempt in %.1f s "
                        "on a new connection", _ordinal(backoff.failures), exc, wait,
                        exc_info=backoff.failures == 1)
            store.close()
            continue
        if backoff.failures:
            LOG.info("Reaping works again after %d failed attempts", backoff.failures)
        wait = backoff.succeeded()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
