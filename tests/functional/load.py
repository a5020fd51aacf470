"""Steady load with a known outcome for every notification.

N notifications, valid and invalid mixed, each with a key known in advance
(its message_id, or the sha256 of a body that has none), published at a
steady rate with publisher confirms and retried across broker restarts, so
that every one of them is really in the broker. ``verify`` then compares
what the database holds with what must be there: exactly one outcome per
notification.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import kombu
import sqlalchemy as sa

from collector import envelope
from storage.tables import messages, rejected_notifications
from tests import services, wire

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


class Load:
    def __init__(self, topic: str, exchange: str, n: int, rate: float,
                 prefix: str | None = None, urls: list[str] | None = None) -> None:
        self.topic, self.exchange, self.rate = topic, exchange, rate
        #: brokers to publish to, in failover order (kombu's alternates)
        self.urls = urls or [services.AMQP_URL]
        prefix = prefix or secrets.token_hex(3)
        self.bodies: list[bytes] = []
        self.stored: set[str] = set()    # message_ids that must end in messages
        self.rejected: set[str] = set()  # dedupe keys that must end in quarantine
        for i in range(n):
            mid = f"{prefix}-{i}"
            kind = i % 10
            if kind == 3:  # an event ID nobody reviewed
                body = wire.body_v1(wire.message(wire.payload("NOT_REVIEWED"), message_id=mid))
                self.rejected.add(mid)
            elif kind == 6:  # not even JSON: keyed by its hash
                body = b'{"broken": ' + mid.encode()
                self.rejected.add(envelope.body_key(body))
            elif kind == 8:  # a hostile parameter
                body = wire.body_v2(wire.message(wire.payload(
                    "VOLUME_RETYPE_FAILED", {"volume_id": VOL, "volume_type": "x\r\nforged",
                                             "reason": "in_use"}), message_id=mid))
                self.rejected.add(mid)
            else:
                body = wire.body_v2(wire.message(wire.payload(
                    "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
                    resource_uuid=f"res-{i}"), message_id=mid))
                self.stored.add(mid)
            self.bodies.append(body)
        self.published = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Load:
        self._thread.start()
        return self

    def join(self, timeout: float = 300) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"publisher stuck at {self.published}"
        assert self.error is None, f"publisher failed: {self.error!r}"

    def _run(self) -> None:
        try:
            exchange = kombu.Exchange(self.exchange, "topic", durable=True)
            queue = kombu.Queue(f"{self.topic}.error", exchange, durable=True,
                                routing_key=f"{self.topic}.error")
            with kombu.Connection(";".join(self.urls), failover_strategy="round-robin",
                                  transport_options={"confirm_publish": True}) as conn:
                producer = kombu.Producer(conn)
                publish = conn.ensure(producer, producer.publish, max_retries=None,
                                      interval_start=0.5, interval_step=0.5, interval_max=2)
                start = time.monotonic()
                for i, body in enumerate(self.bodies):
                    delay = start + i / self.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    publish(body, exchange=exchange, routing_key=queue.routing_key,
                            declare=[queue], delivery_mode=2,
                            content_type="application/json", content_encoding="utf-8")
                    self.published += 1
        except BaseException as exc:  # reported by join()
            self.error = exc

    # -- checking ---------------------------------------------------------------
    def found(self, engine: sa.Engine) -> tuple[list[str], list[str]]:
        with engine.connect() as conn:
            stored = [r[0] for r in conn.execute(sa.select(messages.c.message_id))]
            rejected = [r[0] for r in conn.execute(
                sa.select(rejected_notifications.c.dedupe_key))]
        return stored, rejected

    def complete(self, engine: sa.Engine) -> bool:
        try:
            stored, rejected = self.found(engine)
        except sa.exc.OperationalError:
            return False
        return len(stored) + len(rejected) >= len(self.bodies)

    def verify(self, engine: sa.Engine) -> dict[str, Any]:
        stored, rejected = self.found(engine)
        outcomes = [(k, "stored") for k in stored] + [(k, "rejected") for k in rejected]
        keys = [k for k, _ in outcomes]
        expected = self.stored | self.rejected
        return {
            "published": len(self.bodies),
            "stored": len(set(stored) & self.stored),
            "rejected": len(set(rejected) & self.rejected),
            "lost": len(expected - set(keys)),
            "duplicated": len(keys) - len(set(keys)),
            "unexpected": len(set(keys) - expected)
            + len(set(stored) & self.rejected) + len(set(rejected) & self.stored),
        }
