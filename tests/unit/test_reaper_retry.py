"""The reaper process's loop: a failed pass is retried soon, with back-off,
on new connections (storage.reaper.run_forever)."""

import logging

import pytest
from sqlalchemy import exc as sa_exc

from storage import reaper
from storage.base import ReapResult


class FlakyStore:
    """Fails its first ``failures`` passes as a dead database node does."""

    def __init__(self, failures):
        self.failures = failures
        self.events = []

    def close(self):
        self.events.append("close")

    def reap_messages(self, now, batch):
        if self.failures:
            self.failures -= 1
            self.events.append("failed")
            raise sa_exc.OperationalError(
                "SELECT", {}, Exception(2013, "Lost connection to MySQL server during query"))
        self.events.append("reaped")
        return ReapResult()

    def __getattr__(self, name):  # the other kinds reap nothing
        if name.startswith("reap_"):
            return lambda *a: ReapResult()
        raise AttributeError(name)


class Clock:
    """``stop(seconds)``: records each wait; stops after ``passes`` waits."""

    def __init__(self, passes):
        self.passes = passes
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)
        return len(self.waits) > self.passes


@pytest.fixture
def reap_conf(conf):
    conf.set_override("message_reap_interval", 86400, "storage")
    return conf


def test_a_failed_pass_is_retried_soon_with_backoff_on_new_connections(reap_conf, caplog):
    caplog.set_level(logging.INFO, logger="storage.reaper")
    store, clock = FlakyStore(failures=4), Clock(passes=6)
    reaper.run_forever(store, reap_conf, clock)
    assert clock.waits[1:] == [1.0, 2.0, 4.0, 8.0, 86400, 86400]
    # each failure drops the pool before the next attempt
    assert store.events == ["failed", "close"] * 4 + ["reaped", "reaped"]
    assert "Reaping failed (1st failure in a row)" in caplog.text
    assert "next attempt in 1.0 s on a new connection" in caplog.text
    assert "Reaping works again after 4 failed attempts" in caplog.text
    assert caplog.text.count("Traceback") == 1  # the first failure only


def test_the_backoff_stops_at_its_ceiling(reap_conf):
    reap_conf.set_override("reap_retry_initial", 5, "storage")
    reap_conf.set_override("reap_retry_max", 30, "storage")
    clock = Clock(passes=6)
    reaper.run_forever(FlakyStore(failures=10), reap_conf, clock)
    assert clock.waits[1:] == [5, 10, 20, 30, 30, 30]


def test_a_failure_never_waits_longer_than_the_interval():
    backoff = reaper.Backoff(interval=3, initial=1, ceiling=60)
    assert [backoff.failed() for _ in range(4)] == [1, 2, 3, 3]
    assert backoff.succeeded() == 3
    assert backoff.failed() == 1  # a success starts the back-off again


def test_the_first_pass_waits_a_random_moment_within_a_minute(reap_conf):
    clock = Clock(passes=0)
    reaper.run_forever(FlakyStore(failures=0), reap_conf, clock)
    assert 1.0 <= clock.waits[0] <= 60.0
