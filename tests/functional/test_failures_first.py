"""Failures first: a failure never waits behind routine traffic (issue 25).

A real herald-listener, a RabbitMQ vhost of the test's own, PostgreSQL.
The tests assert the order of events (the failure's row exists while the
routine backlog still holds notifications), never a time.
"""

from __future__ import annotations

import textwrap
import uuid

import amqp
import kombu
import pytest

from tests import emitted, services, wire
from tests.functional.herald_process import PRIORITIES, HeraldProcess
from tests.integration import broker

BACKLOG = 40_000
FAILURE_PRIORITIES = ("error", "critical")


@pytest.fixture
def vhost():
    v = broker.VirtualHost()
    yield v
    v.delete()


@pytest.fixture
def make_herald(tmp_path, databases, vhost):
    """herald-listener in the test's vhost; stopped before the vhost goes."""
    made = []

    def make(layout: str) -> HeraldProcess:
        extra = "[listener]\nfailure_priorities =\n" if layout == "before" else ""
        h = HeraldProcess(tmp_path / layout, databases("postgresql").url,
                          transport_url=vhost.transport_url, amqp_url=vhost.amqp_url,
                          shared_topics=1, extra=textwrap.dedent(extra))
        made.append(h)
        h.prepare_database()
        return h

    yield make
    for h in made:
        h.cleanup()


def publish(h: HeraldProcess, key: str, bodies: list[bytes]) -> None:
    """As the services publish: to their exchange, with the topic's routing key."""
    props = {"content_type": "application/json", "content_encoding": "utf-8",
             "delivery_mode": 2}
    with kombu.Connection(h.amqp_url) as conn:
        raw = conn.connection.channel()
        for body in bodies:
            raw.basic_publish(amqp.Message(body, **props), exchange=h.exchange,
                              routing_key=key)


def ready(h: HeraldProcess, queue: str) -> int:
    """Notifications the queue has not delivered yet."""
    with kombu.Connection(h.amqp_url) as conn:
        return conn.channel().queue_declare(queue, passive=True).message_count


def cinder_failure() -> bytes:
    """What cinder's scheduler sends when no back end can take a volume."""
    return wire.body_v2(emitted.cinder_volume(
        "create_volume", "NoValidBackend('No valid backend was found. No weighed backends "
        "available')", volume_id=str(uuid.uuid4()), project="p-failures-first"))


@pytest.mark.parametrize("layout", ["after", "before"])
def test_a_failure_behind_a_routine_backlog_is_stored_before_the_backlog_drains(
        make_herald, vhost, layout):
    """``after`` (the default): the failure's row exists while the routine
    backlog published before it still has notifications to deliver.
    ``before`` (``failure_priorities`` empty, one queue): the same failure is
    stored only once the whole backlog ahead of it was delivered -- the
    control that shows the assertion can fail."""
    h = make_herald(layout)
    h.start()  # herald declares and binds its queues
    assert h.stop() == 0
    shared = h.shared_topics[0]
    routine = [wire.body_v2(emitted.routine(i)) for i in range(200)]
    publish(h, f"{shared}.info", routine * (BACKLOG // len(routine)))
    queued = lambda n: lambda: ready(h, h.shared_queue) == n  # noqa: E731
    services.wait_until(queued(BACKLOG), 60, "the backlog in herald's queue")
    publish(h, f"{shared}.error", [cinder_failure()])  # behind every routine one
    services.wait_until(queued(BACKLOG + (layout == "before")), 60, "the failure queued")

    h.start()
    services.wait_until(lambda: h.counts()[0] == 1, 120, "the failure's row")
    left = ready(h, h.shared_queue)  # after the row: the backlog only shrinks
    if layout == "after":
        assert left > 0, "the failure was stored only after the routine backlog drained"
    else:
        assert left == 0
    services.wait_until(lambda: vhost.drained(h.shared_queue), 120, "the routine backlog")
    assert h.counts() == (1, 0)
    assert h.rows()[0]["event_id"] == "VOLUME_NO_VALID_BACKEND"


def test_an_upgrade_from_the_single_queue_loses_nothing(make_herald, vhost):
    """A deployment of the layout before: herald's one shared queue bound to
    every priority, holding notifications of every priority while herald is
    stopped for the upgrade. The new herald stores every one of them, and
    its failures reach it through the failures queue only."""
    h = make_herald("after")
    shared = h.shared_topics[0]
    h.declare_exchanges()
    with kombu.Connection(h.amqp_url) as conn:  # what herald before the change declared
        ch = conn.channel()
        ch.queue_declare(h.shared_queue, durable=True, auto_delete=False)
        for p in PRIORITIES:
            ch.queue_bind(h.shared_queue, h.exchange, routing_key=f"{shared}.{p}")
    held = {}
    for i, priority in enumerate(["info", "warn", "error", "critical", "audit"] * 60):
        mid = f"left-{i}"
        held[mid] = priority
        publish(h, f"{shared}.{priority}", [wire.body_v2(wire.message(wire.payload(
            "VOLUME_DELETE_FAILED", {"volume_id": str(uuid.uuid4()), "reason": "in_use"},
            resource_uuid=f"res-{i}"), message_id=mid, priority=priority.upper()))])
    services.wait_until(lambda: ready(h, h.shared_queue) == len(held), 60, "the old queue")

    h.start()
    h.wait_for_outcomes(stored=len(held), rejected=0, timeout=120)
    assert {r["message_id"] for r in h.rows()} == set(held)
    services.wait_until(lambda: vhost.drained(h.shared_queue), 60, "the old queue")
    bindings = broker.rabbitmqctl("list_bindings", "-p", vhost.name, "--no-table-headers",
                                  "destination_name", "routing_key")
    bound = {tuple(line.split("\t")) for line in bindings.splitlines()}
    for p in PRIORITIES:
        queue = h.shared_queue + (".failures" if p in FAILURE_PRIORITIES else "")
        assert (queue, f"{shared}.{p}") in bound
        other = h.shared_queue + ("" if p in FAILURE_PRIORITIES else ".failures")
        assert (other, f"{shared}.{p}") not in bound
    assert "Failures reach herald through its queue" in h.log()
    # after the upgrade: a failure goes through the failures queue alone, once
    publish(h, f"{shared}.error", [cinder_failure()])
    h.wait_for_outcomes(stored=len(held) + 1, rejected=0)
