"""herald's own RabbitMQ consumer: batches in, one multiple-ack out.

It consumes the queues oslo notifiers publish to, declared with the same
names and arguments, receives raw bodies (so even undecodable ones are
quarantined, which oslo's listener cannot do), and acknowledges a whole
committed batch with a single ``basic.ack(multiple=True)``.

While the pipeline holds a batch through an outage, ``keepalive`` keeps
reading the connection (py-amqp only counts heartbeats on frames it reads);
deliveries that arrive meanwhile start the next batch.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import amqp
import kombu

from collector.model import Inbound, Outcome
from listener import intake, rabbit

LOG = logging.getLogger(__name__)


class KombuIntake(intake.Intake):
    name = "kombu"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rabbit = rabbit.settings(self.conf)
        self.bindings = intake.bindings(self.conf)
        self.batch_size = self.conf.listener.batch_size
        self.batch_timeout = self.conf.listener.batch_timeout
        self.batch_min_wait = self.conf.listener.batch_min_wait
        self._mismatches: set[tuple[str, str]] = set()
        # as oslo's rabbit driver: check heartbeats heartbeat_rate times per
        # heartbeat_timeout_threshold (not per frame: that cost ~8 % of a
        # worker); 0 disables heartbeats
        heartbeat, self.heartbeat_rate = self.rabbit.heartbeat, self.rabbit.heartbeat_rate
        self.heartbeat_interval = heartbeat / self.heartbeat_rate if heartbeat else None

    def run(self) -> None:
        delay = self.rabbit.retry_interval
        attempt = 0
        while not self.stop.is_set():
            url = self.rabbit.pick(attempt)
            conn, where = self.rabbit.connection(url), self.rabbit.display(url)
            try:
                conn.connect()
                delay = self.rabbit.retry_interval
                self._consume(conn, where)
                conn.release()  # stopping: close cleanly
            except (*conn.recoverable_connection_errors, *conn.connection_errors,
                    *conn.recoverable_channel_errors, amqp.exceptions.AMQPError,
                    OSError) as exc:
                # AMQPError includes a refused login or vhost: logged and
                # retried like an outage (an operator may fix it meanwhile),
                # not a crash loop.
                conn.collect()  # the connection is gone: drop it without a handshake
                if self.stop.is_set():
                    break
                LOG.error("RabbitMQ connection to %s failed: %s; reconnecting in %.1f s",
                          where, exc or type(exc).__name__, delay)
                attempt += 1  # next host (failover)
                if self.stop.wait(delay):
                    break
                delay = min(delay + self.rabbit.retry_backoff, self.rabbit.retry_max)

    def _consume(self, conn: kombu.Connection, where: str) -> None:
        channel, queues = self._declare(conn)
        # only now: "Consuming" tells operators (and tests) that every queue
        # exists and any declaration mismatch has already been reported
        LOG.info("Consuming %d queue binding(s) from %s", len(self.bindings), where)
        pending: list[Inbound] = []
        tags: list[int] = []
        first = 0.0

        def on_message(message: amqp.Message) -> None:
            nonlocal first
            if not pending:
                first = time.monotonic()
            pending.append(Inbound(body=message.body,
                                   redelivered=message.delivery_info["redelivered"]))
            tags.append(message.delivery_tag)

        consumer_tags = [channel.basic_consume(queue=q, callback=on_message) for q in queues]
        batch_size, batch_timeout = self.batch_size, self.batch_timeout
        min_wait = min(self.batch_min_wait, batch_timeout)
        drain, monotonic = conn.drain_events, time.monotonic
        next_heartbeat = 0.0
        while not self.stop.is_set():
            # Group commit: a batch goes once it is full, or batch_timeout
            # old, or min_wait old with no further delivery ready (a backlog
            # always has one ready, so batches grow exactly when it pays).
            idle = False
            if pending:
                age = monotonic() - first
                timeout = min_wait - age if age < min_wait else 0.0
            else:
                timeout = 1.0
            try:
                drain(timeout=timeout)
            except TimeoutError:
                idle = True
            now = monotonic()
            if self.heartbeat_interval is not None and now >= next_heartbeat:
                conn.heartbeat_check(rate=self.heartbeat_rate)
                next_heartbeat = now + self.heartbeat_interval
            if pending and (len(pending) >= batch_size or now - first >= batch_timeout
                            or (idle and now - first >= min_wait)):
                self._flush(conn, channel, pending, tags)
        if pending:  # SIGTERM: finish the batch in hand
            self._flush(conn, channel, pending, tags)
        for tag in consumer_tags:
            channel.basic_cancel(tag)
        LOG.info("Stopped consuming; in-flight deliveries go back to their queues")

    def _flush(self, conn: kombu.Connection, channel: Any, pending: list[Inbound],
               tags: list[int]) -> None:
        batch, batch_tags = pending[:], tags[:]
        pending.clear()  # deliveries read by keepalive start the next batch
        tags.clear()
        if not any(item.redelivered for item in batch):
            self._handle(conn, channel, batch, batch_tags)
            return
        # A redelivery may be what killed the previous listener: handle and
        # acknowledge it alone, and acknowledge what precedes it first, so a
        # second crash cannot take committed notifications back with it.
        start = 0
        for i, item in enumerate(batch):
            if item.redelivered:
                if start < i:
                    self._handle(conn, channel, batch[start:i], batch_tags[start:i])
                self._handle(conn, channel, [item], [batch_tags[i]])
                start = i + 1
        if start < len(batch):
            self._handle(conn, channel, batch[start:], batch_tags[start:])

    def _handle(self, conn: kombu.Connection, channel: Any, batch: list[Inbound],
                batch_tags: list[int]) -> None:
        outcomes = self.pipeline.process(batch, keepalive=lambda: self.keepalive(conn))
        retry = sum(o is Outcome.RETRY for o in outcomes)
        if not retry:
            channel.basic_ack(batch_tags[-1], multiple=True)
        elif retry == len(outcomes):
            channel.basic_nack(batch_tags[-1], multiple=True, requeue=True)
        else:
            for tag, outcome in zip(batch_tags, outcomes):
                if outcome is Outcome.RETRY:
                    channel.basic_reject(tag, requeue=True)
                else:
                    channel.basic_ack(tag)

    def keepalive(self, conn: kombu.Connection) -> None:
        """While a batch is held: keep reading frames (py-amqp only counts
        heartbeats on frames it reads) and answer heartbeats."""
        try:
            conn.drain_events(timeout=0.05)
        except TimeoutError:
            pass
        if self.heartbeat_interval is not None:
            conn.heartbeat_check(rate=self.heartbeat_rate)

    # -- declarations ---------------------------------------------------------
    def _declare(self, conn: kombu.Connection) -> tuple[Any, list[str]]:
        """Declare exchanges, queues and bindings as oslo does.

        If RabbitMQ refuses a declaration (PRECONDITION_FAILED: the entity
        exists with other durability or arguments), log what to change and
        consume the existing entity as it is rather than crash-looping.
        """
        s = self.rabbit
        channel = self._channel(conn)
        queues: list[str] = []
        for b in self.bindings:
            channel = self._declare_one(
                conn, channel, "exchange", b.exchange,
                lambda ch, b=b: ch.exchange_declare(b.exchange, "topic", durable=s.durable,
                                                    auto_delete=s.auto_delete),
                lambda ch, b=b: ch.exchange_declare(b.exchange, "topic", passive=True))
            channel = self._declare_one(
                conn, channel, "queue", b.queue,
                lambda ch, b=b: ch.queue_declare(b.queue, durable=s.durable,
                                                 auto_delete=s.auto_delete,
                                                 arguments=s.queue_arguments or None),
                lambda ch, b=b: ch.queue_declare(b.queue, passive=True))
            channel.queue_bind(b.queue, b.exchange, routing_key=b.routing_key)
            if b.queue not in queues:
                queues.append(b.queue)
        return channel, queues

    def _channel(self, conn: kombu.Connection) -> Any:
        channel = conn.channel()
        channel.basic_qos(0, self.rabbit.prefetch, False)
        return channel

    def _declare_one(self, conn: kombu.Connection, channel: Any, kind: str, name: str,
                     active: Any, passive: Any) -> Any:
        try:
            active(channel)
            return channel
        except amqp.exceptions.PreconditionFailed as exc:
            if (kind, name) not in self._mismatches:
                self._mismatches.add((kind, name))
                r = self.conf.oslo_messaging_rabbit
                LOG.error(
                    "RabbitMQ refused herald's declaration of %s %r: %s. herald declares it "
                    "as [oslo_messaging_rabbit] amqp_durable_queues=%s, amqp_auto_delete=%s, "
                    "rabbit_quorum_queue=%s, rabbit_ha_queues=%s; the emitting services must "
                    "use the same settings, or their notifiers fail with PRECONDITION_FAILED "
                    "and drop notifications. Consuming the existing %s as it is.",
                    kind, name, exc.reply_text, r.amqp_durable_queues, r.amqp_auto_delete,
                    r.rabbit_quorum_queue, r.rabbit_ha_queues, kind)
        channel = self._channel(conn)  # the broker closed the refused channel
        passive(channel)
        return channel
