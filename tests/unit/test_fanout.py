import datetime
import threading

from collector.fanout import Fanout
from collector.holding import Holder
from collector.model import UserMessage
from tests.fakes import MemoryDispatcher

T = datetime.datetime(2026, 11, 21)


def m(i):
    return UserMessage(f"id-{i}", f"mid-{i}", "p", None, None, "E", "volume", None, "ERROR",
                       "t", None, T, T)


def test_a_requeue_never_makes_a_dispatcher_write_twice(conf):
    conf.set_override("retry_interval", 0.01, group="collector")
    stop = threading.Event()
    steady = MemoryDispatcher()
    steady.name = "steady"
    broken = MemoryDispatcher(fail_times=10**6)
    broken.name = "broken"
    fanout = Fanout([steady, broken], Holder(conf, stop))
    batch = [m(1), m(2)]
    stop.set()  # the hold ends at once: the batch is requeued
    assert fanout.dispatch(batch, lambda d, r: None, None) is False
    assert [x.message_id for x in steady.messages] == ["mid-1", "mid-2"]

    stop.clear()
    broken.fail_times = 0  # back; the notifications are redelivered, plus a new one
    assert fanout.dispatch([m(1), m(2), m(3)], lambda d, r: None, None) is True
    assert [x.message_id for x in steady.messages] == ["mid-1", "mid-2", "mid-3"]
    assert [x.message_id for x in broken.messages] == ["mid-1", "mid-2", "mid-3"]
    assert fanout._taken["steady"] == {}  # delivered for good: forgotten
