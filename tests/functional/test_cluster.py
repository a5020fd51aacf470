"""herald on a three-node RabbitMQ cluster with quorum queues, as operators
who outgrow one machine run it.

herald is configured as an operator would: ``transport_url`` names the three
nodes and ``rabbit_quorum_queue = true``, so herald's own queue is a quorum
queue replicated on all three. Notifications are published with confirms to
nodes that stay up while the node that leads herald's queue, and holds
herald's connection, is killed (SIGKILL). Every notification must end with
exactly one outcome, the worker must never restart, and herald must consume
again within 10 s. The machine's broker on 5672 is not involved.
"""

from __future__ import annotations

import datetime
import re

import pytest

from tests import services
from tests.functional.load import Load
from tests.functional.rabbit_cluster import Cluster
from tests.functional.test_faults import finish

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql, pytest.mark.fault, pytest.mark.slow]

N, RATE = 3000, 150
QUORUM = "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n"
FAILOVER = 10  # seconds: the bound the issue set; about 1.1-1.4 s were measured
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c.up()
    finally:
        c.stop()


def failover_seconds(log: str) -> float:
    """From the log line reporting the lost connection to the next
    "Consuming": how long herald did not consume."""
    lines = log.splitlines()
    lost = next(i for i, line in enumerate(lines) if "RabbitMQ connection to" in line
                and "failed" in line)
    back = next(line for line in lines[lost:] if "Consuming" in line)

    def at(line: str) -> datetime.datetime:
        return datetime.datetime.strptime(STAMP.match(line).group(1), "%Y-%m-%d %H:%M:%S.%f")
    return (at(back) - at(lines[lost])).total_seconds()


def run_with_a_node_killed(cluster, herald, reliability, victim, others, restart, scenario):
    h = herald("postgresql", transport_url=cluster.transport_url(victim),
               amqp_url=cluster.amqp_url(others[0]), extra=QUORUM, shared_topics=1).start()
    # herald connected to the victim and declared its queue there: it leads it
    assert cluster.leader(h.shared_queue) == victim.nodename
    assert all(n.nodename in cluster.members(h.shared_queue) for n in cluster.nodes)
    workers = h.worker_pids()
    load = Load(h.shared_topics[0], h.exchange, N, RATE,
                urls=[cluster.amqp_url(n) for n in others]).start()
    services.wait_until(lambda: load.published >= 1000, 60, "1000 published")
    cluster.kill(victim)
    h.wait_log("Consuming", count=2, timeout=FAILOVER)  # consuming again, from another node
    assert cluster.leader(h.shared_queue) != victim.nodename
    if restart:
        cluster.restart(victim)
    finish(h, load, reliability, scenario, failover_s=round(failover_seconds(h.log()), 2))
    assert h.alive() and h.worker_pids() == workers  # never restarted
    assert h.stop() == 0


def test_the_leader_of_heralds_queue_is_killed_mid_flow_and_comes_back(
        cluster, herald, reliability):
    n1, n2, n3 = cluster.nodes
    run_with_a_node_killed(cluster, herald, reliability, n1, [n2, n3], restart=True,
                           scenario="cluster of 3, quorum queue: its leader (herald's "
                           "node) killed mid-flow, then started")


def test_a_node_that_stays_down(cluster, herald, reliability):
    n1, n2, n3 = cluster.nodes
    run_with_a_node_killed(cluster, herald, reliability, n3, [n1, n2], restart=False,
                           scenario="cluster of 3, quorum queue: its leader (herald's "
                           "node) killed mid-flow, left down")
