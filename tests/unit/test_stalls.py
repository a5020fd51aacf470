"""The stall watcher with a fake service API, on a SQLite file.

A create that no service consumed stays "creating" and nobody says so: the
watcher tells the owner once (whatever the number of herald nodes), and the
outcome -- "created after all", or the service's own failure through the
usual path -- joins the stall message's event tree without changing it.
"""

from __future__ import annotations

import datetime
import pathlib

import pytest
import sqlalchemy as sa

import storage
from collector import catalogue
from collector.model import Inbound, Outcome
from listener.watch.sources import Creating
from listener.watch.stalls import StallWatcher
from storage.tables import messages, stalls
from tests.fakes import mapping_pipeline

CAPTURED = pathlib.Path(__file__).parent.parent / "samples" / "captured"
# the volume and project of cinder's captured scheduler.create_volume failure
VOLUME = "1a34916e-9890-4cf2-8ab4-5ea785905157"
T0 = datetime.datetime(2026, 12, 5, 12, 0, 0)


class FakeAPI:
    """What the services' APIs list as creating, and each resource's status."""

    kinds = ("volume", "share", "instance")

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.resources: dict[str, Creating] = {}
        self.statuses: dict[str, str | None] = {}

    def add(self, uuid: str, kind: str = "volume", project: str = "demo",
            age: datetime.timedelta = datetime.timedelta(0), stage: str = "placing") -> None:
        self.resources[uuid] = Creating(kind, uuid, project, "demo-user", T0 - age, stage)

    def finish(self, uuid: str, status: str | None) -> None:
        del self.resources[uuid]
        self.statuses[uuid] = status

    def creating(self, kind):
        if kind in self.broken:
            raise ConnectionError(f"{kind} API down")
        return [c for c in self.resources.values() if c.kind == kind]

    def status(self, kind: str, uuid: str) -> str | None:
        return self.statuses.get(uuid, "creating" if kind != "instance" else "BUILD")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def store(conf, tmp_path):
    conf.set_override("enabled", True, group="stalls")
    s = storage.get_connection(conf, f"sqlite:///{tmp_path}/herald.db", create=True)
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def api():
    return FakeAPI()


@pytest.fixture
def clock():
    return Clock()


def watcher(conf, api, store, clock) -> StallWatcher:
    return StallWatcher(conf, api, store.stall_store(), catalogue.sanctioned(), clock=clock)


def rows(store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(messages).order_by(messages.c.created_at))]


def test_a_create_past_its_stall_time_gets_one_message_whatever_the_nodes(conf, api, store,
                                                                           clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    api.add("2b4e6f80-0000-4000-8000-000000000002", age=datetime.timedelta(minutes=4))
    first, second = watcher(conf, api, store, clock), watcher(conf, api, store, clock)
    assert first.run_once().stalled == [VOLUME]
    assert second.run_once().stalled == []  # another herald node: the row says it is done
    clock.now += datetime.timedelta(minutes=1)
    assert first.run_once().stalled == ["2b4e6f80-0000-4000-8000-000000000002"]
    assert second.run_once().stalled == first.run_once().stalled == []
    stored = rows(store)
    assert [(m["resource_uuid"], m["event_id"], m["project_id"]) for m in stored] == [
        (VOLUME, "VOLUME_CREATE_STALLED", "demo"),
        ("2b4e6f80-0000-4000-8000-000000000002", "VOLUME_CREATE_STALLED", "demo")]
    assert stored[0]["user_message"] == (
        f"Volume {VOLUME} is still being created after 6 minutes: the service that places new "
        "volumes is not responding. It may complete when the service recovers; otherwise "
        "delete it and try again.")
    assert stored[0]["root_id"] == stored[0]["id"] and stored[0]["parent_id"] is None


def test_two_nodes_racing_on_one_resource_write_one_message(conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    a, b = watcher(conf, api, store, clock), watcher(conf, api, store, clock)
    # both listed it before either wrote: the second claim conflicts
    creating = api.creating("volume")[0]
    assert a._stall(creating, clock.now) is True
    assert b._stall(creating, clock.now) is False
    assert len(rows(store)) == 1


def test_a_resource_a_host_has_gets_the_longer_time(conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=20), stage="creating")
    w = watcher(conf, api, store, clock)
    assert w.run_once().stalled == []  # host_stall_time: 30 min by default
    clock.now += datetime.timedelta(minutes=10)
    assert w.run_once().stalled == [VOLUME]
    assert "the storage service is not responding" in rows(store)[0]["user_message"]


def test_created_after_all_joins_the_tree_and_the_stall_message_never_changes(
        conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    w = watcher(conf, api, store, clock)
    w.run_once()
    (before,) = rows(store)
    clock.now += datetime.timedelta(minutes=3)
    api.finish(VOLUME, "available")
    assert w.run_once().closed == {VOLUME: "completed"}
    assert watcher(conf, api, store, clock).run_once().closed == {}  # once
    stall, late = rows(store)
    assert stall == before
    assert (late["event_id"], late["parent_id"], late["root_id"], late["project_id"]) == (
        "VOLUME_CREATE_COMPLETED_LATE", stall["id"], stall["id"], "demo")
    assert late["user_message"] == f"Volume {VOLUME} was created after all: it is now available."


def test_the_services_own_failure_joins_the_tree(conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    w = watcher(conf, api, store, clock)
    w.run_once()
    (stall,) = rows(store)
    api.finish(VOLUME, "error")
    assert w.run_once().closed == {VOLUME: "failed"}
    # the scheduler's failure notification arrives after the API said "error"
    p, dispatcher, quarantine = mapping_pipeline(
        conf, stalls=store, stall_window=datetime.timedelta(minutes=15), clock=clock)
    body = (CAPTURED / "cinder-29.0.0-scheduler.create_volume.json").read_bytes()
    assert p.process([Inbound(body=body)]) == [Outcome.STORED], quarantine.records
    (failure,) = dispatcher.messages
    assert (failure.event_id, failure.parent_id, failure.root_id) == (
        "VOLUME_NO_VALID_BACKEND", stall["id"], stall["id"])
    assert rows(store) == [stall]  # the stall message is as it was


def test_after_the_link_window_a_message_stands_alone(conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    w = watcher(conf, api, store, clock)
    w.run_once()
    api.finish(VOLUME, "error")
    w.run_once()
    clock.now += datetime.timedelta(minutes=16)
    p, dispatcher, _ = mapping_pipeline(
        conf, stalls=store, stall_window=datetime.timedelta(minutes=15), clock=clock)
    body = (CAPTURED / "cinder-29.0.0-scheduler.create_volume.json").read_bytes()
    assert p.process([Inbound(body=body)]) == [Outcome.STORED]
    (failure,) = dispatcher.messages
    assert failure.parent_id is None and failure.root_id == failure.id


def test_another_projects_message_never_joins(conf, api, store, clock):
    api.add(VOLUME, project="other", age=datetime.timedelta(minutes=6))
    watcher(conf, api, store, clock).run_once()
    p, dispatcher, _ = mapping_pipeline(conf, stalls=store,
                                        stall_window=datetime.timedelta(minutes=15))
    body = (CAPTURED / "cinder-29.0.0-scheduler.create_volume.json").read_bytes()
    p.process([Inbound(body=body)])  # project demo, same volume id
    (failure,) = dispatcher.messages
    assert failure.parent_id is None


def test_a_failure_herald_already_told_means_no_stall_message(conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    # the failure was stored (the API still lagged behind and listed it)
    p, dispatcher, _ = mapping_pipeline(conf)
    body = (CAPTURED / "cinder-29.0.0-scheduler.create_volume.json").read_bytes()
    p.process([Inbound(body=body)])
    assert store.insert_messages(dispatcher.messages) == []
    # its created_at is the notification's own (2026-12-04), before creation in this
    # test: make the resource older than that
    api.resources[VOLUME] = Creating("volume", VOLUME, "demo", None,
                                     datetime.datetime(2026, 12, 1), "placing")
    assert watcher(conf, api, store, clock).run_once().stalled == []
    assert [m["event_id"] for m in rows(store)] == ["VOLUME_NO_VALID_BACKEND"]


def test_a_resource_deleted_while_stalled_closes_quietly(conf, api, store, clock):
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    w = watcher(conf, api, store, clock)
    w.run_once()
    api.finish(VOLUME, None)
    assert w.run_once().closed == {VOLUME: "gone"}
    assert len(rows(store)) == 1
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(stalls.c.outcome)).scalar_one() == "gone"


def test_an_instance_stuck_without_a_conductor(conf, api, store, clock):
    uuid = "544e4905-de8b-486c-90ef-4df99295ae75"
    api.add(uuid, kind="instance", age=datetime.timedelta(minutes=5))
    w = watcher(conf, api, store, clock)
    assert w.run_once().stalled == [uuid]
    (m,) = rows(store)
    assert m["user_message"] == (
        f"Instance {uuid} is still being created after 5 minutes: the service that places new "
        "instances is not responding. It may complete when the service recovers; otherwise "
        "delete it and try again.")
    api.finish(uuid, "ACTIVE")
    clock.now += datetime.timedelta(seconds=30)
    assert w.run_once().closed == {uuid: "completed"}
    assert rows(store)[1]["event_id"] == "INSTANCE_CREATE_COMPLETED_LATE"


def test_a_service_that_does_not_answer_blinds_only_its_own_kind(conf, api, store, clock):
    uuid = "544e4905-de8b-486c-90ef-4df99295ae75"
    api.add(VOLUME, age=datetime.timedelta(minutes=6))
    api.add(uuid, kind="instance", age=datetime.timedelta(minutes=6))
    api.broken.add("volume")
    w = watcher(conf, api, store, clock)
    assert w.run_once().stalled == [uuid]
    api.broken.clear()
    api.finish(VOLUME, "available")  # cinder back: its list no longer has the volume
    assert w.run_once().stalled == []  # and no stall was ever opened for it
    assert [m["event_id"] for m in rows(store)] == ["INSTANCE_CREATE_STALLED"]
