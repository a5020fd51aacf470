"""The collector's pipeline: a batch of deliveries in, one outcome each out.

Per message: decode, validate against the catalogue, render, filter. Per
batch: hand accepted messages to every dispatcher and rejections to the
quarantine, each in one call, holding the batch through outages. Only then
are outcomes returned, and only then may the intake acknowledge.

Nothing here knows which broker (or whether any) delivered the batch.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from oslo_config import cfg

from collector import envelope, quarantine, redelivery, reporting, trees, unmapped
from collector.catalogue import Catalogue
from collector.dispatcher import Dispatcher, Refusal
from collector.exceptions import InvalidNotification
from collector.fanout import Fanout
from collector.holding import Holder
from collector.mapping import OWN_TOPIC, Router
from collector.metrics import NOOP, Metrics
from collector.model import Inbound, Notification, Outcome, Rejection, UserMessage, utcnow
from collector.rules import RuleSet
from collector.sanitise import excerpt
from collector.validation import Validator

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.IntOpt(
        "max_notification_size",
        default=64 * 1024,
        min=1024,
        help="Largest notification body accepted, in bytes. Larger ones are "
        "rejected (code ``oversized``) without being parsed.",
    ),
    cfg.IntOpt(
        "rejected_body_max_bytes",
        default=16 * 1024,
        min=0,
        help="At most this many bytes of a rejected notification's raw body "
        "are kept in ``rejected_notifications`` (the original size is "
        "recorded too).",
    ),
    cfg.IntOpt(
        "max_delivery_attempts",
        default=5,
        min=1,
        help="A notification delivered again after the listener died while "
        "handling it (a crash, an OOM kill) is handled alone, with a durable "
        "attempt count. After this many attempts it is quarantined (code "
        "``poison``) without being handled again, so it can neither loop "
        "forever nor block the notifications behind it. Only the kombu "
        "intake sees redeliveries; with the oslo intake use a quorum queue "
        "with a delivery limit (docs/wire-format.md).",
    ),
    cfg.IntOpt(
        "stats_interval",
        default=60,
        min=0,
        help="Seconds between the INFO summaries each worker logs of what it "
        "stored, rejected, filtered and requeued (0 disables them). "
        "Individual messages are only logged at debug level.",
    ),
]



class EventTrees(Protocol):
    """Where parents' roots are looked up (``storage``)."""

    def roots(self, parents: Mapping[str, str]) -> dict[str, str]: ...


class StallLinks(Protocol):
    """Where stalled creates are looked up (``storage``)."""

    def stall_parents(self, resources: Mapping[str, str], now: datetime.datetime,
                      window: datetime.timedelta) -> dict[str, str]: ...


class MessageFilter(Protocol):
    def drops(self, message: UserMessage, notification: Notification) -> bool: ...


class Pipeline:
    """Decides and commits batches; safe to call from several threads."""

    def __init__(
        self,
        conf: cfg.ConfigOpts,
        catalogue: Catalogue,
        dispatchers: Sequence[Dispatcher],
        quarantine: redelivery.Quarantine,
        stop: threading.Event,
        filters: Sequence[MessageFilter] = (),
        clock: Callable[[], datetime.datetime] = utcnow,
        attempts: redelivery.AttemptLog | None = None,
        trees: EventTrees | None = None,
        rules: RuleSet | None = None,
        metrics: Metrics = NOOP,
        unmapped_log: unmapped.UnmappedLog | None = None,
        stalls: StallLinks | None = None,
        stall_window: datetime.timedelta = datetime.timedelta(0),
    ) -> None:
        group = conf.collector
        self.router = Router(rules if rules is not None else RuleSet([]))
        self.metrics = metrics
        self.attempts = attempts
        self.trees = trees
        self.stalls = stalls
        self.stall_window = stall_window
        self.max_attempts = group.max_delivery_attempts
        self.validator = Validator.from_conf(conf, catalogue)
        self.quarantine = quarantine
        self.filters = list(filters)
        self.holder = Holder(conf, stop, on_outage=metrics.outage)
        self.fanout = Fanout(dispatchers, self.holder)
        self.clock = clock
        self.max_size = group.max_notification_size
        self.body_cap = group.rejected_body_max_bytes
        self.stats_interval = group.stats_interval
        self._log_rejection = reporting.RejectionLog()
        self._lock = threading.Lock()
        self.stats = reporting.Stats(self.stats_interval)
        self.unmapped_log = unmapped_log
        self.tally = unmapped.Tally(self.body_cap)

    def set_catalogue(self, catalogue: Catalogue, rules: RuleSet | None = None) -> None:
        """Swap the catalogue and the rules checked against it (SIGHUP);
        batches in flight keep the old ones."""
        self.validator = Validator(catalogue, int(self.validator.ttl.total_seconds()),
                                   int(self.validator.skew.total_seconds()))
        if rules is not None:
            self.router = Router(rules)

    def process(
        self, batch: Sequence[Inbound], keepalive: Callable[[], None] | None = None
    ) -> list[Outcome]:
        """Decide and commit ``batch``; one outcome per delivery, in order.

        ``keepalive`` is called while a batch is held through an outage.
        """
        with self._lock:
            if self.attempts is not None and any(item.redelivered for item in batch):
                outcomes = redelivery.process(
                    batch, lambda items: self._process(items, keepalive),
                    attempts=self.attempts, quarantine=self.quarantine, holder=self.holder,
                    max_attempts=self.max_attempts, poison=self._poison, metrics=self.metrics,
                    keepalive=keepalive)
            else:
                outcomes = self._process(batch, keepalive)
            self.stats.count(outcomes)
            return outcomes

    def _poison(self, item: Inbound, count: int) -> Rejection:
        return self._rejection(
            item, None, "poison", f"delivered {count} times and the listener stopped each "
            "time while handling it; quarantined without being handled again", self.clock())

    def _process(self, batch: Sequence[Inbound], keepalive: Callable[[], None] | None
                 ) -> list[Outcome]:
        received_at = self.clock()
        validator, route = self.validator, self.router.route
        outcomes = [Outcome.STORED] * len(batch)
        accepted: list[tuple[int, UserMessage]] = []
        rejected: list[tuple[int, Rejection]] = []
        failures: list[Notification] = []  # ERRORs no rule maps: nobody tells users
        for i, item in enumerate(batch):
            n = None
            try:
                n = self._decode(item)
                routed = route(n)
                if routed is None:
                    if item.own_topic:
                        raise InvalidNotification("missing_field", OWN_TOPIC)
                    outcomes[i] = Outcome.IGNORED
                    if unmapped.is_failure(n):
                        failures.append(n)
                    if LOG.isEnabledFor(logging.DEBUG):
                        LOG.debug("Ignored %s (%s): no mapping rule applies", n.message_id,
                                  excerpt(n.event_type))
                    continue
                n = routed
                message = validator.accept(n, received_at)
            except InvalidNotification as exc:
                detail = exc.detail
                if n is not None and n.rule is not None:  # what the rule produced is bad
                    detail = f"rule {n.rule}: {detail}"
                rejected.append((i, self._rejection(item, n, exc.code, detail, received_at)))
                continue
            except Exception as exc:  # a bug or an input nobody foresaw: contain it
                LOG.exception("Pipeline error on a notification; it is quarantined")
                rejected.append((i, self._rejection(
                    item, n, "internal_error",
                    f"herald failed on it ({type(exc).__name__}); see the listener log",
                    received_at)))
                continue
            if self.filters and any(f.drops(message, n) for f in self.filters):
                outcomes[i] = Outcome.FILTERED
                continue
            accepted.append((i, message))

        self.holder.note_new_batch()
        started = time.monotonic()
        if not self._commit(batch, accepted, rejected, received_at, keepalive):
            self.metrics.batch(len(batch), None)
            self.metrics.outcomes([Outcome.RETRY] * len(batch), ())
            return [Outcome.RETRY] * len(batch)
        for i, r in rejected:
            outcomes[i] = Outcome.REJECTED
            self._log_rejection(r)
        self._report(batch, outcomes, accepted, rejected,
                     time.monotonic() - started if accepted or rejected else None)
        if failures:
            self._tally(failures)
        return outcomes

    def _tally(self, failures: list[Notification]) -> None:
        """Count what nobody explains; best effort, after the commit: a
        count must never hold the queue."""
        records = self.tally.batch(failures)
        self.metrics.unmapped([(r.event_type, r.service, r.count) for r in records])
        if self.unmapped_log is not None:
            try:
                self.unmapped_log.record_unmapped(records)
            except Exception as exc:
                LOG.warning("Could not record %d unmapped failure(s) (%s); they were counted "
                            "in the metrics only", len(failures), exc)

    def _commit(self, batch: Sequence[Inbound], accepted: list[tuple[int, UserMessage]],
                rejected: list[tuple[int, Rejection]], received_at: datetime.datetime,
                keepalive: Callable[[], None] | None) -> bool:
        """Make every outcome durable; False if held and given up (requeue)."""
        if accepted and not self._resolve_roots([m for _, m in accepted], keepalive):
            return False
        if accepted and not self._dispatch(batch, accepted, rejected, received_at, keepalive):
            return False
        if rejected:
            records = [r for _, r in rejected]
            return self.holder.run([("quarantine", lambda: self.quarantine.record(records))],
                                   keepalive)
        return True

    def _report(self, batch: Sequence[Inbound], outcomes: list[Outcome],
                accepted: list[tuple[int, UserMessage]], rejected: list[tuple[int, Rejection]],
                commit_seconds: float | None) -> None:
        metrics = self.metrics
        if metrics is NOOP:
            return
        metrics.batch(len(batch), commit_seconds)
        metrics.outcomes(outcomes, [r.code for _, r in rejected])
        if accepted:
            now = self.clock()
            metrics.ages([(now - m.created_at).total_seconds() for i, m in accepted
                          if outcomes[i] is Outcome.STORED])

    def _dispatch(self, batch: Sequence[Inbound], accepted: list[tuple[int, UserMessage]],
                  rejected: list[tuple[int, Rejection]], received_at: datetime.datetime,
                  keepalive: Callable[[], None] | None) -> bool:
        index = {id(m): i for i, m in accepted}

        def refused(d: Dispatcher, refusal: Refusal) -> None:
            i, m = index[id(refusal.message)], refusal.message
            rejected.append((i, self._rejection(
                batch[i], None, refusal.code, f"{d.name}: {refusal.detail}", received_at,
                message_id=m.message_id, event_id=m.event_id, project_id=m.project_id,
                publisher_id=m.publisher_id)))

        return self.fanout.dispatch([m for _, m in accepted], refused, keepalive)

    def _resolve_roots(self, messages: list[UserMessage],
                       keepalive: Callable[[], None] | None) -> bool:
        """Complete event trees; False if storage is down and we stop."""
        if self.stalls is not None and not self._join_stalls(messages, keepalive):
            return False
        asked = trees.to_look_up(messages)
        stored: dict[str, str] | None = {}
        if asked and self.trees is not None:
            lookup = self.trees
            done, stored = self.holder.call("event trees", lambda: lookup.roots(asked),
                                            keepalive)
            if not done:
                return False
        trees.resolve(messages, stored or {})
        return True

    def _join_stalls(self, messages: list[UserMessage],
                     keepalive: Callable[[], None] | None) -> bool:
        """A message about a resource whose create stalled (the outcome: a
        failure, usually) becomes a child of the owner's stall message, so
        that both read as one story. One look-up per batch, only for
        messages that name a resource and no parent."""
        ask = {m.resource_uuid: m.project_id for m in messages
               if m.resource_uuid is not None and m.parent_id is None}
        if not ask:
            return True
        links, now, window = self.stalls, self.clock(), self.stall_window
        assert links is not None
        done, found = self.holder.call(
            "stalls", lambda: links.stall_parents(ask, now, window), keepalive)
        if not done:
            return False
        for m in messages:
            stall = (found or {}).get(m.resource_uuid or "")
            if stall is not None and m.parent_id is None:
                # a stall message is always a root: the watcher writes it
                # with no parent
                m.parent_id, m.root_id = stall, stall
        return True

    def _decode(self, item: Inbound) -> Notification:
        if item.body is not None:
            return envelope.from_body(item.body, self.max_size)
        return envelope.from_oslo(item.decoded or {}, item.priority, self.max_size)

    def _rejection(self, item: Inbound, n: Notification | None, code: str, detail: str,
                   received_at: datetime.datetime, **known: str | None) -> Rejection:
        return quarantine.rejection(item, n, code, detail, received_at, self.body_cap, **known)
