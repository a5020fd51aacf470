"""Run the real herald-listener on a pre-filled queue and measure it.

Rate: N / (from the moment every worker logged "Consuming" to the moment the
database holds N rows). CPU: the workers' CPU time over that same window
(the master and the reaper are idle and not counted), per message. Memory:
each worker's peak RSS (``VmHWM``) at the end. Nothing is read through
herald's own code; rows are counted with SQL every 50 ms.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent


@dataclasses.dataclass
class Result:
    name: str
    n: int
    seconds: float
    cpu_us_per_msg: float | None = None
    peak_rss_mib: list[float] = dataclasses.field(default_factory=list)
    runs: list[int] = dataclasses.field(default_factory=list)  # rates of each drain
    ratio_raw: float = 0.0  # median of rate / the raw ceiling measured just before

    @property
    def rate(self) -> float:
        return self.n / self.seconds


def write_conf(path: Path, db_url: str, topic: str, exchange: str, workers: int,
               intake: str, batch_size: int = 500, batch_timeout: float = 0.05,
               extra: str = "", shared: bool = False, shared_queue: str | None = None,
               priorities: str = "error", failure_priorities: str | None = None) -> Path:
    """``shared``: ``topic`` is a shared topic (the services' own
    notifications), read through herald's own queue -- named as the
    pre-filled one, ``<topic>.error``, unless ``shared_queue`` names it -- as
    a cloud's ``notifications`` is; otherwise it is herald's own topic.
    ``failure_priorities``: ``[listener] failure_priorities`` if not None."""
    topics = (f"topics =\nshared_topics = {topic}\n"
              f"shared_queue = {shared_queue or topic + '.error'}") if shared \
        else f"topics = {topic}\nshared_topics ="
    if failure_priorities is not None:
        topics += f"\nfailure_priorities = {failure_priorities}"
    path.write_text(extra + textwrap.dedent(f"""\
        [DEFAULT]
        transport_url = rabbit://guest:guest@127.0.0.1:5672/
        [database]
        connection = {db_url}
        [listener]
        intake = {intake}
        workers = {workers}
        {{topics}}
        exchanges = {exchange}
        priorities = {priorities}
        batch_size = {batch_size}
        batch_timeout = {batch_timeout}
        [collector]
        stats_interval = 0
        [storage]
        message_reap_interval = -1
        [oslo_messaging_rabbit]
        # as the bench's publishers declare the exchange and queue: the oslo
        # intake (the anchor) declares them like any oslo listener
        amqp_durable_queues = true
        """).replace("{topics}", topics))
    return path


def count_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM messages")).scalar()


def reset_db(conf: Path, engine: sa.Engine) -> None:
    subprocess.run([sys.executable, "-m", "listener.cmd.manage", "--config-file", str(conf),
                    "db", "upgrade"], check=True, capture_output=True)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM messages"))
        conn.execute(sa.text("DELETE FROM rejected_notifications"))
    if engine.dialect.name == "postgresql":  # same table state for every run
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE messages"))


def workers_of(master: psutil.Process, expected: int, timeout: float = 30) -> list[psutil.Process]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = [p for p in master.children() if "listener worker" in " ".join(p.cmdline())]
        if len(kids) >= expected:
            return kids
        time.sleep(0.05)
    raise RuntimeError("listener workers did not start")


def cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        t = p.cpu_times()
        total += t.user + t.system
    return total


def peak_rss_mib(proc: psutil.Process) -> float:
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def drain(name: str, conf: Path, engine: sa.Engine, n: int, workers: int,
          log: Path, timeout: float = 600, rows_expected: int | None = None,
          count: Callable[[sa.Engine], int] = count_rows,
          started: Callable[[], None] | None = None,
          finished: Callable[[], None] | None = None) -> Result:
    """Start herald-listener on a pre-filled queue of ``n`` notifications;
    measure until the database holds ``rows_expected`` rows (default ``n``).

    With fewer rows than notifications (routine traffic is not stored),
    the last notification must be one that is stored and there must be one
    worker: batches then commit in queue order, so its row means that
    every notification before it was handled.

    ``count`` counts the rows (the table's, by default); ``started`` and
    ``finished`` are called when the clock starts and stops (a load to run
    alongside the drain, and only then)."""
    expected = n if rows_expected is None else rows_expected
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "listener.cmd.listener",
                                 "--config-file", str(conf)], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        master = psutil.Process(proc.pid)
        kids = workers_of(master, workers)
        end = time.monotonic() + 120
        while log.read_text(errors="replace").count("Consuming") < workers:
            if time.monotonic() > end or proc.poll() is not None:
                raise RuntimeError(f"herald did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.005)
        if started is not None:
            started()
        t0, cpu0, rows0 = time.perf_counter(), cpu(kids), count(engine)
        end = time.monotonic() + timeout
        rows = rows0
        while rows < expected:
            if time.monotonic() > end:
                raise RuntimeError(f"{name}: {rows}/{expected} rows after {timeout} s")
            time.sleep(0.05)
            rows = count(engine)
        t1, cpu1 = time.perf_counter(), cpu(kids)
        if finished is not None:
            finished()
        rss = [round(peak_rss_mib(k), 1) for k in kids]
        if rows != expected:
            raise RuntimeError(f"{name}: {rows} rows for {expected} expected")
        # rows committed before the clock started leave their share of the
        # notifications out of the measure (stored ones are spread evenly)
        done = round(n * (expected - rows0) / expected)
        return Result(name, done, t1 - t0, (cpu1 - cpu0) / done * 1e6, rss)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
