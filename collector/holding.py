"""Hold a batch while its destination is down, instead of dropping it.

When storage or a dispatcher fails transiently, the batch in hand stays
unacknowledged and its remaining commit steps are retried with back-off.
Steps that already succeeded are not repeated, so a dispatcher never writes
a batch twice because another one failed. The intake's ``keepalive`` runs
between retries (a broker connection must keep reading frames to keep its
heartbeats), and a stop request ends the hold at once: the batch is then
requeued, never acknowledged.

An outage is logged once when it starts, as a reminder while it lasts, and
once when it ends -- not once per message or per retry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from oslo_config import cfg

from collector.exceptions import DispatchError, StorageUnavailable

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.FloatOpt(
        "retry_interval",
        default=0.5,
        min=0.01,
        help="Seconds before the first retry of a batch whose storage or "
        "dispatcher failed transiently; doubled after each failure up to "
        "``retry_max_interval``.",
    ),
    cfg.FloatOpt(
        "retry_max_interval",
        default=5.0,
        min=0.01,
        help="Longest wait between two retries of a held batch.",
    ),
    cfg.IntOpt(
        "hold_timeout",
        default=600,
        min=1,
        help="Seconds a batch is held (unacknowledged, retried) during an "
        "outage before it is requeued to the broker. Keep it below "
        "RabbitMQ's ``consumer_timeout`` (30 minutes by default), which "
        "closes channels holding deliveries longer.",
    ),
    cfg.IntOpt(
        "outage_reminder_interval",
        default=300,
        min=1,
        help="While an outage lasts, log a reminder this often (seconds).",
    ),
]

TRANSIENT = (StorageUnavailable, DispatchError)

Step = Callable[[], None]
T = TypeVar("T")


class Holder:
    """Runs commit steps until each has succeeded once, or gives up."""

    def __init__(
        self,
        conf: cfg.ConfigOpts,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
        on_outage: Callable[[bool], None] = lambda held: None,
    ) -> None:
        group = conf.collector
        self.on_outage = on_outage
        self.initial = group.retry_interval
        self.maximum = max(group.retry_max_interval, group.retry_interval)
        self.hold_timeout = group.hold_timeout
        self.reminder = group.outage_reminder_interval
        self.stop = stop
        self.clock = clock
        self._outage_since: float | None = None
        self._last_log = 0.0
        self._held_batches = 0

    @property
    def in_outage(self) -> bool:
        return self._outage_since is not None

    def run(self, steps: Sequence[tuple[str, Step]], keepalive: Callable[[], None] | None) -> bool:
        """Run every ``(name, step)``; True when all succeeded.

        A step raising a transient error is retried; any other exception is
        a plugin bug: it is logged with its traceback and retried the same
        way, because acknowledging would lose what that plugin did not take.
        """
        pending = list(steps)
        deadline = self.clock() + self.hold_timeout
        delay = self.initial
        while True:
            failed = []
            for name, step in pending:
                try:
                    step()
                except TRANSIENT as exc:
                    failed.append((name, step))
                    self._failure(name, exc, traceback=False)
                except Exception as exc:
                    failed.append((name, step))
                    self._failure(name, exc, traceback=True)
            if not failed:
                self._recovered()
                return True
            pending = failed
            if self.clock() >= deadline or self.stop.is_set():
                LOG.warning(
                    "Giving up holding a batch after %.0f s (%s); it is requeued",
                    self.hold_timeout - max(0.0, deadline - self.clock()),
                    "stopping" if self.stop.is_set() else "hold_timeout reached",
                )
                return False
            if not self._wait(min(delay, max(0.0, deadline - self.clock())), keepalive):
                return False
            delay = min(delay * 2, self.maximum)

    def call(self, name: str, fn: Callable[[], T],
             keepalive: Callable[[], None] | None) -> tuple[bool, T | None]:
        """Run one step returning a value, held like :meth:`run`; (True, its
        value) once it succeeded, (False, None) when given up."""
        result: list[T] = []
        done = self.run([(name, lambda: result.append(fn()))], keepalive)
        return done, (result[0] if done else None)

    def _wait(self, seconds: float, keepalive: Callable[[], None] | None) -> bool:
        """Sleep in short slices, running ``keepalive``; False if stopped."""
        end = self.clock() + seconds
        while True:
            left = end - self.clock()
            if left <= 0:
                return True
            if self.stop.wait(min(left, 0.5)):
                return False
            if keepalive is not None:
                keepalive()

    def _failure(self, name: str, exc: Exception, traceback: bool) -> None:
        now = self.clock()
        if self._outage_since is None:
            self._outage_since = now
            self._last_log = now
            self._held_batches = 1
            self.on_outage(True)
            LOG.error(
                "%s failed: %s; holding the batch unacknowledged and retrying "
                "(further failures of this outage are logged at debug level)",
                name, _describe(exc), exc_info=traceback,
            )
        elif now - self._last_log >= self.reminder:
            self._last_log = now
            LOG.warning(
                "%s still failing after %.0f s (%d batch(es) held so far): %s",
                name, now - self._outage_since, self._held_batches, _describe(exc),
            )
        else:
            LOG.debug("%s failed again: %s", name, _describe(exc))

    def note_new_batch(self) -> None:
        if self._outage_since is not None:
            self._held_batches += 1

    def _recovered(self) -> None:
        if self._outage_since is not None:
            LOG.info(
                "Storage and dispatchers available again after %.1f s; %d batch(es) were held",
                self.clock() - self._outage_since, self._held_batches,
            )
            self._outage_since = None
            self.on_outage(False)


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
