"""herald's benchmark: one command, one sitting, ratios from the same run.

    python bench/run.py [-n 50000] [--skip-sqlite] [--variants anchor,pg,...] [--json FILE]

(a) pre-fills the queue with raw kombu (untimed, child process);
(b) measures the raw kombu consume ceiling (prefetch 1000, multi-ack / 100)
    right before every drain: the VM's speed drifts within a sitting, so each
    drain is compared with its own ceiling and a variant's ratio is the median
    of its --repeat paired ratios (rates and CPU: medians too);
(c) the anchor: a Ceilometer-style oslo.messaging batch-listener pipeline
    doing the same work (herald-listener with [listener] intake = oslo);
(d) herald end to end (real herald-listener processes, kombu intake) with
    SQLite and PostgreSQL, 1 and 2 workers;
(d') the services' own notifications (nova's and cinder's, 90 % routine and
    10 % final failures the shipped mapping rules turn into messages) into
    PostgreSQL with 1 worker, paired with a raw consume of the same bodies;
(d'') "layouts" (issue 25): the same mix routed by priority, as in a cloud,
    drained with one shared queue (``failure_priorities`` empty, as before)
    and with failures first, alternately;
(e) publish->commit latency p50/p99 at a fixed offered load of half the
    1-worker PostgreSQL rate, measured by the database (a bench-only column
    ``committed_at DEFAULT clock_timestamp()``) against the publish time
    stamped in each notification; and, as its baseline, a bare kombu
    consumer's publish->receive latency at the same load.

Needs RabbitMQ (guest/guest) and PostgreSQL on loopback
(HERALD_BENCH_PG_URL, default postgresql+psycopg://postgres@127.0.0.1/test
as the admin URL; a herald_bench database is recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, traffic

PG_ADMIN = os.environ.get("HERALD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
TARGETS = {"pg1_ratio_raw": 0.40, "pg2_ratio_raw": 0.55, "ratio_anchor": 2.5,
           "cpu_us": 130.0, "rss_mib": 100.0, "p99_ms": 100.0, "services_ratio_raw": 0.60,
           "metrics_cost": 0.05,
           # issue 11: every driver near the fast path
           "psycopg2_ratio_raw": 0.50, "mariadb_ratio_raw": 0.50, "sqlite_ratio_raw": 0.55,
           "pg1_ratio_raw_drivers": 0.60, "pg2_ratio_raw_drivers": 0.85, "cpu_vs_pg": 1.5}
VARIANTS = ("anchor", "sqlite", "pg", "drivers", "services", "metrics", "latency", "layouts")
#: issue 25: the layout before (one shared queue) against failures first
LAYOUTS = {"before": "", "after": "error,critical"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MYSQL_ADMIN = os.environ.get("HERALD_BENCH_MYSQL_URL",
                             "mysql+pymysql://root@127.0.0.1/test?charset=utf8mb4")


def mysql_database(name: str) -> str:
    admin = sa.create_engine(MYSQL_ADMIN)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    admin.dispose()
    return sa.make_url(MYSQL_ADMIN).set(database=name).render_as_string(hide_password=False)


def pg_database(name: str) -> str:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def percentiles(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {"p50_ms": round(statistics.median(v), 1),
            "p99_ms": round(v[int(0.99 * (len(v) - 1))], 1), "max_ms": round(v[-1], 1)}


class Bench:
    def __init__(self, n: int, workdir: Path) -> None:
        self.n = n
        self.dir = workdir
        token = secrets.token_hex(3)
        self.topic, self.exchange = f"bench_{token}", f"bench_ex_{token}"
        self.pg_url = pg_database("herald_bench")
        self.sqlite_url = f"sqlite:///{workdir}/bench.sqlite"
        self.results: dict[str, harness.Result] = {}
        self.raw: list[float] = []
        self.repeat = 3

    def prefill(self, kind: str = "herald") -> int:
        return traffic.prefill(self.exchange, self.topic, self.n, kind)

    def raw_ceiling(self, kind: str = "herald") -> float:
        """The raw consume rate of the same bodies as the drain it pairs with."""
        self.prefill(kind)
        rate = self.n / traffic.raw_consume(self.exchange, self.topic, self.n)
        self.raw.append(rate)
        print(f"  raw kombu consume ({kind} bodies): {rate:,.0f} msg/s", flush=True)
        return rate

    def herald(self, name: str, db_url: str, workers: int, intake: str = "kombu",
               kind: str = "herald", extra: str = "",
               failure_priorities: str | None = None) -> harness.Result:
        """Median of ``self.repeat`` drains (rate and CPU), maximum peak RSS.

        ``kind`` ``services``: the services' own notifications, 1 in 10 a
        mapped failure (stored), the rest routine (acknowledged only)."""
        rows = self.n if kind == "herald" else self.n // 10
        conf = harness.write_conf(self.dir / f"{name}.conf", db_url, self.topic,
                                  self.exchange, workers, intake, extra=extra,
                                  shared=kind == "services",
                                  # the pre-filled queue holds every priority: one
                                  # queue ("layouts" measures failures first)
                                  failure_priorities="" if kind == "services"
                                  else failure_priorities)
        engine = sa.create_engine(db_url)
        runs, ratios = [], []
        for _ in range(self.repeat):
            # the VM's speed drifts within a sitting (15.9k then 10.8k msg/s
            # raw in one series): each drain gets its own raw ceiling, measured
            # right before it, and the ratio is taken pair by pair
            raw = self.raw_ceiling(kind)
            harness.reset_db(conf, engine)
            self.prefill(kind)
            runs.append(harness.drain(name, conf, engine, self.n, workers,
                                      self.dir / f"{name}.log", rows_expected=rows))
            ratios.append(runs[-1].rate / raw)
        engine.dispose()
        runs.sort(key=lambda r: r.rate)
        median = runs[len(runs) // 2]
        result = harness.Result(
            name, median.n, median.seconds,
            statistics.median(r.cpu_us_per_msg for r in runs),
            [max(col) for col in zip(*(r.peak_rss_mib for r in runs))])
        result.runs = [round(r.rate) for r in runs]
        result.ratio_raw = statistics.median(ratios)
        self.results[name] = result
        print(f"  {name}: {result.rate:,.0f} msg/s (runs {result.runs}), "
              f"{result.ratio_raw:.2f}x its paired raw ceiling, "
              f"{result.cpu_us_per_msg:.0f} us CPU/msg, peak RSS {result.peak_rss_mib} MiB",
              flush=True)
        return result

    def layouts(self) -> dict[str, harness.Result]:
        """The services' mix routed by priority, as in a cloud, drained with
        each queue layout in turn (before, after, before...), each drain
        paired with its raw ceiling. ``after``: failures through their own
        queue and connection; ``before``: ``failure_priorities`` empty."""
        rows = self.n // 10 + 1  # the failures, and the sentinel behind the routine ones
        engine = sa.create_engine(self.pg_url)
        runs: dict[str, list[harness.Result]] = {name: [] for name in LAYOUTS}
        ratios: dict[str, list[float]] = {name: [] for name in LAYOUTS}
        for _ in range(self.repeat):
            for name, failing in LAYOUTS.items():
                queue = f"{self.topic}.{name}"
                conf = harness.write_conf(self.dir / f"layout_{name}.conf", self.pg_url,
                                          self.topic, self.exchange, 1, "kombu", shared=True,
                                          shared_queue=queue, priorities="info,error",
                                          failure_priorities=failing)
                raw = self.raw_ceiling("services")
                harness.reset_db(conf, engine)
                traffic.prefill_routed(self.exchange, self.topic, self.n, queue,
                                       split=bool(failing))
                runs[name].append(harness.drain(f"layout_{name}", conf, engine, self.n + 1, 1,
                                                self.dir / f"layout_{name}.log",
                                                rows_expected=rows))
                ratios[name].append(runs[name][-1].rate / raw)
                print(f"  layout {name}: {runs[name][-1].rate:,.0f} msg/s, "
                      f"{ratios[name][-1]:.2f}x raw", flush=True)
        engine.dispose()
        out = {}
        for name in LAYOUTS:
            rs = sorted(runs[name], key=lambda r: r.rate)
            median = rs[len(rs) // 2]
            result = harness.Result(
                f"services_{name}_pg_1w", median.n, median.seconds,
                statistics.median(r.cpu_us_per_msg for r in rs),
                [max(col) for col in zip(*(r.peak_rss_mib for r in rs))])
            result.runs = [round(r.rate) for r in rs]
            result.ratio_raw = statistics.median(ratios[name])
            self.results[result.name] = out[name] = result
        paired = [a / b for a, b in zip(ratios["after"], ratios["before"])]
        print(f"  failures first / one queue, drain rate, pair by pair: "
              f"{', '.join(f'{x:.2f}' for x in paired)}", flush=True)
        return out

    def latency(self, rate: float, seconds: float) -> dict[str, float]:
        conf = harness.write_conf(self.dir / "latency.conf", self.pg_url, self.topic,
                                  self.exchange, 1, "kombu")
        engine = sa.create_engine(self.pg_url)
        harness.reset_db(conf, engine)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "ALTER TABLE messages ADD COLUMN IF NOT EXISTS committed_at timestamp "
                "DEFAULT (clock_timestamp() AT TIME ZONE 'UTC')"))
        import subprocess
        log = self.dir / "latency.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "listener.cmd.listener",
                                     "--config-file", str(conf)], stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            while "Consuming" not in log.read_text(errors="replace"):
                time.sleep(0.05)
            expected = int(rate * seconds)
            publisher = traffic.paced_publish(self.exchange, self.topic, rate, seconds)
            publisher.join()
            deadline = time.monotonic() + 120
            while harness.count_rows(engine) < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            with engine.connect() as conn:
                lat = [float(r[0]) * 1000.0 for r in conn.execute(sa.text(
                    "SELECT EXTRACT(EPOCH FROM committed_at - created_at) FROM messages"))]
        finally:
            proc.terminate()
            proc.wait(60)
            with engine.begin() as conn:
                conn.execute(sa.text("ALTER TABLE messages DROP COLUMN committed_at"))
            engine.dispose()
        out = {"offered_rate": round(rate), "seconds": seconds, "messages": len(lat),
               "expected": expected, **percentiles(lat)}
        base = percentiles(traffic.raw_latency(self.exchange, self.topic, rate, seconds))
        out["baseline"] = base
        print(f"  publish->commit at {rate:,.0f} msg/s: p50 {out['p50_ms']} ms, "
              f"p99 {out['p99_ms']} ms ({len(lat)}/{expected} committed); bare consumer "
              f"publish->receive: p50 {base['p50_ms']} ms, p99 {base['p99_ms']} ms", flush=True)
        return out

    def cleanup(self) -> None:
        import kombu
        with kombu.Connection(traffic.AMQP_URL) as conn:
            channel = conn.channel()
            for name in LAYOUTS:
                channel.queue_delete(f"{self.topic}.{name}")
                channel.queue_delete(f"{self.topic}.{name}.failures")
        traffic.delete(self.exchange, self.topic)


def sweep(rates: list[float], seconds: float) -> int:
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
        b = Bench(1, Path(tmp))
        try:
            results = [b.latency(rate, seconds) for rate in rates]
        finally:
            b.cleanup()
    print(f"\n{'offered msg/s':>13} {'herald p50':>10} {'p99':>7} {'max':>7}   "
          f"{'bare consumer p50':>17} {'p99':>7}")
    for r in results:
        base = r["baseline"]
        print(f"{r['offered_rate']:>13,} {r['p50_ms']:>10} {r['p99_ms']:>7} {r['max_ms']:>7}   "
              f"{base['p50_ms']:>17} {base['p99_ms']:>7}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=50_000, help="notifications per measurement "
                   "(a multiple of 10)")
    p.add_argument("--skip-sqlite", action="store_true")
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help=f"what to measure, among {', '.join(VARIANTS)} (default: all); "
                        "'latency' needs 'pg'")
    p.add_argument("--latency-seconds", type=float, default=20.0)
    p.add_argument("--repeat", type=int, default=3, help="drains per variant (median)")
    p.add_argument("--latency-sweep", metavar="RATES",
                   help="only measure latency (herald and the bare-consumer baseline) at "
                        "these offered rates, e.g. 1000,2000,3000; no drains")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    a = p.parse_args()
    if a.latency_sweep:
        return sweep([float(x) for x in a.latency_sweep.split(",")], a.latency_seconds)
    chosen = set(a.variants.split(","))
    if chosen - set(VARIANTS) or a.n % 10:
        p.error(f"--variants among {', '.join(VARIANTS)}; -n a multiple of 10")
    if a.skip_sqlite:
        chosen.discard("sqlite")
    latency = anchor = pg1 = pg2 = services = None
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
        b = Bench(a.n, Path(tmp))
        b.repeat = a.repeat
        try:
            print(f"herald bench: N={a.n}, bodies {len(traffic.body(0).encode())} bytes "
                  f"(herald payload) and {len(traffic.service_body(0).encode())} bytes "
                  f"(services' routine), {os.cpu_count()} CPUs, "
                  f"python {sys.version.split()[0]}", flush=True)
            if "anchor" in chosen:
                anchor = b.herald("anchor_oslo_pg_1w", b.pg_url, 1, intake="oslo")
            if "sqlite" in chosen:
                b.herald("herald_sqlite_1w", b.sqlite_url, 1)
                b.herald("herald_sqlite_2w", b.sqlite_url, 2)
            if "pg" in chosen:
                pg1 = b.herald("herald_pg_1w", b.pg_url, 1)
                pg2 = b.herald("herald_pg_2w", b.pg_url, 2)
            if "drivers" in chosen:  # issue 11: each driver, paired like the others
                if pg1 is None:
                    pg1 = b.herald("herald_pg_1w", b.pg_url, 1)
                    pg2 = b.herald("herald_pg_2w", b.pg_url, 2)
                psycopg2_url = sa.make_url(b.pg_url).set(drivername="postgresql+psycopg2")
                b.herald("herald_psycopg2_1w", psycopg2_url.render_as_string(
                    hide_password=False), 1)
                b.herald("herald_mariadb_1w", mysql_database("herald_bench"), 1)
                if "herald_sqlite_1w" not in b.results:
                    b.herald("herald_sqlite_1w", b.sqlite_url, 1)
            if "services" in chosen:
                services = b.herald("services_mix_pg_1w", b.pg_url, 1, kind="services")
            if "layouts" in chosen:  # issue 25: the same mix, one queue or failures first
                b.layouts()
                # herald's own topic at ERROR: one connection, or the failures one
                b.herald("herald_pg_1w_one_queue", b.pg_url, 1, failure_priorities="")
                b.herald("herald_pg_1w_failures_first", b.pg_url, 1)
            if "metrics" in chosen:  # the same drain as herald_pg_1w, metrics on
                if pg1 is None:
                    pg1 = b.herald("herald_pg_1w", b.pg_url, 1)
                b.herald("herald_pg_1w_metrics", b.pg_url, 1,
                         extra=f"[metrics]\nport = {free_port()}\n")
            if "latency" in chosen and pg1 is not None:
                latency = b.latency(pg1.rate / 2, a.latency_seconds)
        finally:
            b.cleanup()
    report(b, a, anchor, pg1, pg2, services, latency)
    return 0


def report(b: Bench, a: argparse.Namespace, anchor: harness.Result | None,
           pg1: harness.Result | None, pg2: harness.Result | None,
           services: harness.Result | None, latency: dict | None) -> None:
    raw = statistics.median(b.raw)
    print(f"\nraw kombu ceiling, one before each drain: median {raw:,.0f} msg/s, "
          f"from {min(b.raw):,.0f} to {max(b.raw):,.0f}")
    # "x anchor" divides the paired ratios (each drain against the ceiling
    # measured right before it), so that drift between the anchor's drains
    # and herald's does not count; the plain ratio of rates is shown too
    print(f"{'variant':<20} {'msg/s':>8} {'x raw':>6} {'x anchor':>8} {'(rates)':>8} "
          f"{'CPU us/msg':>10} {'peak RSS MiB/worker':>20}")
    rows = []
    for r in b.results.values():
        vs_anchor = r.ratio_raw / anchor.ratio_raw if anchor else float("nan")
        vs_rates = r.rate / anchor.rate if anchor else float("nan")
        rows.append({"variant": r.name, "rate": round(r.rate),
                     "ratio_raw": round(r.ratio_raw, 3), "ratio_anchor": round(vs_anchor, 2),
                     "ratio_anchor_rates": round(vs_rates, 2),
                     "cpu_us_per_msg": round(r.cpu_us_per_msg, 1), "peak_rss_mib": r.peak_rss_mib,
                     "runs": r.runs})
        print(f"{r.name:<20} {r.rate:>8,.0f} {r.ratio_raw:>6.2f} {vs_anchor:>8.2f} "
              f"{vs_rates:>8.2f} {r.cpu_us_per_msg:>10.0f} {str(r.peak_rss_mib):>20}")
    checks = {}
    if latency is not None:
        base = latency["baseline"]
        print(f"latency at {latency['offered_rate']:,} msg/s offered (half of herald_pg_1w): "
              f"publish->commit p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms, "
              f"max {latency['max_ms']} ms; bare consumer publish->receive p50 "
              f"{base['p50_ms']} ms, p99 {base['p99_ms']} ms")
        checks["p99 publish->commit <= 100 ms"] = latency["p99_ms"] <= TARGETS["p99_ms"]
    herald_rss = [max(r.peak_rss_mib) for r in b.results.values()
                  if not r.name.startswith("anchor")]
    if herald_rss:
        checks["peak RSS <= 100 MiB per worker"] = max(herald_rss) <= TARGETS["rss_mib"]
    if pg1 is not None and pg2 is not None:
        checks["1 worker -> PostgreSQL >= 0.40x raw"] = pg1.ratio_raw >= TARGETS["pg1_ratio_raw"]
        checks["2 workers -> PostgreSQL >= 0.55x raw"] = (pg2.ratio_raw
                                                          >= TARGETS["pg2_ratio_raw"])
        checks["CPU <= 130 us/msg (1 worker PG)"] = pg1.cpu_us_per_msg <= TARGETS["cpu_us"]
        if anchor is not None:
            checks[">= 2.5x the oslo anchor (1 worker PG)"] = (
                pg1.ratio_raw / anchor.ratio_raw >= TARGETS["ratio_anchor"])
    if services is not None:
        checks["services' notifications (90 % routine) >= 0.60x raw"] = (
            services.ratio_raw >= TARGETS["services_ratio_raw"])
    if "herald_psycopg2_1w" in b.results and pg1 is not None and pg2 is not None:
        r = b.results
        checks["psycopg2 >= 0.50x raw"] = r["herald_psycopg2_1w"].ratio_raw >= TARGETS[
            "psycopg2_ratio_raw"]
        checks["MariaDB >= 0.50x raw"] = r["herald_mariadb_1w"].ratio_raw >= TARGETS[
            "mariadb_ratio_raw"]
        checks["SQLite >= 0.55x raw"] = r["herald_sqlite_1w"].ratio_raw >= TARGETS[
            "sqlite_ratio_raw"]
        checks["psycopg 3 >= 0.60x raw"] = pg1.ratio_raw >= TARGETS["pg1_ratio_raw_drivers"]
        checks["psycopg 3, 2 workers >= 0.85x raw"] = pg2.ratio_raw >= TARGETS[
            "pg2_ratio_raw_drivers"]
        for name in ("herald_psycopg2_1w", "herald_mariadb_1w", "herald_sqlite_1w"):
            ratio = r[name].cpu_us_per_msg / pg1.cpu_us_per_msg
            print(f"{name}: CPU {r[name].cpu_us_per_msg:.0f} us/msg = {ratio:.2f}x psycopg 3's")
            checks[f"{name} CPU <= 1.5x psycopg 3's"] = ratio <= TARGETS["cpu_vs_pg"]
    with_metrics = b.results.get("herald_pg_1w_metrics")
    if with_metrics is not None and pg1 is not None:
        rate_cost = 1 - with_metrics.ratio_raw / pg1.ratio_raw
        cpu_cost = with_metrics.cpu_us_per_msg / pg1.cpu_us_per_msg - 1
        print(f"metrics on: drain {rate_cost:+.1%} slower (paired ratios), "
              f"CPU per message {cpu_cost:+.1%}")
        checks["metrics cost <= 5 % of the drain rate"] = rate_cost <= TARGETS["metrics_cost"]
    print("\ntargets:")
    for what, ok in checks.items():
        print(f"  [{'met' if ok else 'MISSED'}] {what}")
    if a.json:
        a.json.write_text(json.dumps({"n": a.n, "raw": [round(x) for x in b.raw],
                                      "variants": rows, "latency": latency,
                                      "targets": checks}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
