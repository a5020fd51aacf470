"""oslo.messaging's batch notification listener as an intake.

The compatibility path, for any oslo driver (Kafka...). oslo acknowledges
or requeues a whole batch per priority from the endpoint's return value;
since the pipeline contains every per-message failure (rejections are
committed like stored messages), REQUEUE is only returned when the batch
could not be committed at all, so one bad message never requeues others.

Limits of this path (docs/wire-format.md): oslo rejects bodies it cannot
decode before herald sees them (they are lost unless the queue has a
dead-letter exchange policy), and it acknowledges one message at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import oslo_messaging

from collector.model import Inbound, Outcome
from listener import intake

LOG = logging.getLogger(__name__)


class _Endpoint:
    """One method per priority; oslo calls it with a batch of dicts."""

    def __init__(self, handle: Callable[[list[dict[str, Any]], str, bool], Any],
                 own_topic: bool, priorities: list[str]) -> None:
        for priority in priorities:
            setattr(self, priority, lambda messages, p=priority: handle(messages, p, own_topic))


class OsloIntake(intake.Intake):
    name = "oslo"

    def run(self) -> None:
        group = self.conf.listener
        intake.bindings(self.conf)  # the same configuration checks as the kombu intake
        transport = oslo_messaging.get_notification_transport(self.conf)
        listeners = []
        # herald's own topics (their topic-named queues, or group.pool), then
        # the shared ones, always through herald's own queue (a pool)
        for topics, pool, own in ((group.topics, group.pool, True),
                                  (group.shared_topics, group.shared_queue, False)):
            targets = [oslo_messaging.Target(topic=topic, exchange=exchange)
                       for exchange in group.exchanges for topic in topics]
            if targets:
                endpoint = _Endpoint(self._handle, own, group.priorities)
                listeners.append(oslo_messaging.get_batch_notification_listener(
                    transport, targets, [endpoint], executor="threading",
                    allow_requeue=True, pool=pool, batch_size=group.batch_size,
                    batch_timeout=group.batch_timeout))
        for listener in listeners:
            listener.start()
        LOG.info("Consuming %s on exchanges %s through oslo.messaging",
                 ", ".join(list(group.topics) + list(group.shared_topics)),
                 ", ".join(group.exchanges))
        self.stop.wait()
        for listener in listeners:
            listener.stop()  # stops polling; the batch being handled finishes
        for listener in listeners:
            listener.wait()
        transport.cleanup()
        LOG.info("Stopped consuming")

    def _handle(self, messages: list[dict[str, Any]], priority: str, own_topic: bool) -> Any:
        outcomes = self.pipeline.process(
            [Inbound(decoded=m, priority=priority, own_topic=own_topic) for m in messages])
        if any(o is Outcome.RETRY for o in outcomes):
            return oslo_messaging.NotificationResult.REQUEUE
        return oslo_messaging.NotificationResult.HANDLED
