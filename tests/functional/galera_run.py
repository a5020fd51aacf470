"""One failover of herald's database under load, observed from outside.

herald-listener (1 worker, its reaper every 2 s) writes through the
failover proxy while valid and invalid notifications arrive at a steady
rate; the node the proxy sends traffic to is killed (and left down, or
restarted) or isolated from its cluster 5 s into the load. The test
(tests/functional/test_galera.py) asserts the outcome; bench/galera_bench.py
repeats it and prints the figures. Everything is observed through SQL on a
node that stays in the cluster and through herald's log, never through
herald's code.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from typing import Any

import sqlalchemy as sa

from tests import services
from tests.functional.failover_proxy import FailoverProxy
from tests.functional.galera_cluster import Cluster, Node
from tests.functional.herald_process import HeraldProcess
from tests.functional.load import Load

N, RATE, FAULT_AFTER = 2100, 150, 750  # 14 s of load; the fault 5 s in
REAPER = """\
[storage]
message_reap_interval = 2
reap_retry_initial = 0.5
reap_retry_max = 2
"""
KILL, RESTART, ISOLATE = "kill", "restart", "isolate"


@dataclasses.dataclass
class Outcome:
    fault: str
    counts: dict[str, int]
    #: seconds from the fault to the first row herald committed after it
    resumed_s: float
    #: seconds from the fault to the proxy marking the node down
    marked_down_s: float | None
    #: expired rows inserted after the fault, deleted by herald's reaper
    reaped_after_fault: bool
    #: the restarted node rejoined by IST (restart only)
    ist: bool | None
    log: str

    def figures(self) -> dict[str, Any]:
        return {"fault": self.fault, **self.counts, "resumed_s": round(self.resumed_s, 2),
                "marked_down_s": None if self.marked_down_s is None
                else round(self.marked_down_s, 2), "ist": self.ist}


class Counter:
    """Samples herald's stored count on a node that stays up, to time the
    first commit after the fault."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT (SELECT count(*) FROM messages WHERE message_id NOT LIKE 'expired-%') "
                "+ (SELECT count(*) FROM rejected_notifications)")).scalar())

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self.samples.append((time.monotonic(), self.count()))
            except sa.exc.SQLAlchemyError:
                pass

    def start(self) -> Counter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.engine.dispose()

    def first_commit_after(self, fault: float, settle: float = 1.0) -> float | None:
        """When the count first grew past what it was ``settle`` s after the
        fault (commits made just before the fault land within that)."""
        base = max((c for t, c in self.samples if t <= fault + settle), default=0)
        return next((t for t, c in self.samples if t > fault + settle and c > base), None)


def node_url(node: Node, database: str) -> str:
    return f"mysql+pymysql://root@127.0.0.1:{node.port}/{database}?charset=utf8mb4"


def insert_expired(url: str, tag: str, n: int = 50) -> None:
    """Messages that expired long ago, for the reaper to delete."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO messages (id, message_id, project_id, event_id, resource_type, "
                "message_level, user_message, created_at, expires_at) VALUES (:id, :mid, 'p', "
                "'VOLUME_DELETE_FAILED', 'volume', 'ERROR', 'old', NOW() - INTERVAL 40 DAY, "
                "NOW() - INTERVAL 10 DAY)"),
                [{"id": f"{tag}-{i:04d}-{secrets.token_hex(8)}", "mid": f"expired-{tag}-{i}"}
                 for i in range(n)])
    finally:
        engine.dispose()


def expired_left(url: str, tag: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM messages WHERE message_id "
                                             "LIKE :t"), {"t": f"expired-{tag}-%"}).scalar())
    finally:
        engine.dispose()


def run(cluster: Cluster, tmp: Any, fault: str, inter: float | None = None,
        fall: int | None = None) -> Outcome:
    """herald on ``cluster`` behind a fresh proxy; ``fault`` hits the node
    the proxy sends traffic to. The cluster is healed first."""
    cluster.heal()
    database = f"herald_{secrets.token_hex(4)}"
    victim, survivor = cluster.nodes[0], cluster.nodes[1]
    victim.query(f"CREATE DATABASE {database} CHARACTER SET utf8mb4", timeout=30)
    knobs = {k: v for k, v in (("inter", inter), ("fall", fall)) if v is not None}
    with FailoverProxy(cluster.nodes, **knobs) as proxy:
        assert proxy.active() is victim
        h = HeraldProcess(tmp, proxy.url(database), extra=REAPER)
        counter = None
        try:
            h.prepare_database()
            h.start()
            direct = node_url(survivor, database)
            insert_expired(direct, "before")
            services.wait_until(lambda: expired_left(direct, "before") == 0, 30,
                                "the reaper to reap before the fault")
            counter = Counter(direct).start()
            workers = h.worker_pids()
            load = Load(h.topic, h.exchange, N, RATE).start()
            services.wait_until(lambda: load.published >= FAULT_AFTER, 60,
                                f"{FAULT_AFTER} published")
            at = time.monotonic()
            if fault == ISOLATE:
                cluster.isolate(victim)
            else:
                cluster.kill(victim)
            # the reaper must reap again after the fault: rows that expired
            # long ago, inserted now on a node that stays in the cluster
            insert_expired(direct, "after")
            ist = None
            if fault == RESTART:
                time.sleep(max(0.0, at + 10 - time.monotonic()))
                cluster.restart(victim)
                ist = cluster.ist_received(victim)
            load.join()
            # read on a node that stays in the cluster: a connection of the
            # test's own through the proxy may be stuck on the isolated node
            services.wait_until(lambda: load.complete(counter.engine), 240,
                                f"an outcome for each of {N} notifications")
            services.wait_until(lambda: expired_left(direct, "after") == 0, 60,
                                "the reaper to reap after the fault")
            resumed = counter.first_commit_after(at)
            assert resumed is not None, "no commit after the fault"
            down = proxy.when(f"{victim.name} down", at)
            counts = load.verify(counter.engine)
            assert h.alive(), h.log()[-3000:]
            assert h.worker_pids() == workers  # no worker died and was restarted
            assert h.stop() == 0
            assert set(h.queue_depths().values()) == {0}
            return Outcome(fault, counts, resumed - at, None if down is None else down - at,
                           True, ist, h.log())
        finally:
            if counter is not None:
                counter.stop()
            h.cleanup()
            survivor.query(f"DROP DATABASE IF EXISTS {database}", timeout=60)
