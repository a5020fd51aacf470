import logging
import threading

import pytest

from collector.exceptions import DispatchError, StorageUnavailable
from collector.holding import Holder


@pytest.fixture
def holder(conf):
    conf.set_override("retry_interval", 0.01, group="collector")
    conf.set_override("retry_max_interval", 0.02, group="collector")
    conf.set_override("hold_timeout", 5, group="collector")
    return Holder(conf, threading.Event())


class Flaky:
    def __init__(self, failures, error=StorageUnavailable):
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error("down")


def test_successful_steps_are_not_repeated(holder):
    ok, flaky = Flaky(0), Flaky(3)
    keepalives = []
    assert holder.run([("ok", ok), ("flaky", flaky)], lambda: keepalives.append(1))
    assert (ok.calls, flaky.calls) == (1, 4)


def test_plugin_bugs_are_retried_not_acknowledged(holder, caplog):
    bug = Flaky(2, error=TypeError)
    with caplog.at_level(logging.ERROR):
        assert holder.run([("buggy", bug)], None)
    assert bug.calls == 3
    assert any(r.exc_info for r in caplog.records)  # traceback logged once


def test_outage_logged_once_and_recovery_once(holder, caplog):
    with caplog.at_level(logging.DEBUG, logger="collector.holding"):
        assert holder.run([("db", Flaky(5, DispatchError))], None)
    levels = [r.levelname for r in caplog.records]
    assert levels.count("ERROR") == 1
    assert levels.count("INFO") == 1 and "available again" in caplog.records[-1].message
    assert not holder.in_outage


def test_stop_ends_the_hold(conf):
    stop = threading.Event()
    holder = Holder(conf, stop)
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    assert holder.run([("db", Flaky(10**9))], None) is False


def test_hold_timeout_requeues(conf):
    now = [0.0]
    conf.set_override("hold_timeout", 10, group="collector")
    conf.set_override("retry_interval", 1, group="collector")
    stop = threading.Event()

    def keepalive():
        now[0] += 0.5  # time passes while we wait

    holder = Holder(conf, stop, clock=lambda: now[0])
    stop.wait = lambda timeout: False
    assert holder.run([("db", Flaky(10**9))], keepalive) is False
    assert 10 <= now[0] <= 11


def test_keepalive_errors_propagate(holder):
    def broken_connection():
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        holder.run([("db", Flaky(10**9))], broken_connection)
