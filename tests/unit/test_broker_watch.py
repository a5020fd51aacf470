"""The broker outage state: when it opens, when it ends, one for all nodes.

The decision is a pure function of the intake's view and a clock; the
watch is run against a real SQLite store with clocks the test moves, so
"one state for several herald nodes" is checked on the table itself.
"""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

import storage
from listener.broker_watch import Action, BrokerState, BrokerWatch, Snapshot, decide
from storage.tables import broker_outages

T0 = datetime.datetime(2026, 12, 5, 21, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def wall(self) -> datetime.datetime:
        return T0 + datetime.timedelta(seconds=self.t - 1000.0)


def snap(up: bool, down_since: float = 0.0, episode: int = 1) -> Snapshot:
    return Snapshot(up, down_since, T0, episode)


def test_decide():
    assert decide(snap(True), 100.0, 30.0, None) is Action.CLOSE
    assert decide(snap(False, 80.0), 100.0, 30.0, None) is Action.NOTHING  # 20 s < 30 s
    assert decide(snap(False, 70.0), 100.0, 30.0, None) is Action.OPEN
    assert decide(snap(False, 70.0), 100.0, 30.0, 1) is Action.NOTHING  # this episode: done
    assert decide(snap(False, 70.0, episode=2), 100.0, 30.0, 1) is Action.OPEN


def test_state_starts_down_and_counts_episodes():
    clock = Clock()
    state = BrokerState(clock, clock.wall)
    assert not state.snapshot().up  # a broker down at start-up is an outage too
    state.connected()
    clock.t += 5
    state.lost()
    state.lost()  # every failed reconnection reports again: one episode
    s = state.snapshot()
    assert (s.up, s.down_since, s.episode) == (False, 1005.0, 1)
    assert s.down_since_utc == T0 + datetime.timedelta(seconds=5)


@pytest.fixture
def store(conf, tmp_path):
    s = storage.get_connection(conf, f"sqlite:///{tmp_path}/h.sqlite", create=True)
    s.upgrade()
    yield s
    s.close()


def rows(store):
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.select(broker_outages)
                                                    .order_by(broker_outages.c.id))]


def node(conf, store, clock, name):
    state = BrokerState(clock, clock.wall)
    watch = BrokerWatch(conf, store, state, clock, clock.wall)
    watch.node = name
    return state, watch


def test_two_nodes_one_outage_opened_once_and_ended_by_the_first_back(conf, store):
    conf.set_override("broker_outage_after", 30, group="listener")
    clock = Clock()
    (sa_, wa), (sb, wb) = node(conf, store, clock, "a"), node(conf, store, clock, "b")
    for s, w in ((sa_, wa), (sb, wb)):
        s.connected()
        assert w.step() is Action.CLOSE
    assert rows(store) == [] and store.broker_outage() is None
    sa_.lost()
    clock.t += 2
    sb.lost()
    clock.t += 29
    assert wa.step() is Action.OPEN and wb.step() is Action.NOTHING  # b: 29 s only
    clock.t += 1
    assert wb.step() is Action.OPEN
    assert wa.step() is Action.NOTHING and wb.step() is Action.NOTHING  # once per episode
    open_ = store.broker_outage()
    assert open_ is not None and open_["started_at"] == T0  # when a lost it
    assert len(rows(store)) == 1  # b's insert was a no-op
    clock.t += 60
    sb.connected()
    assert wb.step() is Action.CLOSE
    assert store.broker_outage() is None
    [row] = rows(store)
    assert (row["opened_by"], row["closed_by"], row["open_key"]) == ("a", "b", None)
    assert row["ended_at"] == T0 + datetime.timedelta(seconds=92)
    sa_.connected()
    wa.step()
    assert len(rows(store)) == 1  # nothing to end twice


def test_a_node_cut_off_alone_does_not_reopen_what_a_connected_node_ended(conf, store):
    conf.set_override("broker_outage_after", 30, group="listener")
    clock = Clock()
    (sa_, wa), (sb, wb) = node(conf, store, clock, "a"), node(conf, store, clock, "b")
    sa_.connected()
    sa_.lost()
    sb.connected()
    clock.t += 31
    assert wa.step() is Action.OPEN
    assert wb.step() is Action.CLOSE  # b reaches the broker: it is not down for everyone
    for _ in range(3):
        clock.t += 10
        wa.step()
        wb.step()
    assert store.broker_outage() is None and len(rows(store)) == 1


def test_a_new_outage_is_a_new_row(conf, store):
    conf.set_override("broker_outage_after", 1, group="listener")
    clock = Clock()
    s, w = node(conf, store, clock, "a")
    for _ in range(2):
        s.connected()
        s.lost()
        clock.t += 2
        assert w.step() is Action.OPEN
        s.connected()
        w.step()
    assert [r["ended_at"] is not None for r in rows(store)] == [True, True]
