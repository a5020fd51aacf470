"""A broker restart under real Cinder: the first failure after it reaches
its owner every time (docs/operations.md, RabbitMQ definitions).

Cinder 29 runs at oslo's defaults, so its ``openstack`` exchange is
transient: a restart removes it, and herald's binding with it. RabbitMQ is
a node of the test's own (tests/functional/rabbit_cluster.py) that loads
``herald-manage broker definitions`` at boot. Each round pauses herald
(SIGSTOP: it certainly cannot bind anything), kills the node and starts it
again, creates a volume the moment cinder-scheduler consumes again, waits
for Cinder to fail it (no back end), and only then lets herald run: the
scheduler's ``scheduler.create_volume`` failure must have waited in
herald's queue and become herald's message for the volume's owner. A
control round first, without the definitions, shows the window: nothing
reaches herald's queue.

Found on the way (Cinder's, not herald's): a create made *during* the
outage is lost by Cinder when cinder-api reconnects before cinder-scheduler
has re-declared its transient RPC queue (the cast is routed to no queue and
the volume stays ``creating``); herald cannot see that one.
"""

from __future__ import annotations

import json
import os
import signal

import amqp
import kombu
import pytest

from tests import services
from tests.functional.herald_process import HeraldProcess
from tests.functional.rabbit_cluster import Cluster
from tests.integration.cinder import Cinder

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.fault, pytest.mark.slow]

ROUNDS = 3


class NodeVhost:
    """What Cinder's helper needs of a broker: the node's default vhost."""

    def __init__(self, cluster: Cluster) -> None:
        self.node = cluster.nodes[0]
        self.transport_url = f"rabbit://{self.node.url}/"
        self.amqp_url = cluster.amqp_url(self.node)

    def consumed(self, name: str) -> bool:
        try:
            with kombu.Connection(self.amqp_url, connect_timeout=5) as conn:
                return conn.channel().queue_declare(name, passive=True).consumer_count > 0
        except (amqp.exceptions.NotFound, OSError):
            return False


@pytest.fixture
def node(tmp_path):
    c = Cluster(tmp_path / "rabbit", size=1)
    try:
        yield c.up()
    finally:
        c.stop()


@pytest.fixture
def cinder(cinder_venv, node, databases, tmp_path):
    c = Cinder(cinder_venv, NodeVhost(node), databases, tmp_path)
    yield c
    c.stop()


def test_the_first_failure_after_a_broker_restart_reaches_its_owner(
        node, cinder, databases, tmp_path):
    vhost = NodeVhost(node)
    h = HeraldProcess(
        tmp_path / "herald", databases.create("herald", driver="postgresql+psycopg"),
        transport_url=vhost.transport_url, amqp_url=vhost.amqp_url, exchanges=["openstack"],
        topic="user_messages", shared_topics=["notifications"],
        # as Cinder has them (oslo's defaults): the definitions declare its exchange so
        extra="[oslo_messaging_rabbit]\namqp_durable_queues = false\n"
              "rabbit_retry_backoff = 0\n")
    h.prepare_database()
    try:
        cinder.start()
        h.start(services_first=False)
        defs = tmp_path / "herald-definitions.json"
        result = h.manage("broker", "definitions", "--output", str(defs))
        assert result.returncode == 0, result.stderr
        assert json.loads(defs.read_text())["exchanges"][0]["durable"] is False
        n = node.nodes[0]

        def restart_then_fail_a_create() -> tuple[str, str, int]:
            """Herald paused throughout: (volume, request id, notifications
            waiting in herald's queue once Cinder has failed the create)."""
            herald_pids = [h.proc.pid, *h.worker_pids()]
            for pid in herald_pids:
                os.kill(pid, signal.SIGSTOP)
            try:
                node.kill(n)
                node.start(n)
                services.wait_until(lambda: vhost.consumed("cinder-scheduler"), 120,
                                    "cinder-scheduler to consume again")
                volume_id, request_id = cinder.create_volume(1)
                cinder.wait_status(volume_id, "error")
                out = node.ctl(n, "list_queues", "-q", "--no-table-headers", "name", "messages")
                waiting = int(dict(line.split("\t") for line in out.splitlines())
                              [h.shared_queue])
            finally:
                for pid in herald_pids:
                    os.kill(pid, signal.SIGCONT)
            return volume_id, request_id, waiting

        # control, without the definitions: nothing can reach herald's queue
        # (herald is paused, so it cannot bind; the restart removed its binding)
        lost, _, waiting = restart_then_fail_a_create()
        assert waiting == 0
        node.extra_config = f"load_definitions = {defs}\n"
        for i in range(ROUNDS):
            volume_id, request_id, waiting = restart_then_fail_a_create()
            assert waiting >= 1  # routed by the binding RabbitMQ loaded at boot
            services.wait_until(lambda vid=volume_id: vid in {
                r["resource_uuid"] for r in h.rows()}, 90,
                f"round {i + 1}: herald's message for volume {volume_id}")
            row = next(r for r in h.rows() if r["resource_uuid"] == volume_id)
            assert (row["project_id"], row["event_id"], row["request_id"]) == (
                "demo", "VOLUME_NO_VALID_BACKEND", request_id)
            print(f"round {i + 1}: volume {volume_id} -> {row['event_id']}")
        assert lost not in {r["resource_uuid"] for r in h.rows()}
        assert h.rejected() == []
        text = cinder.logs_text()
        assert "PRECONDITION_FAILED" not in text and "inequivalent arg" not in text
    finally:
        h.cleanup()
