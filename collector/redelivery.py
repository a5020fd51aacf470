"""Redelivered notifications: each handled alone, behind a durable count.

A redelivery comes back after a crash (or a requeue). Each is handled
alone, between a durable attempt count and its removal: if one of them
kills the listener, only its own count is left raised, and after
``max_delivery_attempts`` it is quarantined (code ``poison``) without being
decoded or handled again. Outages do not count: the count is removed
whenever handling ends, whatever the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

from collector import envelope
from collector.holding import Holder
from collector.metrics import Metrics
from collector.model import Inbound, Outcome, Rejection
from collector.quarantine import raw_body

LOG = logging.getLogger("collector.pipeline")

Handle = Callable[[Sequence[Inbound]], list[Outcome]]


class AttemptLog(Protocol):
    """Durable attempt counts for redelivered notifications (``storage``)."""

    def begin_attempt(self, key: str) -> int: ...

    def end_attempt(self, key: str) -> None: ...


class Quarantine(Protocol):
    """Where rejections are kept (``storage`` implements it)."""

    def record(self, rejections: Sequence[Rejection]) -> None:
        """Durably store ``rejections``; raise ``StorageUnavailable`` to retry."""


def process(batch: Sequence[Inbound], handle: Handle, *, attempts: AttemptLog,
            quarantine: Quarantine, holder: Holder, max_attempts: int,
            poison: Callable[[Inbound, int], Rejection], metrics: Metrics,
            keepalive: Callable[[], None] | None) -> list[Outcome]:
    """One outcome per delivery: fresh ones handled together by ``handle``,
    redelivered ones one by one; ``poison(item, count)`` builds the
    rejection of one delivered ``count`` times."""
    outcomes: list[Outcome] = [Outcome.RETRY] * len(batch)
    fresh = [i for i, item in enumerate(batch) if not item.redelivered]
    for i, outcome in zip(fresh, handle([batch[i] for i in fresh])):
        outcomes[i] = outcome
    for i, item in enumerate(batch):
        if not item.redelivered:
            continue
        key = envelope.body_key(raw_body(item))
        done, count = holder.call("delivery attempts", partial(attempts.begin_attempt, key),
                                  keepalive)
        if not done or count is None:
            break  # storage is down and we are stopping: the rest is requeued
        if count > max_attempts:
            rejection = poison(item, count)
            LOG.error("Notification %s killed the listener %d times: quarantined as poison",
                      rejection.dedupe_key, count - 1)
            recorded = holder.run([("quarantine", partial(quarantine.record, [rejection]))],
                                  keepalive)
            outcomes[i] = Outcome.REJECTED if recorded else Outcome.RETRY
            metrics.outcomes([outcomes[i]], ["poison"] if recorded else [])
        else:
            outcomes[i] = handle([item])[0]
        holder.run([("delivery attempts", partial(attempts.end_attempt, key))], keepalive)
    return outcomes
