"""The ``messaging`` dispatcher: republish user messages for third parties.

Each accepted message is published as an oslo.messaging notification (the
2.0 wire format, so any oslo notification listener can consume it) whose
payload is the versioned, user-safe form (collector.versioned), with the
herald message id as its message_id (stable across redeliveries, for
de-duplication). It publishes with kombu and publisher confirms rather than
through an oslo Notifier, whose messaging driver logs and swallows failures:
``dump`` must fail loudly so that the batch is held, not acknowledged.
RabbitMQ transports only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import amqp
import kombu
from oslo_config import cfg

from collector import catalogue, versioned
from collector.dispatcher import Dispatcher, Refusal
from collector.exceptions import DispatchError
from collector.model import UserMessage
from listener import rabbit

OPTS = [
    cfg.StrOpt("topic", default="herald_user_messages",
               help="Topic of the republished notifications (routing key "
               "<topic>.<priority>, priority error/warn/info by level)."),
    cfg.StrOpt("exchange", default="herald",
               help="Exchange the republished notifications are sent to."),
    cfg.StrOpt("publisher_id", default="herald",
               help="publisher_id of the republished notifications."),
]


class MessagingDispatcher(Dispatcher):
    name = "messaging"

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self.rabbit = rabbit.settings(conf)  # a non-RabbitMQ transport stops start-up
        group = conf.dispatcher_messaging
        self.topic, self.publisher_id = group.topic, group.publisher_id
        self.exchange = kombu.Exchange(group.exchange, "topic", durable=self.rabbit.durable,
                                       auto_delete=self.rabbit.auto_delete)
        self._conn: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self._attempt = 0

    def _queue(self, priority: str) -> kombu.Queue:
        """The default queue an oslo notifier declares, so nothing published
        before a consumer exists is lost."""
        key = f"{self.topic}.{priority}"
        return kombu.Queue(key, self.exchange, routing_key=key, durable=self.rabbit.durable,
                           auto_delete=self.rabbit.auto_delete,
                           queue_arguments=self.rabbit.queue_arguments or None)

    def _body(self, m: UserMessage) -> str:
        inner: dict[str, Any] = {
            "message_id": m.id, "publisher_id": self.publisher_id,
            "event_type": m.event_type or "herald.user_message",
            "priority": m.message_level, "payload": versioned.payload(m),
            "timestamp": m.created_at.isoformat(sep=" "),
        }
        return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(inner)})

    def dump(self, messages: Sequence[UserMessage]) -> Sequence[Refusal]:
        try:
            if self._producer is None:
                self._conn = self.rabbit.connection(self.rabbit.pick(self._attempt),
                                                    confirm=True)
                self._producer = kombu.Producer(self._conn)
            declared = set()
            for m in messages:
                priority = catalogue.PRIORITY[m.message_level]
                queue = self._queue(priority)
                self._producer.publish(  # waits for the broker's confirm
                    self._body(m), exchange=self.exchange, routing_key=queue.routing_key,
                    declare=[queue] if priority not in declared else [], delivery_mode=2,
                    content_type="application/json", content_encoding="utf-8")
                declared.add(priority)
        except (amqp.exceptions.AMQPError, OSError, kombu.exceptions.KombuError) as exc:
            self.close()
            self._attempt += 1
            raise DispatchError(f"republishing to RabbitMQ failed: {exc}") from exc
        return []

    def close(self) -> None:
        if self._conn is not None:
            self._conn.collect()
        self._conn = self._producer = None
