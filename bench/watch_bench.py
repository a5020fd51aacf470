"""How long from a scheduler's death to herald's operator message, and back.

    python bench/watch_bench.py [--repeat 3] [--interval 10] [--readings 3]
                                [--no-consumer-time 60]

In a RabbitMQ vhost of its own: an oslo.messaging RPC server on topic
``cinder-scheduler`` (exchange ``openstack``, oslo's defaults) runs as a
child process, standing for cinder-scheduler; herald-listener runs with
the given ``[watch]`` options (the defaults unless told otherwise) on a
SQLite database. Each repetition SIGKILLs the server, times the
SERVICE_NOT_CONSUMING row (its ``created_at`` against the kill), starts the
server again and times SERVICE_CONSUMING_AGAIN against the moment it
consumes. The baseline printed beside each figure is the bound the options
give: ``no_consumer_time`` (or ``(readings - 1) x interval`` if longer)
plus one ``interval`` for the first consumer-less reading.

Needs RabbitMQ (guest/guest) on 127.0.0.1:5672 and rabbitmqctl.
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import kombu
import sqlalchemy as sa

BIN = Path(sys.executable).parent
SERVER = """\
import sys, threading
import oslo_messaging
from oslo_config import cfg
from oslo_messaging import opts
from oslo_messaging._metrics import client as metrics
from oslo_messaging._tracing import client as tracing
conf = cfg.ConfigOpts()
for group, o in opts.list_opts():
    conf.register_opts(o, group=group)
conf.register_opts(tracing.oslo_messaging_tracing, group="oslo_messaging_tracing")
conf.register_opts(metrics.oslo_messaging_metrics, group="oslo_messaging_metrics")
conf([], project="bench-scheduler", default_config_files=[])
conf.set_override("control_exchange", "openstack")
transport = oslo_messaging.get_rpc_transport(conf, url=sys.argv[1])
class Endpoint:
    target = oslo_messaging.Target(version="3.0")
    def create_volume(self, ctxt, **kw):
        pass
server = oslo_messaging.get_rpc_server(
    transport, oslo_messaging.Target(topic="cinder-scheduler", server="bench"), [Endpoint()],
    executor="threading")
server.start()
threading.Event().wait()
"""


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True,
                          text=True).stdout


def consumers(amqp_url: str) -> int:
    with kombu.Connection(amqp_url) as conn:
        try:
            return conn.channel().queue_declare("cinder-scheduler", passive=True).consumer_count
        except Exception:
            return 0


def wait(predicate, timeout: float, what: str, step: float = 0.05) -> float:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return time.time()
        time.sleep(step)
    raise SystemExit(f"timed out waiting for {what}")


def rows(engine: sa.Engine, event_id: str) -> list[datetime.datetime]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT created_at FROM messages WHERE project_id = '_operators' AND event_id = :e "
            "ORDER BY created_at"), {"e": event_id})]


def stamp(dt) -> float:
    if isinstance(dt, str):
        dt = datetime.datetime.fromisoformat(dt)
    return dt.replace(tzinfo=datetime.UTC).timestamp()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--interval", type=float, default=10.0)
    p.add_argument("--readings", type=int, default=3)
    p.add_argument("--no-consumer-time", type=float, default=60.0)
    args = p.parse_args()
    vhost = f"herald-bench-{secrets.token_hex(4)}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    url = f"rabbit://guest:guest@127.0.0.1:5672/{vhost}"
    amqp_url = url.replace("rabbit://", "amqp://", 1)
    tmp = Path(tempfile.mkdtemp(prefix="herald-watch-bench-"))
    db = f"sqlite:///{tmp}/h.sqlite"
    conf = tmp / "herald.conf"
    conf.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        transport_url = {url}
        [database]
        connection = {db}
        [storage]
        message_reap_interval = -1
        [watch]
        interval = {args.interval}
        readings = {args.readings}
        no_consumer_time = {args.no_consumer_time}
        """))
    subprocess.run([BIN / "herald-manage", "--config-file", conf, "db", "upgrade"], check=True,
                   capture_output=True)
    engine = sa.create_engine(db)
    procs: list[subprocess.Popen] = []

    def start_server() -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, url], start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    log = open(tmp / "listener.log", "wb")
    herald = subprocess.Popen([BIN / "herald-listener", "--config-file", conf], stdout=log,
                              stderr=subprocess.STDOUT)
    down, up = [], []
    try:
        server = start_server()
        wait(lambda: consumers(amqp_url) > 0, 60, "the scheduler")
        time.sleep(2 * args.interval)  # herald has read the queue with its consumer
        for i in range(args.repeat):
            before = len(rows(engine, "SERVICE_NOT_CONSUMING"))
            os.killpg(server.pid, signal.SIGKILL)
            killed = time.time()
            server.wait()
            wait(lambda n=before: len(rows(engine, "SERVICE_NOT_CONSUMING")) > n,
                 args.no_consumer_time + args.readings * args.interval + 120, "the message")
            down.append(stamp(rows(engine, "SERVICE_NOT_CONSUMING")[-1]) - killed)
            before = len(rows(engine, "SERVICE_CONSUMING_AGAIN"))
            server = start_server()
            consuming = wait(lambda: consumers(amqp_url) > 0, 60, "the scheduler again")
            wait(lambda n=before: len(rows(engine, "SERVICE_CONSUMING_AGAIN")) > n,
                 args.interval + 60, "the follow-up")
            up.append(stamp(rows(engine, "SERVICE_CONSUMING_AGAIN")[-1]) - consuming)
            print(f"run {i + 1}: death -> message {down[-1]:.1f} s; consuming -> "
                  f"follow-up {up[-1]:.1f} s", flush=True)
            time.sleep(args.interval)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        herald.send_signal(signal.SIGTERM)
        herald.wait(60)
        rabbitmqctl("delete_vhost", vhost)
    bound = max(args.no_consumer_time, (args.readings - 1) * args.interval) + args.interval
    print(f"death -> operator message: median {statistics.median(down):.1f} s, "
          f"max {max(down):.1f} s (bound from the options: {bound:.1f} s)")
    print(f"consuming again -> follow-up: median {statistics.median(up):.1f} s, "
          f"max {max(up):.1f} s (bound: one interval, {args.interval:.1f} s)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
