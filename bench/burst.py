"""Failures behind routine traffic: how long a failure waits (issue 25).

    python bench/burst.py [--routine 100000] [--backlog 1000000] [--layouts before,after]

One herald-listener worker, PostgreSQL, the services' traffic on a shared
topic. The failure is the body real Cinder 29 sent for a volume no back end
could take (tests/samples/captured), with fresh IDs, stamped with its send
time; its latency is publish -> commit, measured by the database (a
bench-only column ``committed_at DEFAULT clock_timestamp()``). Routine
traffic is nova's and cinder's INFO notifications (tests/emitted.py).

For each layout, in turn, in the same run:

- ``before``: ``[listener] failure_priorities =`` (empty): one shared queue
  for every priority, as herald had it;
- ``after``: the default, failures through a queue and a connection of their own;

three shapes:

1. idle: failures one every 100 ms, nothing else;
2. burst: ``--routine`` routine notifications published with raw kombu
   (an oslo Notifier publishes ~1.3k msg/s) while herald's worker is paused
   (so that the whole burst is queued, as when it comes faster than herald
   reads), then the worker resumed and ``--failures`` failures sent right
   after; the slowest of them, and when the routine queue had nothing left
   to deliver (the routine drain rate);
3. backlog: herald stopped, ``--backlog`` routine notifications queued,
   herald started, and one failure every 500 ms for ``--backlog-seconds``;
   their latencies, and the routine drain rate (``Consuming`` -> queue empty).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import amqp
import kombu
import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, traffic
from bench.run import pg_database

ROOT = Path(__file__).resolve().parents[1]
CAPTURED = ROOT / "tests/samples/captured/cinder-29.0.0-scheduler.create_volume.json"
STAMP = traffic.STAMP
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LAYOUTS = {"before": "failure_priorities =\n", "after": ""}
PREFETCH = 1000  # herald's rabbit_qos_prefetch_count: delivered to the paused worker


def failure_bodies(n: int) -> list[bytes]:
    """The captured Cinder body, every UUID (message, volume, request...)
    fresh, so each one is a new row; the timestamp is stamped at send."""
    outer = json.loads(CAPTURED.read_text())
    inner = json.loads(outer["oslo.message"])
    inner["timestamp"] = STAMP
    text = json.dumps(inner)
    out = []
    for _ in range(n):
        fresh: dict[str, str] = {}
        body = UUID.sub(lambda m, f=fresh: f.setdefault(m.group(0), str(uuid.uuid4())), text)
        out.append(json.dumps({"oslo.version": "2.0", "oslo.message": body}).encode())
    return out


def routine_bodies(n: int = 2000) -> list[bytes]:
    from tests import emitted, wire
    return [wire.body_v2(emitted.routine(i, project=traffic.PROJECT)) for i in range(n)]


def _publish_routine(exchange: str, key: str, n: int) -> None:
    """Raw py-amqp, no confirms; reconnects when the broker's flow control
    holds a write too long (a resent notification is one more routine one)."""
    bodies = routine_bodies()
    props = {"content_type": "application/json", "content_encoding": "utf-8",
             "delivery_mode": 2}
    i = 0
    while i < n:
        try:
            with kombu.Connection(traffic.AMQP_URL) as conn:
                raw = conn.connection.channel()
                conn.connection.transport.sock.settimeout(None)
                while i < n:
                    raw.basic_publish(amqp.Message(bodies[i % len(bodies)], **props),
                                      exchange=exchange, routing_key=key)
                    i += 1
        except (OSError, amqp.exceptions.AMQPError) as exc:
            print(f"routine publisher: {exc!r}; reconnecting at {i}", flush=True)
            time.sleep(1)


def publish_routine(exchange: str, key: str, n: int, processes: int = 2) -> float:
    """``n`` routine notifications on ``key``, from child processes; seconds."""
    t0 = time.monotonic()
    ctx = multiprocessing.get_context("spawn")
    share = [n // processes + (i < n % processes) for i in range(processes)]
    procs = [ctx.Process(target=_publish_routine, args=(exchange, key, k)) for k in share]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError("routine publisher failed")
    return time.monotonic() - t0


class Layout:
    """One herald configuration, its queues and its database."""

    def __init__(self, name: str, workdir: Path, token: str) -> None:
        self.name = name
        self.topic = f"burst_{token}_{name}"
        self.exchange = f"burst_ex_{token}_{name}"
        self.queue = f"burst_{token}_{name}_herald"
        self.db_url = pg_database(f"herald_burst_{name}")
        self.engine = sa.create_engine(self.db_url, pool_pre_ping=True)
        self.log = workdir / f"{name}.log"
        self.conf = workdir / f"{name}.conf"
        self.conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            transport_url = rabbit://guest:guest@127.0.0.1:5672/
            [database]
            connection = {self.db_url}
            [listener]
            workers = 1
            topics =
            shared_topics = {self.topic}
            shared_queue = {self.queue}
            exchanges = {self.exchange}
            """) + LAYOUTS[name] + textwrap.dedent("""\
            [collector]
            stats_interval = 0
            [storage]
            message_reap_interval = -1
            """))
        with kombu.Connection(traffic.AMQP_URL) as conn:  # the services' exchange
            conn.channel().exchange_declare(self.exchange, "topic", durable=True,
                                            auto_delete=False)
        harness.reset_db(self.conf, self.engine)
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "ALTER TABLE messages ADD COLUMN committed_at timestamp "
                "DEFAULT (clock_timestamp() AT TIME ZONE 'UTC')"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.sent = 0
        self.failures = iter(())

    def start(self) -> float:
        """Start herald; the monotonic time it logged "Consuming"."""
        before = self.log.read_text().count("Consuming") if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "listener.cmd.listener",
                                          "--config-file", str(self.conf)], stdout=out,
                                         stderr=subprocess.STDOUT)
        end = time.monotonic() + 120
        while self.log.read_text(errors="replace").count("Consuming") <= before:
            if time.monotonic() > end or self.proc.poll() is not None:
                raise RuntimeError(f"herald did not start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.005)
        return time.monotonic()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(120)

    def send_failures(self, n: int, interval: float) -> None:
        bodies = failure_bodies(n)
        props = {"content_type": "application/json", "content_encoding": "utf-8",
                 "delivery_mode": 2}
        with kombu.Connection(traffic.AMQP_URL) as conn:
            raw = conn.connection.channel()
            for i, body in enumerate(bodies):
                if i and interval:
                    time.sleep(interval)
                now = traffic.utcnow().isoformat(sep=" ", timespec="microseconds").encode()
                raw.basic_publish(amqp.Message(body.replace(STAMP.encode(), now, 1), **props),
                                  exchange=self.exchange, routing_key=f"{self.topic}.error")
        self.sent += n

    def latencies(self, timeout: float = 900) -> list[float]:
        """publish -> commit of every failure sent so far (ms), once all are stored."""
        end = time.monotonic() + timeout
        while self._rows() < self.sent:
            if time.monotonic() > end:
                raise RuntimeError(f"{self.name}: failures not all stored")
            time.sleep(0.02)
        with self.engine.begin() as conn:
            out = [float(r[0]) * 1000.0 for r in conn.execute(sa.text(
                "SELECT EXTRACT(EPOCH FROM committed_at - created_at) FROM messages"))]
            conn.execute(sa.text("DELETE FROM messages"))
        self.sent = 0
        return out

    def _rows(self) -> int:
        try:
            return harness.count_rows(self.engine)
        except sa.exc.OperationalError:  # the machine's PostgreSQL is shared: restarted
            print(f"[{self.name}] PostgreSQL unreachable; waiting", flush=True)
            time.sleep(1)
            return -1

    def ready(self) -> int:
        """Routine notifications still to deliver (the routine queue's ready count)."""
        with kombu.Connection(traffic.AMQP_URL) as conn:
            return conn.channel().queue_declare(self.queue, passive=True).message_count

    def fill(self, n: int) -> float:
        """Queue ``n`` routine notifications while herald is stopped; seconds.
        Publishing has no confirms: what a reconnection lost is topped up."""
        t0 = time.monotonic()
        have = self.ready()
        while have < n:
            publish_routine(self.exchange, f"{self.topic}.info", n - have)
            last, have = -1, self.ready()
            while have != last:  # until the broker's count settles
                time.sleep(1)
                last, have = have, self.ready()
        return time.monotonic() - t0

    def wait_drained(self, timeout: float = 1800) -> float:
        end = time.monotonic() + timeout
        while self.ready() > 0:
            if time.monotonic() > end:
                raise RuntimeError(f"{self.name}: routine queue not drained")
            time.sleep(0.05)
        return time.monotonic()

    def cleanup(self) -> None:
        self.stop()
        with kombu.Connection(traffic.AMQP_URL) as conn:
            ch = conn.channel()
            for q in (self.queue, f"{self.queue}.failures"):
                ch.queue_delete(q)
            ch.exchange_delete(self.exchange)
        self.engine.dispose()


def summary(ms: list[float]) -> dict[str, float]:
    v = sorted(ms)
    return {"n": len(v), "p50_ms": round(statistics.median(v), 1),
            "p99_ms": round(v[int(0.99 * (len(v) - 1))], 1), "max_ms": round(v[-1], 1)}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_layout(lay: Layout, a: argparse.Namespace) -> dict:
    out: dict = {}
    print(f"[{lay.name}] load average {load()}", flush=True)
    lay.start()
    if "idle" in a.shapes:
        lay.send_failures(a.idle_failures, 0.1)
        out["idle"] = summary(lay.latencies())
        print(f"[{lay.name}] idle: {out['idle']}", flush=True)
    if "burst" in a.shapes:
        # The burst must reach the queue faster than herald reads it, as
        # the hourly audit does; a publisher on these two shared cores is
        # not faster than herald, so herald's worker is paused meanwhile
        # (SIGSTOP: its connections stay open) and resumed right before the
        # failures are sent.
        worker = harness.workers_of(psutil.Process(lay.proc.pid), 1)[0]
        worker.suspend()
        try:
            published = publish_routine(lay.exchange, f"{lay.topic}.info", a.routine)
            while lay.ready() + PREFETCH < a.routine:
                time.sleep(0.05)
        finally:
            worker.resume()
        t0 = time.monotonic()
        lay.send_failures(a.failures, 0.01)
        lat = lay.latencies()
        drained = lay.wait_drained() - t0
        out["burst"] = {**summary(lat), "slowest_ms": round(max(lat), 1),
                        "publish_s": round(published, 2), "drained_s": round(drained, 2),
                        "routine_rate": round(a.routine / drained)}
        print(f"[{lay.name}] burst of {a.routine:,}: {out['burst']}", flush=True)
    lay.stop()
    if "backlog" in a.shapes:
        queued = lay.fill(a.backlog)
        print(f"[{lay.name}] {a.backlog:,} queued in {queued:.0f} s; load average {load()}",
              flush=True)
        consuming = lay.start()
        count = max(1, int(a.backlog_seconds / 0.5))
        lay.send_failures(count, 0.5)
        lat = lay.latencies(timeout=1800)
        drained = lay.wait_drained() - consuming
        out["backlog"] = {**summary(lat), "drained_s": round(drained, 1),
                          "routine_rate": round(a.backlog / drained)}
        print(f"[{lay.name}] start with {a.backlog:,} queued: {out['backlog']}", flush=True)
    out["load_after"] = load()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--routine", type=int, default=100_000)
    p.add_argument("--failures", type=int, default=5)
    p.add_argument("--idle-failures", type=int, default=20)
    p.add_argument("--backlog", type=int, default=1_000_000)
    p.add_argument("--backlog-seconds", type=float, default=20.0,
                   help="failures are sent (one every 500 ms) for this long after start")
    p.add_argument("--layouts", default="before,after")
    p.add_argument("--shapes", default="idle,burst,backlog")
    p.add_argument("--json", type=Path)
    a = p.parse_args()
    a.shapes = set(a.shapes.split(","))
    results = {"load_start": load(), "cpus": os.cpu_count()}
    token = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="herald-burst-") as tmp:
        for name in a.layouts.split(","):
            lay = Layout(name, Path(tmp), token)
            try:
                results[name] = run_layout(lay, a)
            finally:
                lay.cleanup()
    results["load_end"] = load()
    print(json.dumps(results, indent=2))
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
