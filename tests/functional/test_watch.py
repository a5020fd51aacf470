"""The watch against real RabbitMQ: a real oslo.messaging RPC server stands
for cinder-scheduler, in a virtual host of the test's own.

The server creates its queues as cinder-scheduler does (topic
``cinder-scheduler`` on exchange ``openstack``) and stops; casts wait in its
queue; herald-listener's watch writes the operator message; the server
starts again and consumes them; herald writes the follow-up. Throughout,
the queue keeps its messages and its properties, and herald is never one
of its consumers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import oslo_messaging
import pytest
import sqlalchemy as sa

from storage.tables import messages, watched_queues
from tests import services
from tests.functional.test_metrics import scrape, value
from tests.functional.test_rabbit_settings import service_conf
from tests.integration.broker import VirtualHost, rabbitmqctl

pytestmark = [pytest.mark.rabbit, pytest.mark.slow]

QUEUE_COLUMNS = ["name", "durable", "auto_delete", "exclusive", "arguments", "policy",
                 "messages_ready", "messages_unacknowledged"]


@pytest.fixture
def vhost():
    v = VirtualHost()
    yield v
    v.delete()


def _transport(vhost):
    """cinder's RPC transport: control exchange openstack, oslo's defaults."""
    return oslo_messaging.get_rpc_transport(service_conf("openstack"), url=vhost.transport_url)


class Scheduler:
    """An RPC server on cinder-scheduler's topic, counting what it receives."""

    def __init__(self, transport):
        self.received = 0
        self.lock = threading.Lock()
        endpoint = self

        class Endpoint:
            target = oslo_messaging.Target(version="3.0")

            def create_volume(self, ctxt, **kwargs):
                with endpoint.lock:
                    endpoint.received += 1

        self.server = oslo_messaging.get_rpc_server(
            transport, oslo_messaging.Target(topic="cinder-scheduler", server="host-a"),
            [Endpoint()], executor="threading")

    def start(self):
        self.server.start()

    def stop(self):
        self.server.stop()
        self.server.wait()


def _queue(vhost, name):
    out = rabbitmqctl("list_queues", "-p", vhost.name, "--no-table-headers", *QUEUE_COLUMNS)
    for line in out.splitlines():
        values = line.split("\t")
        if values[0] == name:
            return dict(zip(QUEUE_COLUMNS, values))
    return None


def _consumers(vhost, name):
    out = rabbitmqctl("list_consumers", "-p", vhost.name, "--no-table-headers",
                      "queue_name", "channel_pid")
    return [line for line in out.splitlines() if line.split("\t")[0] == name]


def _operator_messages(h):
    with h.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(messages).where(messages.c.project_id == "_operators")
            .order_by(messages.c.created_at))]


def test_a_scheduler_that_stops_consuming_reaches_operators_and_its_return_too(
        vhost, herald):
    transport = _transport(vhost)
    scheduler = Scheduler(transport)
    try:
        scheduler.start()  # creates cinder-scheduler, .host-a and the fanout queue
        services.wait_until(lambda: vhost.consumed("cinder-scheduler"), 30, "the scheduler")
        fanout = [q for q in rabbitmqctl("list_queues", "-p", vhost.name, "--no-table-headers",
                                         "name").split() if "_fanout_" in q]
        assert fanout, "oslo's scheduler has a fanout queue"
        scheduler.stop()  # the fanout queue goes with it (auto-delete)
        client = oslo_messaging.get_rpc_client(
            transport, oslo_messaging.Target(topic="cinder-scheduler", version="3.0"))
        for _ in range(3):
            client.cast({}, "create_volume", volume_id="v")
        services.wait_until(lambda: (_queue(vhost, "cinder-scheduler") or {}).get(
            "messages_ready") == "3", 30, "the casts waiting")
        before = _queue(vhost, "cinder-scheduler")

        port = services.free_port()
        h = herald(transport_url=vhost.transport_url, amqp_url=vhost.amqp_url, watch=True,
                   extra=f"""\
            [watch]
            interval = 0.2
            readings = 3
            no_consumer_time = 1
            [metrics]
            port = {port}
            """)
        h.start(wait_for="Watching")
        services.wait_until(lambda: len(_operator_messages(h)) >= 1, 60,
                            f"the operator message\n{h.log()[-2000:]}")
        [alarm] = _operator_messages(h)
        assert alarm["event_id"] == "SERVICE_NOT_CONSUMING"
        assert alarm["user_message"].startswith(
            "cinder-scheduler has not consumed its queue cinder-scheduler since ")
        assert "no consumer is attached. Requests waiting: 3." in alarm["user_message"]
        # many probes later: the queue as it was, and herald never its consumer
        h.wait_log("Watching", count=1)
        assert _queue(vhost, "cinder-scheduler") == before
        assert _consumers(vhost, "cinder-scheduler") == []
        assert _queue(vhost, fanout[0]) is None  # herald never declared it back

        scheduler = Scheduler(transport)
        scheduler.start()
        services.wait_until(lambda: len(_operator_messages(h)) >= 2, 60,
                            f"the follow-up\n{h.log()[-2000:]}")
        alarm, back = _operator_messages(h)
        assert back["event_id"] == "SERVICE_CONSUMING_AGAIN"
        assert back["parent_id"] == back["root_id"] == alarm["id"]
        services.wait_until(lambda: scheduler.received == 3, 30, "the casts consumed")
        # the only consumer is the scheduler's own: one per queue it reads
        assert len(_consumers(vhost, "cinder-scheduler")) == 1
        with h.engine.connect() as conn:
            row = conn.execute(sa.select(watched_queues).where(
                watched_queues.c.queue == "cinder-scheduler")).one()
        assert row.state == "ok" and row.service == "cinder-scheduler"
        # the metrics: each message counted once; the 4 default queues (3 absent) ok
        samples = scrape(port)
        for event_id in ("SERVICE_NOT_CONSUMING", "SERVICE_CONSUMING_AGAIN"):
            assert value(samples, "herald_operator_messages_total", event_id=event_id) == 1
        services.wait_until(lambda: value(scrape(port), "herald_watched_queues",
                                          state="ok") == 4, 10, "the gauge")
        assert value(scrape(port), "herald_watched_queues", state="not_consuming") == 0
        listing = h.manage("services", "list")
        assert listing.returncode == 0 and "cinder-scheduler" in listing.stdout
        assert h.stop() == 0
    finally:
        scheduler.stop()
        transport.cleanup()


SERVER = """\
import sys, threading
import oslo_messaging
from tests.functional.test_metrics import scrape, value
from tests.functional.test_rabbit_settings import service_conf
conf = service_conf("openstack", heartbeat_timeout_threshold=int(sys.argv[2]))
transport = oslo_messaging.get_rpc_transport(conf, url=sys.argv[1])
class Endpoint:
    target = oslo_messaging.Target(version="3.0")
    def create_volume(self, ctxt, **kw):
        pass
server = oslo_messaging.get_rpc_server(
    transport, oslo_messaging.Target(topic="cinder-scheduler", server="host-a"), [Endpoint()],
    executor="threading")
server.start()
print("started", flush=True)
threading.Event().wait()
"""


def test_a_stopped_but_connected_scheduler_is_seen_once_the_broker_drops_it(
        vhost, herald, tmp_path):
    """SIGSTOP: the scheduler keeps its connection and its consumer, and the
    casts sent to it are delivered to it and held unacknowledged (oslo's
    prefetch is unlimited), so its queue looks healthy: nothing ready, one
    consumer. herald can say nothing until the broker drops the connection
    for missed heartbeats (here after 4 s; oslo's default is 60 s); then
    the casts are ready again, no consumer is left, and the message
    follows."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    server = subprocess.Popen([sys.executable, "-c", SERVER, vhost.transport_url, "4"],
                              cwd=root, start_new_session=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        services.wait_until(lambda: vhost.consumed("cinder-scheduler"), 60, "the scheduler")
        h = herald(transport_url=vhost.transport_url, amqp_url=vhost.amqp_url, watch=True,
                   extra="""\
            [watch]
            interval = 0.2
            readings = 3
            no_consumer_time = 1
            """)
        h.start(wait_for="Watching")

        def seen():
            with h.engine.connect() as conn:
                return conn.execute(sa.select(watched_queues.c.messages,
                                              watched_queues.c.consumers).where(
                    watched_queues.c.queue == "cinder-scheduler")).one_or_none()

        services.wait_until(lambda: seen() == (0, 1), 30, "herald reading the queue")
        os.killpg(server.pid, signal.SIGSTOP)
        transport = _transport(vhost)
        client = oslo_messaging.get_rpc_client(
            transport, oslo_messaging.Target(topic="cinder-scheduler", version="3.0"))
        for _ in range(3):
            client.cast({}, "create_volume", volume_id="v")
        transport.cleanup()
        history = []
        end = time.monotonic() + 60
        while time.monotonic() < end and not _operator_messages(h):
            history.append(seen())
            time.sleep(0.1)
        [alarm] = _operator_messages(h)
        assert "Requests waiting: 3." in alarm["user_message"]
        # first the stopped scheduler's queue looked healthy (held, not ready),
        # then the broker dropped it: the casts ready again, no consumer
        assert history[0] == (0, 1)
        assert (3, 0) in history
        assert history.index((3, 0)) > max(i for i, s in enumerate(history) if s == (0, 1))
        assert vhost.queue("cinder-scheduler").message_count == 3
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def test_one_transition_one_message_on_every_database(store):
    """Two nodes claim the same transition: one writes, on every backend."""
    import datetime

    from collector import catalogue
    from collector.model import utcnow
    from listener.watch import decide, notice

    assert store.watch_queues({"conductor": "nova-conductor"})["conductor"]["state"] == "ok"
    # a second node adding the same queue changes nothing
    assert list(store.watch_queues({"conductor": "nova-conductor"})) == ["conductor"]
    # messages expire: times near now
    since = utcnow().replace(microsecond=0) - datetime.timedelta(minutes=5)
    transition = decide.Transition(decide.State.NOT_CONSUMING, since, 2)
    made = [notice.build(catalogue.operators(), "conductor", "nova-conductor", transition,
                         since, since, datetime.timedelta(days=1), None) for _ in range(2)]
    assert [store.claim_transition("conductor", "ok", "not_consuming", since, m)
            for m in made] == [True, False]
    store.record_readings({"conductor": (2, 0)})
    [row] = store.list_watched()
    assert (row["state"], row["since"], row["message_id"], row["messages"]) == (
        "not_consuming", since, made[0].id, 2)
    back = notice.build(catalogue.operators(), "conductor", "nova-conductor",
                        decide.Transition(decide.State.OK, since, 0), since,
                        since + datetime.timedelta(seconds=60), datetime.timedelta(days=1),
                        made[0].id)
    assert store.claim_transition("conductor", "not_consuming", "ok", None, back)
    rows = store.list_messages_of_all_projects(newest_first=False, limit=10)
    assert [(r["project_id"], r["event_id"]) for r in rows] == [
        ("_operators", "SERVICE_NOT_CONSUMING"), ("_operators", "SERVICE_CONSUMING_AGAIN")]
    assert store.list_watched()[0]["state"] == "ok"
