"""herald on a three-node MariaDB Galera cluster behind HAProxy, as
kolla-ansible deploys OpenStack's database.

The cluster and the proxy are the test's own (tests/functional/
galera_cluster.py, failover_proxy.py: the installed mariadbd and galera-4,
the machine's MariaDB is not involved). Under steady load of valid and
invalid notifications, the node the proxy sends all traffic to is killed
and left down, killed and restarted (it rejoins by IST), or isolated from
the cluster so that it leaves the quorum while the proxy still sends
traffic to it. Each time every notification must end with exactly one
outcome, herald's worker must never restart, and its reaper must reap rows
inserted after the fault.
"""

from __future__ import annotations

import pytest

from tests.functional import galera_run
from tests.functional.galera_cluster import Cluster

pytestmark = [pytest.mark.rabbit, pytest.mark.mysql, pytest.mark.fault, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        yield c.up()
    finally:
        c.stop()


def check(outcome, reliability, scenario):
    reliability(scenario, outcome.counts, **{k: v for k, v in outcome.figures().items()
                                            if k.endswith("_s")})
    n = galera_run.N
    assert outcome.counts == {"published": n, "stored": n - 3 * n // 10,
                              "rejected": 3 * n // 10, "lost": 0, "duplicated": 0,
                              "unexpected": 0}, outcome.log[-3000:]
    assert outcome.reaped_after_fault
    # the outage (10 s and more) spans several reaper intervals (2 s): a pass
    # failed, was retried on new connections, and succeeded again
    assert "Reaping failed (1st failure in a row)" in outcome.log
    assert "Reaping works again" in outcome.log.rsplit("Reaping failed", 1)[1]
    # the batch in flight was held, never acknowledged before a commit
    assert "holding the batch unacknowledged" in outcome.log


def test_the_active_node_is_killed_and_left_down(cluster, tmp_path, reliability):
    outcome = galera_run.run(cluster, tmp_path, galera_run.KILL)
    check(outcome, reliability, "Galera cluster of 3 behind a failover proxy: the active "
          "node SIGKILLed under load, left down")
    assert outcome.marked_down_s is not None  # the proxy failed over


def test_the_active_node_is_killed_and_rejoins_by_ist(cluster, tmp_path, reliability):
    outcome = galera_run.run(cluster, tmp_path, galera_run.RESTART)
    check(outcome, reliability, "Galera cluster of 3 behind a failover proxy: the active "
          "node SIGKILLed under load, restarted 10 s later (rejoins by IST)")
    assert outcome.ist  # recovered with --wsrep-recover, no full SST


def test_the_active_node_leaves_the_quorum(cluster, tmp_path, reliability):
    """The isolated node keeps herald's connections open and answers 1047:
    herald must leave it (storage.failover) once the proxy stops sending
    new connections there."""
    outcome = galera_run.run(cluster, tmp_path, galera_run.ISOLATE)
    check(outcome, reliability, "Galera cluster of 3 behind a failover proxy: the active "
          "node isolated from the cluster (gmcast.isolate) under load")
    assert "answered 1047" in outcome.log
    # each connection to the isolated node was dropped at its first error
    # (storage.failover), not returned to the pool, where resetting it
    # would fail again with 1047 and SQLAlchemy log a traceback each time
    assert "Exception during reset" not in outcome.log
    assert outcome.marked_down_s is not None
