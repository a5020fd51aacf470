"""The watch's decisions (readings to transitions) and its rounds against a
SQLite store, with a scripted prober instead of a broker."""

from __future__ import annotations

import datetime

import amqp
import pytest
import sqlalchemy as sa

import storage
from collector import catalogue
from collector.metrics import Metrics
from collector.model import utcnow
from listener.watch import decide, notice, queues
from listener.watch.decide import Reading, State, Track, Transition
from listener.watch.service import Watch

T0 = datetime.datetime(2026, 12, 5, 12, 0, 0)
POLICY = decide.Policy(readings=3, no_consumer_time=60, backlog_time=60)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def run(readings, state=State.OK, policy=POLICY):
    """Feed (seconds, messages, consumers | None for 404) readings; the
    transitions, each applied to the state as the database would."""
    track, out = Track(), []
    for t, messages, consumers in readings:
        r = (Reading(at(t), exists=False) if consumers is None
             else Reading(at(t), True, messages, consumers))
        tr = decide.observe(state, track, r, policy)
        if tr is not None:
            out.append((t, tr))
            state = tr.to
    return out


def test_no_consumer_needs_several_readings_and_the_time():
    # three readings but only 20 s: not yet; at 60 s: the message, since the first
    got = run([(0, 2, 0), (10, 2, 0), (20, 3, 0), (50, 3, 0), (60, 4, 0), (70, 5, 0)])
    assert got == [(60, Transition(State.NOT_CONSUMING, at(0), 4))]


def test_one_zero_reading_is_never_trusted():
    """A quorum queue answers 0/0 when its count times out."""
    readings = []
    for t in range(0, 600, 10):
        readings.append((t, 0, 0 if t % 30 == 0 else 1))  # every third reading 0/0
    assert run(readings) == []
    # with readings=2, two zero readings in a row are needed all the same
    assert run([(0, 0, 0), (100, 0, 1), (200, 0, 0)], policy=decide.Policy(2, 60, 60)) == []


def test_waiting_is_the_largest_count_of_the_streak():
    got = run([(0, 5, 0), (30, 0, 0), (60, 0, 0)])  # the later 0s: timed-out counts
    assert got == [(60, Transition(State.NOT_CONSUMING, at(0), 5))]


def test_a_consumer_attaching_ends_it_with_one_reading():
    got = run([(0, 1, 0), (30, 1, 0), (60, 1, 0), (70, 1, 1)])
    assert [tr.to for _, tr in got] == [State.NOT_CONSUMING, State.OK]
    # since: when the problem began (the stored one is used when there is one)
    assert got[1] == (70, Transition(State.OK, at(0), 1))


def test_absent_queue_says_nothing_and_restarts_the_streak():
    assert run([(0, 0, 0), (30, 0, 0), (40, 0, None), (60, 0, 0), (90, 0, 0)]) == []
    # and a standing problem is not ended by a 404
    assert run([(0, 0, None), (10, 0, None)], state=State.NOT_CONSUMING) == []


def test_backlog_rising_with_a_consumer_attached():
    got = run([(0, 0, 1), (10, 3, 1), (20, 3, 1), (40, 6, 1), (70, 9, 1), (80, 9, 1),
               (90, 4, 1)])
    assert got == [(70, Transition(State.BACKLOG, at(10), 9)),
                   (90, Transition(State.OK, at(90), 4))]


def test_a_backlog_that_falls_is_not_one():
    assert run([(t, m, 1) for t, m in [(0, 1), (30, 5), (60, 2), (90, 6), (120, 3)]]) == []


def test_backlog_then_consumer_gone():
    """SIGSTOP: the consumer stays until the broker drops it (heartbeats)."""
    got = run([(0, 1, 1), (30, 2, 1), (60, 3, 1), (90, 4, 1), (100, 4, 0), (130, 4, 0),
               (160, 4, 0), (170, 0, 1)])
    assert [(t, tr.to) for t, tr in got] == [
        (90, State.BACKLOG), (160, State.NOT_CONSUMING), (170, State.OK)]


@pytest.mark.parametrize(("queue", "ok"), [
    ("cinder-scheduler", True), ("compute.host-1", True), ("cinder-volume.h@lvm", True),
    ("cinder-scheduler_fanout_0f3a", False), ("reply_5d1e", False), ("amq.gen-x", False)])
def test_expiring_queues_are_never_probed(queue, ok):
    assert queues.probeable(queue) is ok


def test_operator_messages_render_from_the_operators_catalogue():
    ops = catalogue.operators()
    m = notice.build(ops, "cinder-scheduler", "cinder-scheduler",
                     Transition(State.NOT_CONSUMING, at(0), 3), at(0), at(60),
                     datetime.timedelta(days=1), None)
    assert m.project_id == catalogue.OPERATORS_PROJECT == "_operators"
    assert m.user_message.startswith(
        "cinder-scheduler has not consumed its queue cinder-scheduler since "
        "2026-12-05T12:00:00Z: no consumer is attached. Requests waiting: 3.")
    assert (m.event_id, m.resource_type, m.root_id) == ("SERVICE_NOT_CONSUMING", "SERVICE",
                                                        m.id)
    # no notification can carry an operators-only entry to a project
    assert catalogue.sanctioned().get("SERVICE_NOT_CONSUMING") is None


class ScriptedProber:
    """Answers each queue from a list of (messages, consumers | None)."""

    def __init__(self, script):
        self.script = {q: list(v) for q, v in script.items()}

    def read(self, queue, now):
        step = self.script.get(queue, [(0, None)])
        messages, consumers = step.pop(0) if len(step) > 1 else step[0]
        return (Reading(now, False) if consumers is None
                else Reading(now, True, messages, consumers))


@pytest.fixture
def sqlite_store(conf, tmp_path):
    s = storage.get_connection(conf, f"sqlite:///{tmp_path}/h.sqlite", create=True)
    s.upgrade()
    yield s
    s.close()


def test_two_nodes_write_one_message_each_way(conf, sqlite_store):
    conf.set_override("queues", {"cinder-scheduler": "cinder-scheduler"}, group="watch")
    conf.set_override("no_consumer_time", 0, group="watch")
    # messages expire ([collector] message_ttl): a clock near now
    start = utcnow().replace(microsecond=0) - datetime.timedelta(minutes=5)
    clock = [start]
    script = {"cinder-scheduler": [(2, 0)] * 3 + [(2, 1)]}
    rounds = []

    class Recorder(Metrics):
        def watched(self, states, written):
            rounds.append((list(states), list(written)))

    nodes = [Watch(conf, sqlite_store, ScriptedProber(script), clock=lambda: clock[0],
                   metrics=Recorder()) for _ in range(2)]
    for _ in range(4):
        for node in nodes:
            node.round()
        clock[0] += datetime.timedelta(seconds=10)
    rows = sqlite_store.list_messages("_operators", newest_first=False)
    assert [r["event_id"] for r in rows] == ["SERVICE_NOT_CONSUMING", "SERVICE_CONSUMING_AGAIN"]
    assert rows[1]["parent_id"] == rows[1]["root_id"] == rows[0]["id"]
    assert (f"had stopped consuming since {notice.since_text(start)}"
            in rows[1]["user_message"])
    assert sum(n.written for n in nodes) == 2
    [row] = sqlite_store.list_watched()
    assert (row["state"], row["messages"], row["consumers"]) == ("ok", 2, 1)
    # what the metrics saw, round by round, node by node: each message once
    assert rounds == [(["ok"], [])] * 4 + [(["not_consuming"], ["SERVICE_NOT_CONSUMING"]),
                                           (["not_consuming"], [])] + [
        (["ok"], ["SERVICE_CONSUMING_AGAIN"]), (["ok"], [])]


def test_learns_per_host_queues_from_the_services_tables(conf, tmp_path):
    """cinder's ``deleted`` is a boolean, nova's an integer."""
    urls = []
    for name, deleted in (("cinder", sa.Boolean), ("nova", sa.Integer)):
        url = f"sqlite:///{tmp_path}/{name}.sqlite"
        engine = sa.create_engine(url)
        t = sa.Table("services", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("host", sa.String(255)), sa.Column("binary", sa.String(255)),
                     sa.Column("topic", sa.String(255)), sa.Column("disabled", sa.Boolean),
                     sa.Column("deleted", deleted))
        t.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(t), [
                {"host": "h1@lvm", "binary": f"{name}-volume", "topic": "cinder-volume",
                 "disabled": False, "deleted": False if deleted is sa.Boolean else 0},
                {"host": "h2@lvm", "binary": f"{name}-volume", "topic": "cinder-volume",
                 "disabled": True, "deleted": False if deleted is sa.Boolean else 0},
                {"host": "h3", "binary": "nova-compute", "topic": "compute",
                 "disabled": False, "deleted": True if deleted is sa.Boolean else 7},
                {"host": "h4", "binary": "nova-compute", "topic": "compute",
                 "disabled": None, "deleted": False if deleted is sa.Boolean else 0},
                {"host": "h5", "binary": f"{name}-scheduler", "topic": "cinder-scheduler",
                 "disabled": False, "deleted": False if deleted is sa.Boolean else 0}])
        engine.dispose()
        urls.append(url)
    # unreadable ones are logged and skipped: a missing file, a driver that is
    # not installed, a URL that does not parse
    conf.set_override("service_databases", urls + [
        "sqlite:////nonexistent/x.sqlite", "mysql+nosuchdriver://u:p@h/cinder", "::"],
        group="watch")
    assert queues.learn(conf) == {"cinder-volume.h1@lvm": "nova-volume",
                                  "compute.h4": "nova-compute"}


def test_herald_manage_services_list_and_messages(conf, sqlite_store, tmp_path, capsys):
    from listener.cmd import manage

    conf.set_override("no_consumer_time", 0, group="watch")
    conf.set_override("queues", {"cinder-scheduler": "cinder-scheduler",
                                 "conductor": "nova-conductor",
                                 "manila-scheduler": "manila-scheduler"}, group="watch")
    script = {"cinder-scheduler": [(7, 0)], "conductor": [(0, 1)]}
    watch = Watch(conf, sqlite_store, ScriptedProber(script))
    for _ in range(3):
        watch.round()
    conffile = tmp_path / "herald.conf"
    conffile.write_text(f"[database]\nconnection = {sqlite_store.url}\n")
    assert manage.main(["--config-file", str(conffile), "services", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["service", "queue", "state", "since", "waiting", "consumers",
                                "checked_at"]
    # the problem first
    assert lines[1].split()[:3] == ["cinder-scheduler", "cinder-scheduler", "not_consuming"]
    assert lines[2].split()[:3] == ["manila-scheduler", "manila-scheduler", "ok"]
    assert "(no such queue)" in lines[2]  # manila is not deployed
    assert lines[3].split()[:3] == ["nova-conductor", "conductor", "ok"]
    assert manage.main(["--config-file", str(conffile), "services", "messages"]) == 0
    out = capsys.readouterr().out
    assert "SERVICE_NOT_CONSUMING" in out and "Requests waiting: 7." in out
    assert manage.main(["--config-file", str(conffile), "services", "forget",
                        "conductor"]) == 0
    assert [r["queue"] for r in sqlite_store.list_watched()] == ["cinder-scheduler",
                                                                  "manila-scheduler"]
    assert manage.main(["--config-file", str(conffile), "services", "forget",
                        "conductor"]) == 1


class FakeChannel:
    def __init__(self, queues, log):
        self.queues, self.log, self.is_open = queues, log, True

    def queue_declare(self, name, passive=False):
        self.log.append(("declare", name, passive))
        if name not in self.queues:
            self.is_open = False  # RabbitMQ closes the channel on a 404
            raise amqp.exceptions.NotFound("NOT_FOUND - no queue")
        return (name, *self.queues[name])


class FakeConnection:
    def __init__(self, url, queues, log, fail=False):
        self.url, self.queues, self.log, self.fail = url, queues, log, fail

    def connect(self):
        self.log.append(("connect", self.url))
        if self.fail:
            raise ConnectionRefusedError(111, "refused")

    def channel(self):
        self.log.append(("channel",))
        return FakeChannel(self.queues, self.log)

    def release(self):
        self.log.append(("release", self.url))


def test_the_prober_only_declares_passively_and_reopens_what_the_broker_closed():
    from listener.watch.probe import CONNECTION_ERRORS, Prober

    log, queues_ = [], {"cinder-scheduler": (4, 0)}
    down = {"amqp://a/"}

    class Settings:
        urls = ["amqp://a/", "amqp://b/"]

        def pick(self, attempt):
            return self.urls[attempt % 2]

        def connection(self, url):
            return FakeConnection(url, queues_, log, fail=url in down)

        @staticmethod
        def display(url):
            return url

    prober = Prober(Settings())
    with pytest.raises(CONNECTION_ERRORS):
        prober.read("cinder-scheduler", T0)  # the first host is down
    assert prober.read("cinder-scheduler", T0) == Reading(T0, True, 4, 0)  # the next one
    assert prober.read("conductor", T0) == Reading(T0, exists=False)
    assert prober.read("cinder-scheduler", T0).messages == 4  # on a new channel
    declares = [e for e in log if e[0] == "declare"]
    assert declares and all(passive for _, _, passive in declares)
    assert [e[0] for e in log].count("channel") == 2
    assert ("connect", "amqp://b/") in log
