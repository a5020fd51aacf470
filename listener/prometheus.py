"""Prometheus metrics for one host: every worker, one endpoint.

prometheus_client's multiprocess mode: each process writes its samples to
memory-mapped files in one directory, which the master empties and names
(``PROMETHEUS_MULTIPROC_DIR``) before any worker starts, and one small
cotyledon service serves them merged on ``[metrics] host:port``. Off unless
a port is set. The metrics are documented in docs/operations.md.
"""

from __future__ import annotations

import bisect
import collections
import glob
import logging
import math
import os
import re
import tempfile
from collections.abc import Sequence
from typing import Any

from oslo_config import cfg

from collector.metrics import Metrics
from collector.model import Outcome

LOG = logging.getLogger(__name__)
ENV = "PROMETHEUS_MULTIPROC_DIR"

OPTS = [
    cfg.PortOpt("port", help="Serve Prometheus metrics of every herald-listener process "
                "of this host on this TCP port (path /metrics). Unset: no metrics."),
    cfg.HostAddressOpt("host", default="127.0.0.1",
                       help="Address the metrics endpoint listens on."),
    cfg.StrOpt("directory",
               help="Directory where the processes write their samples (emptied at "
               "start; must not be shared with another herald-listener). Default: a new "
               "temporary directory, removed at exit."),
]

AGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
               900.0, 3600.0)
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)


def enable(conf: cfg.ConfigOpts) -> str | None:
    """In the master, before workers start: the samples' directory (None
    when metrics are off). A previous run's samples would count again, so
    the directory is emptied."""
    if conf.metrics.port is None:
        return None
    path = conf.metrics.directory or tempfile.mkdtemp(prefix="herald-metrics-")
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.unlink(stale)
    os.environ[ENV] = path  # read by prometheus_client when a process imports it
    return path


class PrometheusMetrics(Metrics):
    """The pipeline's, the holder's and the reaper's hooks as metrics.

    Built in a worker, after :func:`enable` set the directory; each hook
    makes a handful of writes per batch, except the age histogram (one
    observation per stored notification).
    """

    def __init__(self) -> None:
        import prometheus_client as p

        self.notifications = p.Counter(
            "herald_notifications", "Notifications handled, by outcome (stored, rejected, "
            "filtered, ignored, retry: requeued).", ["outcome"])
        self.rejections = p.Counter(
            "herald_rejections", "Notifications quarantined, by reason code.", ["code"])
        self.unmapped_count = p.Counter(
            "herald_unmapped_failures", "ERROR notifications on the shared topics that no "
            "mapping rule maps (failures users are not told about), by event type and "
            "publishing service; at most 200 kinds per worker, then 'other'.",
            ["event_type", "service"])
        self.folded_count = p.Counter(
            "herald_folded_notifications", "Notifications folded into an existing row "
            "([storage] fold_window).")
        self.batch_size = p.Histogram(
            "herald_batch_size", "Notifications per batch.", buckets=BATCH_BUCKETS)
        self.commit = p.Histogram(
            "herald_commit_seconds", "Time to make a batch's outcomes durable (dispatchers "
            "and quarantine, retries during an outage included).", buckets=COMMIT_BUCKETS)
        self.age = p.Histogram(
            "herald_notification_age_seconds", "Publish timestamp to commit, per stored "
            "notification: the lag users see.", buckets=AGE_BUCKETS)
        self.held = p.Gauge(
            "herald_outage", "1 while a worker holds a batch because the database or a "
            "dispatcher is down.", multiprocess_mode="livemax")
        self.reaper_last = p.Gauge(
            "herald_reaper_last_run_timestamp_seconds", "When the reaper last finished a "
            "run (Unix time).", multiprocess_mode="max")
        self.reaper_last_rows = p.Gauge(
            "herald_reaper_last_run_rows", "Rows the reaper's last run deleted, by kind.",
            ["kind"], multiprocess_mode="mostrecent")
        self.reaper_rows = p.Counter(
            "herald_reaper_deleted_rows", "Rows the reaper deleted, by kind.", ["kind"])
        self.watch_queues = p.Gauge(
            "herald_watched_queues", "The services' RPC queues the watch reads, by state "
            "(ok, not_consuming, backlog), as of its latest round.", ["state"],
            multiprocess_mode="mostrecent")
        self.operator_messages = p.Counter(
            "herald_operator_messages", "Operator messages the watch wrote (project "
            "_operators), by event ID.", ["event_id"])
        self._by_outcome = {o: self.notifications.labels(o.value) for o in Outcome}
        self.held.set(0)

    def batch(self, size: int, commit_seconds: float | None) -> None:
        self.batch_size.observe(size)
        if commit_seconds is not None:
            self.commit.observe(commit_seconds)

    def outcomes(self, outcomes: Sequence[Outcome], rejected_codes: Sequence[str]) -> None:
        for outcome, n in collections.Counter(outcomes).items():
            self._by_outcome[outcome].inc(n)
        for code, n in collections.Counter(rejected_codes).items():
            self.rejections.labels(code).inc(n)

    def ages(self, seconds: Sequence[float]) -> None:
        observe_many(self.age, seconds)

    def unmapped(self, kinds: Sequence[tuple[str, str, int]]) -> None:
        for event_type, service, count in kinds:
            self.unmapped_count.labels(event_type, service).inc(count)

    def folded(self, count: int) -> None:
        if count:
            self.folded_count.inc(count)

    def outage(self, held: bool) -> None:
        self.held.set(1 if held else 0)

    def reaped(self, kind: str, rows: int, finished_at: float) -> None:
        self.reaper_last_rows.labels(kind).set(rows)
        if rows:
            self.reaper_rows.labels(kind).inc(rows)
        self.reaper_last.set(finished_at)

    def watched(self, states: Sequence[str], written: Sequence[str]) -> None:
        counts = collections.Counter(states)
        for state in ("ok", "not_consuming", "backlog"):
            self.watch_queues.labels(state).set(counts.get(state, 0))
        for event_id, n in collections.Counter(written).items():
            self.operator_messages.labels(event_id).inc(n)


def observe_many(histogram: Any, values: Sequence[float]) -> None:
    """``histogram.observe`` for a batch of values, one write per bucket.

    In multiprocess mode every observation is two locked writes to a
    memory-mapped file: 6 us of CPU per stored notification on a drain
    (bench/run.py --variants metrics, first version). Counting the batch's
    values per bucket first and adding each count once keeps the same
    samples. This reads prometheus_client's Histogram fields (stable since
    0.4); without them it falls back to plain observe().
    """
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None:
        for v in values:
            histogram.observe(v)
        return
    counts = [0] * len(bounds)
    for v in values:
        counts[bisect.bisect_left(bounds, v)] += 1
    for i, n in enumerate(counts):
        if n:
            buckets[i].inc(n)
    total.inc(math.fsum(values))


def for_worker(conf: cfg.ConfigOpts) -> Metrics:
    """The metrics a worker records to: Prometheus when enabled, else none."""
    if conf.metrics.port is None or not os.environ.get(ENV):
        from collector.metrics import NOOP
        return NOOP
    return PrometheusMetrics()


_PID = re.compile(r"_(\d+)\.db$")


def _forget_dead(path: str) -> None:
    """Live gauges of processes that died (a restarted worker) go away."""
    from prometheus_client import multiprocess

    for f in glob.glob(os.path.join(path, "*.db")):
        m = _PID.search(f)
        if m is not None and not os.path.exists(f"/proc/{m.group(1)}"):
            multiprocess.mark_process_dead(int(m.group(1)), path)


def serve(conf: cfg.ConfigOpts, path: str) -> Any:
    """Start the HTTP endpoint (a thread); returns the server to shut down."""
    import prometheus_client as p
    from prometheus_client import multiprocess

    class Collector:
        def collect(self) -> Any:
            _forget_dead(path)
            return multiprocess.MultiProcessCollector(None, path).collect()

    registry = p.CollectorRegistry()
    registry.register(Collector())
    server, _thread = p.start_http_server(conf.metrics.port, conf.metrics.host, registry)
    LOG.info("Serving metrics on http://%s:%d/metrics", conf.metrics.host, conf.metrics.port)
    return server
