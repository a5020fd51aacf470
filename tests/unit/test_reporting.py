"""The periodic summary: on its own clock, so quiet periods are reported."""

from __future__ import annotations

import logging
import threading

from collector.model import Outcome
from collector.reporting import Stats


def test_a_quiet_period_is_reported_without_a_new_batch(caplog):
    stats = Stats(interval=1)
    stats.count([Outcome.STORED, Outcome.IGNORED, Outcome.IGNORED, Outcome.REJECTED])
    stop = threading.Event()
    worker = threading.Thread(target=stats.run, args=(stop,))
    with caplog.at_level(logging.INFO, logger="collector.pipeline"):
        worker.start()
        # no further count(): the summary must still come, on the timer
        stop.wait(1.6)
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Last ")]
        assert len(lines) == 1
        assert lines[0].endswith(": 1 stored, 1 rejected, 0 filtered, 2 ignored, 0 requeued")
        stop.set()
        worker.join(5)
    assert not worker.is_alive()
    final = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Last ")]
    assert len(final) == 2 and final[1].endswith(": 0 stored, 0 rejected, 0 filtered, "
                                                 "0 ignored, 0 requeued")
    assert stats.totals[Outcome.IGNORED] == 2


def test_zero_interval_reports_nothing(caplog):
    stop = threading.Event()
    stop.set()
    with caplog.at_level(logging.INFO, logger="collector.pipeline"):
        Stats(interval=0).run(stop)
    assert not caplog.records
