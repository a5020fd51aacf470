"""What a worker tells operators: rejections (rate-limited) and summaries.

Per-message logging stays out of the hot path: each rejection is logged
(it is rare and operators need it) up to a burst, then counted; stored
messages only show in a periodic summary line.
"""

from __future__ import annotations

import logging
import threading
import time

from collector.model import Outcome, Rejection

LOG = logging.getLogger("collector.pipeline")


class RejectionLog:
    """Log rejections one by one up to ``burst`` per ``period``, then count."""

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


class Stats:
    """Outcome totals, and an INFO summary every ``interval`` seconds.

    The summary is written by :meth:`run` on its own clock (a thread of the
    worker), so a quiet period's counts reach the log on time instead of
    waiting for the next batch.
    """

    def __init__(self, interval: int) -> None:
        self.interval = interval
        self.totals = dict.fromkeys(Outcome, 0)
        self._window = dict.fromkeys(Outcome, 0)
        self._window_start = time.monotonic()
        self._lock = threading.Lock()

    def count(self, outcomes: list[Outcome]) -> None:
        with self._lock:
            for o in outcomes:
                self._window[o] += 1
                self.totals[o] += 1

    def report(self) -> None:
        """Log the current window and start a new one."""
        with self._lock:
            w, self._window = self._window, dict.fromkeys(Outcome, 0)
            now = time.monotonic()
            elapsed, self._window_start = now - self._window_start, now
        LOG.info("Last %.0f s: %d stored, %d rejected, %d filtered, %d ignored, "
                 "%d requeued", elapsed, w[Outcome.STORED], w[Outcome.REJECTED],
                 w[Outcome.FILTERED], w[Outcome.IGNORED], w[Outcome.RETRY])

    def run(self, stop: threading.Event) -> None:
        """Report every ``interval`` until ``stop`` (a thread's target); the
        last, partial window is reported on the way out."""
        if not self.interval:
            return
        while not stop.wait(self.interval):
            self.report()
        self.report()
