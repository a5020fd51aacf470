"""The SQLAlchemy back end: SQLite, PostgreSQL and MariaDB/MySQL."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from collector.dispatcher import Refusal
from collector.exceptions import SchemaOutOfDate
from collector.model import Rejection, Unmapped, UserMessage, utcnow
from storage import (
    attempts,
    bulk,
    duplicates,
    folding,
    migration,
    outages,
    progress,
    reads,
    reaper,
    stalls,
    trees,
    unmapped,
    upsert,
    watched,
    writes,
)
from storage import engine as engines
from storage.base import Connection, ReapResult
from storage.tables import (
    delivery_attempts,
    folded_notifications,
    messages,
    provision_steps,
    rejected_notifications,
    unmapped_notifications,
)

LOG = logging.getLogger(__name__)


class SQLConnection(Connection):
    def __init__(self, conf: cfg.ConfigOpts, url: str, create: bool = False) -> None:
        super().__init__(conf, url, create)
        self.engine = engines.create_engine(url, conf.database.statement_timeout, create)
        dialect = self.engine.dialect.name
        self._insert_messages = upsert.insert_ignoring(dialect, messages, "message_id")
        self._insert_rejections = upsert.insert_ignoring(
            dialect, rejected_notifications, "dedupe_key")
        self._bulk = bulk.for_engine(self.engine, writes.MESSAGE_COLUMNS)
        self._url = url
        self._reader_engine: sa.Engine | None = None
        self._statements = reads.Statements()

    @property
    def _reader(self) -> sa.Engine:
        """Users' reads: a pool of autocommit connections (made on first
        use), so that a read costs no BEGIN and no ROLLBACK round trip: a
        read API's request is one round trip, two with a marker."""
        if self._reader_engine is None:
            self._reader_engine = engines.create_engine(
                self._url, self.conf.database.statement_timeout, autocommit=True)
        return self._reader_engine

    def wait_until_ready(self, stop: Callable[[float], bool]) -> bool:
        interval = self.conf.database.connect_retry_interval
        while True:
            if not engines.wait_for(self.engine, interval, stop):
                return False
            try:
                migration.check(self.engine)
                if self._bulk is not None and not self._bulk.usable(self.engine):
                    LOG.warning("This database role may not create temporary tables: "
                                "inserting with executemany instead of %s (slower)",
                                self._bulk.name)
                    self._bulk = None
                LOG.info("Database driver %s, write path %s",
                         self.engine.url.drivername,
                         self._bulk.name if self._bulk else "executemany (SQLAlchemy)")
                return True
            except SchemaOutOfDate as exc:
                LOG.error("%s; checking again in 30 s", exc)
            except sa_exc.SQLAlchemyError as exc:
                LOG.warning("Cannot read the schema revision: %s", engines.unavailable(exc))
            if stop(30.0):
                return False

    def upgrade(self) -> None:
        migration.upgrade(self.engine)

    def schema_revision(self) -> str | None:
        with engines.database_errors():
            return migration.current(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self._reader_engine is not None:
            self._reader_engine.dispose()

    # -- writes ---------------------------------------------------------------
    def insert_messages(self, batch: Sequence[UserMessage]) -> list[Refusal]:
        if not batch:
            return []
        batch, refusals = duplicates.split_batch(batch)

        def refused(i: int, exc: BaseException) -> None:
            orig = getattr(exc, "orig", exc)
            LOG.error("Database refused message %s: %s", batch[i].message_id,
                      str(orig).splitlines()[0][:300] if str(orig) else type(orig).__name__)
            refusals.append(Refusal(batch[i], f"database refused the row "
                                              f"({type(exc).__name__}: {type(orig).__name__})"))

        if self.conf.storage.record_progress and any(m.step for m in batch):
            # idempotent: a retry converges on the same steps
            with engines.database_errors(), self.engine.begin() as conn:
                progress.record(conn, batch)
        window = self.conf.storage.fold_window
        if window > 0:
            refusals += self._fold(batch, datetime.timedelta(seconds=window))
            self._fix_roots(batch)
            return refusals
        fast = self._bulk
        before = len(refusals)  # refusals from here on are row errors
        inserted = writes.execute_batch(
            self.engine, self._insert_messages, lambda: writes.message_rows(batch), refused,
            fast=None if fast is None else (lambda conn: fast.insert(conn, batch)))
        if inserted is None or inserted < len(batch) - (len(refusals) - before):
            # some message_ids were known: redeliveries, or a publisher reusing one
            with engines.database_errors(), self.engine.connect() as conn:
                refusals += duplicates.conflicts(conn, batch)
        self._fix_roots(batch)
        return refusals

    def _fix_roots(self, batch: Sequence[UserMessage]) -> None:
        """After the insert committed (storage.trees explains why after)."""
        if any(m.parent_id is not None for m in batch):
            with engines.database_errors(), self.engine.begin() as conn:
                trees.fix_roots(conn, batch)

    def stall_store(self) -> stalls.StallStore:
        return stalls.StallStore(self.engine)

    def stall_parents(self, resources: Mapping[str, str], now: datetime.datetime,
                      window: datetime.timedelta) -> dict[str, str]:
        if not resources:
            return {}
        with engines.database_errors(), self.engine.connect() as conn:
            return stalls.parents(conn, resources, now, window)

    def roots(self, parents: Mapping[str, str]) -> dict[str, str]:
        if not parents:
            return {}
        with engines.database_errors(), self.engine.connect() as conn:
            rows = conn.execute(sa.select(messages.c.id, messages.c.project_id,
                                          messages.c.root_id)
                                .where(messages.c.id.in_(list(parents))))
            return {r.id: r.root_id or r.id for r in rows
                    if parents.get(r.id) == r.project_id}

    def _fold(self, batch: Sequence[UserMessage], window: datetime.timedelta) -> list[Refusal]:
        """The repeats path: one transaction per batch, a row error isolated
        by retrying its messages one transaction each."""
        try:
            with engines.environment_errors(), self.engine.begin() as conn:
                folded = folding.fold(conn, batch, window)
            self.metrics.folded(folded)
            return []
        except sa_exc.SQLAlchemyError:  # a row error: find the row(s) at fault
            pass
        refusals = []
        for m in batch:
            try:
                with engines.environment_errors(), self.engine.begin() as conn:
                    self.metrics.folded(folding.fold(conn, [m], window))
            except sa_exc.SQLAlchemyError as exc:
                refusals.append(Refusal(m, f"database refused the row ({type(exc).__name__})"))
        return refusals

    def reap_folded(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        return reaper.reap(self.engine, folded_notifications,
                           folded_notifications.c.received_at, older_than, batch_size)

    def record(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        rows = writes.rejection_rows(rejections)

        def refused(i: int, exc: BaseException) -> None:
            # A rejection row only holds bounded text and bytes; if even
            # that is refused, keep the reason and drop the body.
            LOG.error("Database refused rejection %s (%s); storing it without its body",
                      rows[i]["dedupe_key"], type(getattr(exc, "orig", exc)).__name__)
            with engines.database_errors(), self.engine.begin() as conn:
                conn.execute(self._insert_rejections, [dict(rows[i], raw_body=None)])

        writes.execute_batch(self.engine, self._insert_rejections, lambda: rows, refused)

    def record_unmapped(self, records: Sequence[Unmapped]) -> None:
        with engines.database_errors(), self.engine.begin() as conn:
            unmapped.record(conn, self.engine.dialect.name, records)

    def open_broker_outage(self, since: datetime.datetime, node: str) -> bool:
        with engines.database_errors(), self.engine.begin() as conn:
            return outages.open_outage(conn, self.engine.dialect.name, since, node)

    def close_broker_outage(self, now: datetime.datetime, node: str) -> bool:
        with engines.database_errors(), self.engine.begin() as conn:
            return outages.close_outage(conn, now, node)

    def broker_outage(self) -> dict[str, Any] | None:
        with engines.database_errors(), self._reader.connect() as conn:
            return outages.current(conn)

    def list_broker_outages(self, limit: int = 20) -> list[dict[str, Any]]:
        with engines.database_errors(), self._reader.connect() as conn:
            return outages.history(conn, limit)

    def begin_attempt(self, key: str) -> int:
        with engines.database_errors(), self.engine.begin() as conn:
            return attempts.begin(conn, key, utcnow())

    def end_attempt(self, key: str) -> None:
        with engines.database_errors(), self.engine.begin() as conn:
            attempts.end(conn, key)

    # -- reads ------------------------------------------------------------------
    def list_messages(self, project_id: str, *, limit: int = 50, marker: str | None = None,
                      newest_first: bool = True, since: datetime.datetime | None = None,
                      before: datetime.datetime | None = None, sort_key: str = "created_at",
                      offset: int = 0, **filters: str) -> list[dict[str, Any]]:
        reads.require_project(project_id)
        return self._page(project_id, reads.Page(
            limit=limit, marker=marker, sort_key=sort_key, ascending=not newest_first,
            offset=offset, since=since, before=before, filters=filters))

    def get_message(self, project_id: str, message_id: str) -> dict[str, Any] | None:
        reads.require_project(project_id)
        with engines.database_errors(), self._reader.connect() as conn:
            return reads.get_message(conn, project_id, message_id, utcnow(), self._statements)

    def delete_message(self, project_id: str, message_id: str) -> bool:
        reads.require_project(project_id)
        with engines.database_errors(), self.engine.begin() as conn:
            return reads.delete_message(conn, project_id, message_id)

    def list_messages_of_all_projects(
            self, *, limit: int = 50, marker: str | None = None, newest_first: bool = True,
            since: datetime.datetime | None = None, before: datetime.datetime | None = None,
            sort_key: str = "created_at", offset: int = 0, **filters: str
    ) -> list[dict[str, Any]]:
        return self._page(None, reads.Page(
            limit=limit, marker=marker, sort_key=sort_key, ascending=not newest_first,
            offset=offset, since=since, before=before, filters=filters))

    def _page(self, project_id: str | None, page: reads.Page) -> list[dict[str, Any]]:
        with engines.database_errors(), self._reader.connect() as conn:
            return reads.list_messages(conn, project_id, utcnow(), page, self._statements)

    def get_message_of_any_project(self, message_id: str) -> dict[str, Any] | None:
        with engines.database_errors(), self._reader.connect() as conn:
            return reads.get_message(conn, None, message_id, utcnow(), self._statements)

    def delete_message_of_any_project(self, message_id: str) -> bool:
        with engines.database_errors(), self.engine.begin() as conn:
            return reads.delete_message(conn, None, message_id)

    def list_rejected(self, *, limit: int = 50, code: str | None = None,
                      with_body: bool = False) -> list[dict[str, Any]]:
        with engines.database_errors(), self.engine.connect() as conn:
            return reads.list_rejected(conn, limit=limit, code=code, with_body=with_body)

    def list_unmapped(self, *, limit: int = 50, with_sample: bool = False,
                      event_type: str | None = None) -> list[dict[str, Any]]:
        with engines.database_errors(), self.engine.connect() as conn:
            return unmapped.listing(conn, limit, with_sample, event_type)

    # -- the watch -----------------------------------------------------------------
    def watch_queues(self, queues: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        with engines.database_errors(), self.engine.begin() as conn:
            watched.ensure(conn, queues, utcnow())
            return watched.states(conn)

    def record_readings(self, readings: Mapping[str, tuple[int, int] | None]) -> None:
        now = utcnow()
        with engines.database_errors(), self.engine.begin() as conn:
            for queue in sorted(readings):  # a fixed order: nodes never deadlock
                r = readings[queue]
                watched.record_reading(conn, queue, None if r is None else r[0],
                                       None if r is None else r[1], now)

    def claim_transition(self, queue: str, expected: str, state: str,
                         since: datetime.datetime | None, message: UserMessage) -> bool:
        with engines.database_errors(), self.engine.begin() as conn:
            return watched.claim(conn, queue, expected, state, since, message, utcnow())

    def list_watched(self) -> list[dict[str, Any]]:
        with engines.database_errors(), self.engine.connect() as conn:
            return watched.listing(conn)

    def forget_watched(self, queue: str) -> bool:
        with engines.database_errors(), self.engine.begin() as conn:
            return watched.forget(conn, queue)

    # -- reaping ------------------------------------------------------------------
    def reap_messages(self, now: datetime.datetime, batch_size: int) -> ReapResult:
        window = self.conf.storage.fold_window
        # a row still accepting repeats is never reaped (its expiry moves
        # with each repeat, but a fold window may outlast the message TTL)
        folding_now = None if window <= 0 else sa.and_(
            messages.c.fold_key.is_not(None),
            messages.c.last_seen_at >= now - datetime.timedelta(seconds=window))
        return reaper.reap(self.engine, messages, messages.c.expires_at, now, batch_size,
                           unless=folding_now)

    def reap_rejected(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        return reaper.reap(self.engine, rejected_notifications,
                           rejected_notifications.c.received_at, older_than, batch_size)

    def reap_unmapped(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        return reaper.reap(self.engine, unmapped_notifications,
                           unmapped_notifications.c.last_seen, older_than, batch_size)

    def list_steps(self, project_id: str, resource_uuid: str) -> list[dict[str, Any]]:
        with engines.database_errors(), self._reader.connect() as conn:
            return progress.list_steps(conn, project_id, resource_uuid)

    def reap_step_events(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        return progress.reap_events(self.engine, older_than, batch_size)

    def reap_steps(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        return reaper.reap(self.engine, provision_steps, provision_steps.c.updated_at,
                           older_than, batch_size)

    def reap_attempts(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        return reaper.reap(self.engine, delivery_attempts,
                           delivery_attempts.c.last_attempt_at, older_than, batch_size)
