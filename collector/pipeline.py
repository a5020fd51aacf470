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
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from oslo_config import cfg

from collector import envelope
from collector.catalogue import Catalogue
from collector.dispatcher import Dispatcher
from collector.exceptions import InvalidNotification
from collector.holding import Holder
from collector.model import Inbound, Notification, Outcome, Rejection, UserMessage, utcnow
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
        "stats_interval",
        default=60,
        min=0,
        help="Seconds between the INFO summaries each worker logs of what it "
        "stored, rejected, filtered and requeued (0 disables them). "
        "Individual messages are only logged at debug level.",
    ),
]

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,254}", re.ASCII)


class Quarantine(Protocol):
    """Where rejections are kept (``storage`` implements it)."""

    def record(self, rejections: Sequence[Rejection]) -> None:
        """Durably store ``rejections``; raise ``StorageUnavailable`` to retry."""


class MessageFilter(Protocol):
    def drops(self, message: UserMessage, notification: Notification) -> bool: ...


def _safe(value: Any) -> str | None:
    """Keep an identifier for the operator-only columns, else nothing."""
    return value if type(value) is str and _SAFE.fullmatch(value) else None


class _RateLimitedLog:
    """Log rejections individually up to a burst, then as a count."""

    def __init__(self, burst: int = 20, period: float = 60.0) -> None:
        self.burst, self.period = burst, period
        self.window_start, self.logged, self.suppressed = 0.0, 0, 0

    def __call__(self, r: Rejection) -> None:
        now = time.monotonic()
        if now - self.window_start >= self.period:
            if self.suppressed:
                LOG.warning("%d more rejected notifications were not logged one by one; "
                            "see 'herald-manage rejected list'", self.suppressed)
            self.window_start, self.logged, self.suppressed = now, 0, 0
        if self.logged < self.burst:
            self.logged += 1
            LOG.warning("Rejected notification %s (%s): %s", r.dedupe_key, r.code, r.detail)
        else:
            self.suppressed += 1


class Pipeline:
    """Decides and commits batches; safe to call from several threads."""

    def __init__(
        self,
        conf: cfg.ConfigOpts,
        catalogue: Catalogue,
        dispatchers: Sequence[Dispatcher],
        quarantine: Quarantine,
        stop: threading.Event,
        filters: Sequence[MessageFilter] = (),
        clock: Callable[[], datetime.datetime] = utcnow,
    ) -> None:
        group = conf.collector
        self.validator = Validator.from_conf(conf, catalogue)
        self.dispatchers = list(dispatchers)
        self.quarantine = quarantine
        self.filters = list(filters)
        self.holder = Holder(conf, stop)
        self.clock = clock
        self.max_size = group.max_notification_size
        self.body_cap = group.rejected_body_max_bytes
        self.stats_interval = group.stats_interval
        self._log_rejection = _RateLimitedLog()
        self._lock = threading.Lock()
        self.totals = dict.fromkeys(Outcome, 0)
        self._window = dict.fromkeys(Outcome, 0)
        self._window_start = time.monotonic()

    def set_catalogue(self, catalogue: Catalogue) -> None:
        """Swap the catalogue (SIGHUP); batches in flight keep the old one."""
        self.validator = Validator(catalogue, int(self.validator.ttl.total_seconds()),
                                   int(self.validator.skew.total_seconds()))

    def process(
        self, batch: Sequence[Inbound], keepalive: Callable[[], None] | None = None
    ) -> list[Outcome]:
        """Decide and commit ``batch``; one outcome per delivery, in order.

        ``keepalive`` is called while a batch is held through an outage.
        """
        with self._lock:
            outcomes = self._process(batch, keepalive)
            self._count(outcomes)
            return outcomes

    def _process(self, batch: Sequence[Inbound], keepalive: Callable[[], None] | None
                 ) -> list[Outcome]:
        received_at = self.clock()
        validator = self.validator
        outcomes = [Outcome.STORED] * len(batch)
        accepted: list[tuple[int, UserMessage]] = []
        rejected: list[tuple[int, Rejection]] = []
        for i, item in enumerate(batch):
            n = None
            try:
                n = self._decode(item)
                message = validator.accept(n, received_at)
            except InvalidNotification as exc:
                rejected.append((i, self._rejection(item, n, exc.code, exc.detail, received_at)))
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
        if accepted and not self._dispatch(batch, accepted, rejected, received_at, keepalive):
            return [Outcome.RETRY] * len(batch)
        if rejected:
            records = [r for _, r in rejected]
            if not self.holder.run([("quarantine", lambda: self.quarantine.record(records))],
                                   keepalive):
                return [Outcome.RETRY] * len(batch)
            for i, r in rejected:
                outcomes[i] = Outcome.REJECTED
                self._log_rejection(r)
        return outcomes

    def _dispatch(self, batch: Sequence[Inbound], accepted: list[tuple[int, UserMessage]],
                  rejected: list[tuple[int, Rejection]], received_at: datetime.datetime,
                  keepalive: Callable[[], None] | None) -> bool:
        messages = [m for _, m in accepted]
        index = {id(m): i for i, m in accepted}

        def step_for(d: Dispatcher) -> Callable[[], None]:
            def step() -> None:
                for refusal in d.dump(messages) or ():
                    i = index[id(refusal.message)]
                    m = refusal.message
                    rejected.append((i, self._rejection(
                        batch[i], None, "dispatcher_refused", f"{d.name}: {refusal.detail}",
                        received_at, message_id=m.message_id, event_id=m.event_id,
                        project_id=m.project_id, publisher_id=m.publisher_id)))
            return step

        return self.holder.run([(f"dispatcher {d.name}", step_for(d)) for d in self.dispatchers],
                               keepalive)

    def _decode(self, item: Inbound) -> Notification:
        if item.body is not None:
            return envelope.from_body(item.body, self.max_size)
        return envelope.from_oslo(item.decoded or {}, item.priority, self.max_size)

    def _rejection(self, item: Inbound, n: Notification | None, code: str, detail: str,
                   received_at: datetime.datetime, **known: str | None) -> Rejection:
        raw = (envelope.body_bytes(item.body) if item.body is not None
               else envelope.encode_oslo(item.decoded or {}))
        payload = n.payload if n is not None and type(n.payload) is dict else {}
        context = n.context if n is not None else {}
        message_id = known.get("message_id") or (n.message_id if n is not None else None)
        return Rejection(
            dedupe_key=message_id or envelope.body_key(raw),
            code=code,
            detail=detail,
            message_id=message_id,
            event_id=known.get("event_id") or _safe(payload.get("event_id")),
            project_id=known.get("project_id") or _safe(
                payload.get("project_id") or context.get("project_id") or context.get("tenant")),
            publisher_id=known.get("publisher_id") or _safe(n.publisher_id if n else None),
            event_type=_safe(n.event_type if n else None),
            received_at=received_at,
            raw_body=raw[: self.body_cap],
            raw_size=len(raw),
        )

    def _count(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            self._window[o] += 1
            self.totals[o] += 1
        if self.stats_interval and time.monotonic() - self._window_start >= self.stats_interval:
            w = self._window
            LOG.info("Last %.0f s: %d stored, %d rejected, %d filtered, %d requeued",
                     time.monotonic() - self._window_start, w[Outcome.STORED],
                     w[Outcome.REJECTED], w[Outcome.FILTERED], w[Outcome.RETRY])
            self._window = dict.fromkeys(Outcome, 0)
            self._window_start = time.monotonic()
