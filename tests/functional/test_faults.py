"""herald's promise, proved by breaking things for real.

Every notification that reaches the broker ends as exactly one messages row
or exactly one rejected_notifications row, whatever fails around it. Each
scenario publishes a known set of notifications (valid and invalid mixed)
at a steady rate while the fault happens, then checks: every outcome
present, none twice, nothing unexpected, the queue empty, the daemon alive.
Counts are recorded for docs/reliability.md (HERALD_RELIABILITY_REPORT).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services
from tests.functional.load import Load

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql, pytest.mark.fault]

N, RATE = 3000, 150  # 20 s of steady load


def start_load(h, n=N, rate=RATE, after=500):
    load = Load(h.topic, h.exchange, n, rate).start()
    services.wait_until(lambda: load.published >= after, 60, f"{after} published")
    return load


def finish(h, load, reliability, scenario, timeout=240, **extra):
    load.join()
    services.wait_until(lambda: load.complete(h.engine), timeout,
                        f"an outcome for each of {N} notifications")
    counts = load.verify(h.engine)
    reliability(scenario, counts, **extra)
    assert counts == {"published": len(load.bodies), "stored": len(load.stored),
                      "rejected": len(load.rejected), "lost": 0, "duplicated": 0,
                      "unexpected": 0}, h.log()[-3000:]
    return counts


def stop_cleanly(h):
    assert h.alive(), h.log()[-3000:]
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}


def peak_rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


SERVER = {"postgresql": "PostgreSQL (psycopg 3)", "psycopg2": "PostgreSQL (psycopg2)",
          "mysql": "MariaDB (PyMySQL)", "sqlite": "SQLite"}


@pytest.mark.parametrize("db", ["postgresql", "psycopg2", "mysql"])
def test_database_stops_for_20_seconds(herald, reliability, db):
    h = herald(db).start()
    load = start_load(h)
    services.STOP[db]()
    try:
        time.sleep(20)
        assert h.alive()
    finally:
        services.START[db]()
    finish(h, load, reliability, f"{SERVER[db]} stopped for 20 s, then started")
    log = h.log()
    assert log.count("holding the batch unacknowledged") == 1  # once per outage
    assert log.count("available again after") == 1
    stop_cleanly(h)


def test_rabbitmq_restarts(herald, reliability):
    h = herald("postgresql").start()
    load = start_load(h)
    services.stop_rabbitmq()
    try:
        time.sleep(5)
    finally:
        services.start_rabbitmq()
    finish(h, load, reliability, "RabbitMQ node stopped for 5 s, then started")
    log = h.log()
    assert "RabbitMQ connection to amqp://guest:**@127.0.0.1:5672// failed" in log
    assert log.count("Consuming ") >= 2  # reconnected by itself
    stop_cleanly(h)


@pytest.mark.parametrize("db", ["postgresql", "psycopg2", "mysql", "sqlite"])
def test_worker_killed_in_the_middle_of_a_batch(herald, reliability, db):
    h = herald(db).start()
    (victim,) = h.worker_pids()
    load = start_load(h, after=1000)
    os.kill(victim, signal.SIGKILL)
    services.wait_until(lambda: h.worker_pids() and h.worker_pids() != [victim], 60,
                        "cotyledon to start a new worker")
    finish(h, load, reliability, f"listener worker SIGKILLed under load (respawned), "
           f"{SERVER[db]}")
    assert f"Child {victim} killed by signal" in h.log()
    stop_cleanly(h)


@pytest.mark.parametrize("db", ["postgresql", "psycopg2", "mysql", "sqlite"])
def test_sigterm_under_load_then_restart(herald, reliability, db):
    h = herald(db).start()
    load = start_load(h, after=1000)
    started = time.monotonic()
    assert h.stop(timeout=60) == 0
    elapsed = time.monotonic() - started
    assert elapsed < 30, "not within graceful_shutdown_timeout (30 s in this config)"
    assert "Stopped consuming" in h.log()
    h.start()  # what was published meanwhile is still queued
    finish(h, load, reliability, f"SIGTERM under load, listener started again, {SERVER[db]}",
           stop_seconds=round(elapsed, 1))
    stop_cleanly(h)


def test_slow_database_lock_held_on_the_table(herald, reliability):
    h = herald("postgresql", extra="[database]\nstatement_timeout = 2\n").start()
    (worker,) = h.worker_pids()
    load = start_load(h, after=300)
    locker = sa.create_engine(h.db_url)
    released = threading.Event()

    def hold_lock():
        with locker.begin() as conn:
            conn.execute(sa.text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
            released.wait(15)

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        h.wait_log("holding the batch unacknowledged", timeout=30)
    finally:
        released.set()
        t.join()
        locker.dispose()
    rss = peak_rss_mib(worker)
    finish(h, load, reliability, "messages table locked for 15 s (statement_timeout 2 s)",
           peak_rss_mib=round(rss, 1))
    assert h.worker_pids() == [worker]  # no crash, no restart
    assert rss < 200  # bounded by the prefetch, not by the backlog
    stop_cleanly(h)


def test_two_listeners_and_two_reapers_at_once(herald, reliability):
    reap = "[storage]\nmessage_reap_interval = 2\nmessage_reap_batch_size = 200\n"
    h1 = herald("postgresql", extra=reap)
    h2 = herald("postgresql", extra=reap, share_with=h1)
    with h1.engine.begin() as conn:  # expired messages for both reapers to share
        conn.execute(sa.text(
            "INSERT INTO messages (id, message_id, project_id, event_id, resource_type, "
            "message_level, user_message, created_at, expires_at) "
            "SELECT md5(g::text)::uuid::text, 'old-' || g, 'p', 'VOLUME_DELETE_FAILED', "
            "'volume', 'ERROR', 'old', now() - interval '40 days', "
            "now() - interval '10 days' FROM generate_series(1, 3000) g"))
    h1.start()
    h2.start()
    load = start_load(h1)

    def expired():
        with h1.engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT count(*) FROM messages WHERE message_id LIKE 'old-%'")).scalar()

    services.wait_until(lambda: expired() == 0, 120, "the reapers to delete expired rows")
    finish(h1, load, reliability, "two listeners and two reapers on one queue and database")
    assert "Reaped" in h1.log() + h2.log()
    for h in (h1, h2):
        assert "Traceback" not in h.log()
        stop_cleanly(h)
