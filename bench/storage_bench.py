"""Storage benchmarks on PostgreSQL: the reaper under load, the read query at scale.

    python bench/storage_bench.py reaper    [--rows 1000000] [--batch 1000]
    python bench/storage_bench.py readquery [--rows 10000000] [--projects 10000]

reaper: fills ``messages`` with expired rows (SQL generate_series, untimed),
then runs herald's reaper (``store.reap_messages``, the code
``herald-manage messages reap`` and the reaper service run) while another
thread keeps inserting batches of 100 fresh messages through herald's store
every 20 ms. Reports the reaping time, its transactions, the longest one,
and the inserts' latencies (the longest is the worst stall).

readquery: fills ``messages`` with live rows spread over projects and 30
days, ANALYZEs, then times ``store.list_messages(project, limit=50)`` (the
read API's main query: one project, newest first, a page of 50) and its
second page, for random projects, and prints the query plan.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import listener.cmd  # noqa: F401 - the threading backend
from bench import run as bench_run
from collector.model import UserMessage, utcnow
from collector.validation import new_id
from listener import config
from storage import get_connection

FILL = """
INSERT INTO messages (id, message_id, project_id, user_id, request_id, event_id,
                      resource_type, resource_uuid, message_level, user_message,
                      publisher_id, created_at, expires_at)
SELECT md5(:seed || g::text)::uuid::text, :seed || '-' || g, 'project-' || (g % :projects),
       'user-1', 'req-' || md5(g::text), 'VOLUME_EXTEND_FAILED', 'VOLUME',
       md5('r' || g::text)::uuid::text, 'ERROR',
       'Volume ' || md5('r' || g::text)::uuid::text || ' could not be extended to 20 GB: '
         || 'the storage back end does not have enough free capacity. It remains usable.',
       'volume.bench-host',
       :base - (g % 2592000) * interval '1 second',
       :base - (g % 2592000) * interval '1 second' + :ttl * interval '1 second'
FROM generate_series(:start, :stop) AS g
"""


def store_for(name: str):
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    store = get_connection(conf, bench_run.pg_database(name), create=True)
    store.upgrade()
    store.wait_until_ready(lambda _s: True)
    return store


INDEXES = [
    ("DROP INDEX ix_messages_project_id_created_at_id",
     "CREATE INDEX ix_messages_project_id_created_at_id ON messages "
     "(project_id, created_at, id)"),
    ("DROP INDEX ix_messages_expires_at",
     "CREATE INDEX ix_messages_expires_at ON messages (expires_at)"),
    ("ALTER TABLE messages DROP CONSTRAINT uq_messages_message_id",
     "ALTER TABLE messages ADD CONSTRAINT uq_messages_message_id UNIQUE (message_id)"),
]


def fill(store, rows: int, projects: int, base: datetime.datetime, ttl: int,
         seed: str, bulk: bool = False) -> float:
    """Untimed set-up through a plain engine (herald's has a statement
    timeout). ``bulk`` drops the secondary indexes and rebuilds them after:
    the same final state, built in minutes instead of hours."""
    engine = sa.create_engine(store.engine.url)
    started = time.perf_counter()
    if bulk:
        with engine.begin() as conn:
            for drop, _create in INDEXES:
                conn.execute(sa.text(drop))
    step = 500_000
    for start in range(1, rows + 1, step):
        with engine.begin() as conn:
            conn.execute(sa.text(FILL), {"seed": seed, "projects": projects, "base": base,
                                         "ttl": ttl, "start": start,
                                         "stop": min(start + step - 1, rows)})
        print(f"  filled {min(start + step - 1, rows):,} rows", flush=True)
    if bulk:
        with engine.begin() as conn:
            conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
            for _drop, create in INDEXES:
                conn.execute(sa.text(create))
        print("  indexes rebuilt", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE messages"))
    engine.dispose()
    return time.perf_counter() - started


def fresh(n: int) -> list[UserMessage]:
    now = utcnow()
    return [UserMessage(new_id(), new_id(), "project-live", None, None, "VOLUME_DELETE_FAILED",
                        "VOLUME", None, "ERROR", "Volume x could not be deleted.", None, now,
                        now + datetime.timedelta(days=30)) for _ in range(n)]


def reaper(rows: int, batch: int) -> None:
    store = store_for("herald_bench_reap")
    now = utcnow()
    secs = fill(store, rows, 1000, now - datetime.timedelta(days=31), 86400, "expired")
    print(f"  {rows:,} expired rows in {secs:.0f} s (untimed)")
    stop, latencies = threading.Event(), []

    def insert_loop() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            store.insert_messages(fresh(100))
            latencies.append(time.perf_counter() - t)
            stop.wait(0.02)

    inserter = threading.Thread(target=insert_loop)
    inserter.start()
    time.sleep(1.0)
    started = time.perf_counter()
    result = store.reap_messages(utcnow(), batch)
    elapsed = time.perf_counter() - started
    time.sleep(1.0)
    stop.set()
    inserter.join()
    with store.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM messages WHERE expires_at < now()")
                            ).scalar()
        live = conn.execute(sa.text("SELECT count(*) FROM messages")).scalar()
    latencies.sort()
    print(f"\nreaper: deleted {result.deleted:,} expired rows in {elapsed:.1f} s "
          f"({result.deleted / elapsed:,.0f} rows/s), {result.transactions} transactions of "
          f"{batch}, longest transaction {result.longest_transaction * 1000:.0f} ms; "
          f"{left} expired rows left, {live:,} live rows")
    print(f"inserts meanwhile: {len(latencies)} batches of 100, p50 "
          f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
          f"{latencies[int(0.99 * (len(latencies) - 1))] * 1000:.1f} ms, longest "
          f"{latencies[-1] * 1000:.0f} ms")
    print("targets: no transaction over 1 s: "
          f"{'met' if result.longest_transaction < 1 else 'MISSED'}; inserts never stalled "
          f"over 1 s: {'met' if latencies[-1] < 1 else 'MISSED'}")


def readquery(rows: int, projects: int, samples: int) -> None:
    store = store_for("herald_bench_read")
    secs = fill(store, rows, projects, utcnow(), 30 * 86400, "live", bulk=True)
    print(f"  {rows:,} rows over {projects:,} projects in {secs:.0f} s (untimed)")
    with store.engine.connect() as conn:
        size = conn.execute(sa.text(
            "SELECT pg_size_pretty(pg_total_relation_size('messages'))")).scalar()
    rng = random.Random(7)
    picks = [f"project-{rng.randrange(projects)}" for _ in range(samples)]
    for p in picks[:20]:  # warm the cache the way a running API would be
        store.list_messages(p, limit=50)
    first, second = [], []
    for p in picks:
        t = time.perf_counter()
        page = store.list_messages(p, limit=50)
        first.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.list_messages(p, limit=50, marker=page[-1]["id"])
        second.append(time.perf_counter() - t)
    sql = ("SELECT id, user_message, created_at FROM messages WHERE project_id = :p "
           "AND expires_at > now() ORDER BY created_at DESC, id DESC LIMIT 50")
    with store.engine.connect() as conn:
        plan = [r[0] for r in conn.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql),
                                           {"p": picks[0]})]

    def pct(v: list[float], q: float) -> float:
        v = sorted(v)
        return v[int(q * (len(v) - 1))] * 1000

    print(f"\nread query at {rows:,} rows ({size} with indexes), {samples} random projects "
          f"of {rows // projects:,} rows each:")
    print(f"  first page of 50:  p50 {pct(first, .5):.2f} ms, p99 {pct(first, .99):.2f} ms")
    print(f"  second page:       p50 {pct(second, .5):.2f} ms, p99 {pct(second, .99):.2f} ms")
    print("plan:\n  " + "\n  ".join(plan))
    print(f"target <= 10 ms: {'met' if pct(first, .99) <= 10 else 'MISSED'} (p99 first page)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("reaper")
    r.add_argument("--rows", type=int, default=1_000_000)
    r.add_argument("--batch", type=int, default=1000)
    q = sub.add_parser("readquery")
    q.add_argument("--rows", type=int, default=10_000_000)
    q.add_argument("--projects", type=int, default=10_000)
    q.add_argument("--samples", type=int, default=500)
    a = p.parse_args()
    if a.what == "reaper":
        reaper(a.rows, a.batch)
    else:
        readquery(a.rows, a.projects, a.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
