"""Run the real herald-listener against the real broker and database.

Each instance gets its own topic and exchange (no test sees another's
notifications), its own config file and a clean schema; publishes through a
real oslo Notifier or raw kombu; and reads results through SQL and the
broker, never through herald's own code paths.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
from typing import Any

import kombu
import oslo_messaging
import sqlalchemy as sa
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

import listener.cmd  # noqa: F401 - the threading backend, as herald-listener selects it
from storage.tables import messages, metadata, rejected_notifications
from tests import services

PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")


class HeraldProcess:
    def __init__(self, tmp_path: Any, db_url: str, *, intake: str = "kombu", workers: int = 1,
                 extra: str = "", share_with: HeraldProcess | None = None,
                 transport_url: str = services.RABBIT_URL,
                 exchanges: list[str] | None = None, shared_topics: int | list[str] = 0,
                 topic: str | None = None, amqp_url: str = services.AMQP_URL,
                 watch: bool = False) -> None:
        """``watch``: run the watch of the services' queues (listener.watch),
        one more process; off otherwise, so that tests count their workers."""
        token = secrets.token_hex(4)
        # share_with: a second listener on the same queues (and database)
        self.topic = share_with.topic if share_with else topic or f"hft_{token}"
        #: the broker as the tests reach it (transport_url may be a TLS proxy)
        self.amqp_url = amqp_url
        self.exchange = share_with.exchange if share_with else f"hft_ex_{token}"
        # exchanges: real services' exchange names (nova, openstack); the
        # topics stay unique, so tests never see each other's notifications
        self.exchanges = exchanges or [self.exchange]
        #: shared topics (services' own notifications), read through shared_queue
        #: shared topics (services' own notifications): a count of made-up
        #: ones, or real names (notifications, versioned_notifications)
        self.shared_topics = (share_with.shared_topics if share_with else list(shared_topics)
                              if isinstance(shared_topics, list) else
                              [f"hft_notif{i}_{token}" for i in range(shared_topics)])
        self.shared_queue = share_with.shared_queue if share_with else f"hft_herald_{token}"
        self.db_url = db_url
        self.dir = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.log_path = tmp_path / "listener.log"
        self.conf_path = tmp_path / "herald.conf"
        self.conf_path.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            transport_url = {transport_url}
            graceful_shutdown_timeout = 30
            [database]
            connection = {db_url}
            connect_retry_interval = 0.5
            statement_timeout = 10
            [listener]
            intake = {intake}
            workers = {workers}
            topics = {self.topic}
            exchanges = {",".join(self.exchanges)}
            shared_topics = {",".join(self.shared_topics)}
            shared_queue = {self.shared_queue}
            batch_size = 100
            batch_timeout = 0.05
            [collector]
            retry_interval = 0.2
            retry_max_interval = 1
            max_notification_size = 8192
            rejected_body_max_bytes = 1024
            stats_interval = 5
            probe_interval = 0.2
            [storage]
            message_reap_interval = -1
            [oslo_messaging_rabbit]
            # as this file's services have it: herald-emit, the messaging
            # dispatcher and the oslo intake declare like them
            amqp_durable_queues = true
            """) + ("" if watch else "[watch]\nenabled = false\n") + textwrap.dedent(extra))
        self.engine = sa.create_engine(db_url, pool_pre_ping=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self._transport = None
        self._service_transports: dict[str, Any] = {}

    # -- lifecycle --------------------------------------------------------------
    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "listener.cmd.manage", "--config-file",
                               str(self.conf_path), *args], capture_output=True, text=True,
                              timeout=120)

    def prepare_database(self) -> None:
        result = self.manage("db", "upgrade")
        assert result.returncode == 0, result.stderr
        with self.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(sa.delete(table))

    def start(self, wait_for: str | None = "Consuming",
              env: dict[str, str] | None = None, services_first: bool = True) -> HeraldProcess:
        """``services_first``: the services are running, so their exchanges
        exist (herald never creates them: listener.topology)."""
        if services_first:
            self.declare_exchanges()
        self._log = open(self.log_path, "ab")  # closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "listener.cmd.listener", "--config-file",
             str(self.conf_path)], stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})})
        if wait_for:
            self.wait_log(wait_for, timeout=60)
        return self

    def wait_log(self, text: str, timeout: float = 30, count: int = 1) -> None:
        services.wait_until(lambda: self.log().count(text) >= count or not self.alive(),
                            timeout, f"{text!r} in the listener log")
        assert self.log().count(text) >= count, f"listener died:\n{self.log()[-3000:]}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM the master; the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            tail = self.log()[-3000:]
            raise AssertionError(f"no exit {timeout} s after SIGTERM:\n{tail}") from None
        self._log.close()
        return rc

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        return sorted(int(p) for p in out.split())

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        for transport in [self._transport, *self._service_transports.values()]:
            if transport is not None:
                transport.cleanup()
        with kombu.Connection(self.amqp_url) as conn:
            channel = conn.channel()
            for priority in PRIORITIES:
                channel.queue_delete(f"{self.topic}.{priority}")
                for topic in self.shared_topics:
                    channel.queue_delete(f"{topic}.{priority}")
            channel.queue_delete(self.shared_queue)
            channel.exchange_delete(self.exchange)  # real services' exchanges are kept
        self.engine.dispose()

    # -- publishing ---------------------------------------------------------------
    def declare_exchanges(self) -> None:
        """What the services of these tests do when they start: declare their
        control exchange, durable (their amqp_durable_queues is true)."""
        with kombu.Connection(self.amqp_url) as conn:
            channel = conn.channel()
            for name in self.exchanges:
                channel.exchange_declare(name, "topic", durable=True, auto_delete=False)

    def notifier(self, driver: str = "messaging", **rabbit: Any) -> oslo_messaging.Notifier:
        """A service's Notifier; ``rabbit``: its [oslo_messaging_rabbit] settings."""
        if self._transport is None:
            self._transport = self._service_transport(self.exchange, rabbit)
        return oslo_messaging.Notifier(self._transport, publisher_id="volume.test-host",
                                       driver=driver, topics=[self.topic])

    def service_notifier(self, exchange: str, publisher_id: str, topic: str,
                         driver: str = "messagingv2") -> oslo_messaging.Notifier:
        """A Notifier as nova (exchange ``nova``) or cinder (``openstack``)
        configures one, publishing its own notifications on ``topic``
        (durable queues; real services at oslo's defaults: tests/integration)."""
        if exchange not in self._service_transports:
            self._service_transports[exchange] = self._service_transport(exchange, {})
        return oslo_messaging.Notifier(self._service_transports[exchange],
                                       publisher_id=publisher_id, driver=driver, topics=[topic])

    @staticmethod
    def _service_transport(exchange: str, rabbit: dict[str, Any]) -> Any:
        conf = cfg.ConfigOpts()
        for group, opts in messaging_opts.list_opts():
            conf.register_opts(opts, group=group)
        conf([], project="herald-tests", default_config_files=[])
        conf.set_override("control_exchange", exchange)
        conf.set_override("amqp_durable_queues", True, group="oslo_messaging_rabbit")
        for name, value in rabbit.items():
            conf.set_override(name, value, group="oslo_messaging_rabbit")
        return oslo_messaging.get_notification_transport(conf, url=services.RABBIT_URL)

    def publish_raw(self, bodies: list[bytes | str], priority: str = "error",
                    content_encoding: str = "utf-8", topic: str | None = None) -> None:
        """Publish bodies a Notifier never would (malformed, huge, binary),
        on herald's own topic unless ``topic`` names another (a shared one)."""
        key = f"{topic or self.topic}.{priority}"
        with kombu.Connection(self.amqp_url) as conn:
            channel = conn.channel()
            exchange = kombu.Exchange(self.exchange, "topic", durable=True)
            queue = kombu.Queue(key, exchange, durable=True, routing_key=key)
            queue(channel).declare()
            producer = kombu.Producer(channel, exchange=exchange)
            for body in bodies:
                producer.publish(body, routing_key=key,
                                 content_type="application/json",
                                 content_encoding=content_encoding, delivery_mode=2)

    # -- observing ------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(messages))]

    def rejected(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(rejected_notifications))]

    def counts(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            return (conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar(),
                    conn.execute(sa.select(sa.func.count()).select_from(
                        rejected_notifications)).scalar())

    def wait_for_outcomes(self, stored: int, rejected: int, timeout: float = 60) -> None:
        def done() -> bool:
            try:
                return self.counts() == (stored, rejected)
            except sa.exc.OperationalError:
                return False
        try:
            services.wait_until(done, timeout, f"{stored} stored + {rejected} rejected")
        except AssertionError:
            raise AssertionError(f"have {self.counts()}, want {(stored, rejected)}\n"
                                 f"{self.log()[-3000:]}") from None

    def queue_depths(self, topic: str | None = None) -> dict[str, int]:
        out = {}
        with kombu.Connection(self.amqp_url) as conn:
            channel = conn.channel()
            for priority in PRIORITIES:
                name = f"{topic or self.topic}.{priority}"
                try:
                    out[name] = channel.queue_declare(name, passive=True).message_count
                except Exception:  # not declared: nothing ever published there
                    channel = conn.channel()
        return out

    def queue_depth(self, name: str) -> int:
        with kombu.Connection(self.amqp_url) as conn:
            return conn.channel().queue_declare(name, passive=True).message_count

