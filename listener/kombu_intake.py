"""herald's own RabbitMQ consumer: batches in, one multiple-ack out.

It consumes the queues oslo notifiers publish to (declaring only its own,
listener.topology), receives raw bodies (so even undecodable ones are
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
from listener.topology import Topology

LOG = logging.getLogger(__name__)


class KombuIntake(intake.Intake):
    name = "kombu"
    reports_broker = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rabbit = rabbit.settings(self.conf)
        self.bindings = intake.bindings(self.conf)
        self.batch_size = self.conf.listener.batch_size
        self.batch_timeout = self.conf.listener.batch_timeout
        self.batch_min_wait = self.conf.listener.batch_min_wait
        self.probe_interval = self.conf.listener.probe_interval
        #: routing keys of herald's own topics: what arrives with one is never routine
        self.own_keys = frozenset(b.routing_key for b in self.bindings
                                  if b.routing_key.rsplit(".", 1)[0] in self.conf.listener.topics)
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
                if self.broker is not None:
                    self.broker.connected()
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
                if self.broker is not None:
                    self.broker.lost()
                if self.stop.is_set():
                    break
                LOG.error("RabbitMQ connection to %s failed: %s; reconnecting in %.1f s",
                          where, exc or type(exc).__name__, delay)
                attempt += 1  # next host (failover)
                if self.stop.wait(delay):
                    break
                delay = min(delay + self.rabbit.retry_backoff, self.rabbit.retry_max)

    def _consume(self, conn: kombu.Connection, where: str) -> None:
        channel = self._channel(conn)
        declaring = conn.channel()  # refusals close it, never the consuming channel
        topology = Topology(self.bindings, self.rabbit.queue_arguments, self.probe_interval)
        pending: list[Inbound] = []
        tags: list[int] = []
        first = 0.0

        own_keys = self.own_keys

        def on_message(message: amqp.Message) -> None:
            nonlocal first
            if not pending:
                first = time.monotonic()
            info = message.delivery_info
            pending.append(Inbound(body=message.body, redelivered=info["redelivered"],
                                   own_topic=info["routing_key"] in own_keys))
            tags.append(message.delivery_tag)

        consumer_tags: list[str] = []

        def consume(queue: str) -> None:
            consumer_tags.append(channel.basic_consume(queue=queue, callback=on_message))

        topology.settle(declaring, consume)
        # only now: "Consuming" tells operators (and tests) that every queue
        # that exists is consumed and any refusal has already been reported
        LOG.info("Consuming %d of %d queue(s) from %s%s", len(topology.consumed),
                 len(topology.queues), where,
                 "" if topology.complete else f"; waiting for {topology.missing()} (see above)")
        batch_size, batch_timeout = self.batch_size, self.batch_timeout
        min_wait = min(self.batch_min_wait, batch_timeout)
        drain, monotonic = conn.drain_events, time.monotonic
        next_heartbeat = 0.0
        next_probe = monotonic() + self.probe_interval
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
            if not topology.complete:
                timeout = max(0.0, min(timeout, next_probe - monotonic()))
            try:
                drain(timeout=timeout)
            except TimeoutError:
                idle = True
            now = monotonic()
            if not topology.complete and now >= next_probe:
                topology.settle(declaring, consume)
                next_probe = now + self.probe_interval
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

    def _channel(self, conn: kombu.Connection) -> Any:
        channel = conn.channel()
        channel.basic_qos(0, self.rabbit.prefetch, False)
        return channel
