"""Notification traffic for the benchmarks: bodies, pre-fill, raw consume.

Bodies are the exact oslo rabbit wire format (2.0 envelope, as
``messagingv2`` sends; ``_context_*`` keys as a RequestContext packs them)
with valid herald payloads, about 1 kB each, cycling over seven catalogue
entries. Pre-filling uses raw kombu without publisher confirms, in a child
process, so that neither its CPU nor its memory count against what is
measured.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import time
import uuid

import amqp
import kombu

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
EVENTS = [
    ("VOLUME_CREATE_FROM_SNAPSHOT_FAILED",
     lambda i: {"volume_id": str(uuid.uuid4()), "snapshot_id": str(uuid.uuid4()),
                "reason": "backend_error"}),
    ("VOLUME_EXTEND_FAILED",
     lambda i: {"volume_id": str(uuid.uuid4()), "new_size_gb": i % 1000 + 1,
                "reason": "no_capacity"}),
    ("VOLUME_ATTACH_FAILED",
     lambda i: {"volume_id": str(uuid.uuid4()), "instance_id": str(uuid.uuid4()),
                "reason": "connection_failed"}),
    ("VOLUME_RETYPE_FAILED",
     lambda i: {"volume_id": str(uuid.uuid4()), "volume_type": "ssd-fast",
                "reason": "no_valid_backend"}),
    ("SNAPSHOT_CREATE_FAILED",
     lambda i: {"snapshot_id": str(uuid.uuid4()), "volume_id": str(uuid.uuid4()),
                "reason": "volume_busy"}),
    ("BACKUP_CREATE_FAILED",
     lambda i: {"backup_id": str(uuid.uuid4()), "volume_id": str(uuid.uuid4()),
                "reason": "repository_full"}),
    ("INSTANCE_BOOT_NO_VALID_HOST",
     lambda i: {"instance_name": f"web-{i % 97}", "instance_id": str(uuid.uuid4()),
                "flavor": "m1.large"}),
]
PROJECT = "6f70656e737461636b20697320617765"


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def body(i: int, timestamp: str | None = None) -> str:
    event_id, params = EVENTS[i % len(EVENTS)]
    request_id = f"req-{uuid.uuid4()}"
    inner = {
        "message_id": str(uuid.uuid4()),
        "publisher_id": "volume.bench-host@lvm",
        "event_type": "user_message.create",
        "priority": "ERROR",
        "payload": {"event_id": event_id, "params": params(i),
                    "resource_uuid": str(uuid.uuid4())},
        "timestamp": timestamp or str(utcnow()),
        "_unique_id": uuid.uuid4().hex,
    }
    # the keys a RequestContext packs (oslo.messaging 18 redacts auth_token)
    context = {"user": "a6b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", "project_id": PROJECT,
               "system_scope": None, "project": PROJECT, "domain": None,
               "user_domain": None, "project_domain": None, "is_admin": False,
               "read_only": False, "show_deleted": False, "auth_token": None,
               "request_id": request_id, "global_request_id": None, "resource_uuid": None,
               "roles": [], "user_identity": "a6b1c2d3 6f70656e - - -",
               "is_admin_project": True}
    inner.update({"_context_" + k: v for k, v in context.items()})
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(inner)})


def service_body(i: int) -> str:
    """The notifications services already emit, in a realistic mix: 90 %
    routine (compute.instance.update, volume.create.end), 10 % final
    failures the shipped rules map (cinder's scheduler.create_volume,
    nova's compute_task.build_instances); every tenth, so the last of a
    multiple of ten is a failure."""
    from tests import emitted, wire

    if i % 10 != 9:
        return wire.body_v2(emitted.routine(i, project=PROJECT)).decode()
    if i % 20 == 9:
        m = emitted.cinder_volume("create_volume", "NoValidBackend('No valid backend was found. "
                                  "No weighed backends available')", volume_id=str(uuid.uuid4()),
                                  project=PROJECT)
    else:
        m = emitted.nova_build_legacy("NoValidHost('No valid host was found. There are not "
                                      "enough hosts available.')", instance_id=str(uuid.uuid4()),
                                      project=PROJECT)
    return wire.body_v2(m).decode()


BODIES = {"herald": body, "services": service_body}


def queue_names(topic: str) -> list[str]:
    return [f"{topic}.error"]


def declare(channel: object, exchange: str, topic: str) -> kombu.Queue:
    ex = kombu.Exchange(exchange, "topic", durable=True)
    q = kombu.Queue(f"{topic}.error", ex, routing_key=f"{topic}.error", durable=True)
    q(channel).declare()
    return q


def depth(exchange: str, topic: str) -> int:
    with kombu.Connection(AMQP_URL) as conn:
        return declare(conn.channel(), exchange, topic)(conn.channel()).queue_declare(
            passive=True).message_count


def _fill(exchange: str, topic: str, n: int, kind: str) -> None:
    make = BODIES[kind]
    bodies = [make(i) for i in range(n)]
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        q = declare(channel, exchange, topic)
        q(channel).purge()
        producer = kombu.Producer(channel, exchange=q.exchange)
        for b in bodies:
            producer.publish(b, routing_key=q.routing_key, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8")
    while depth(exchange, topic) < n:
        time.sleep(0.05)


def _fill_routed(exchange: str, topic: str, n: int, queue: str, split: bool) -> None:
    bodies = [service_body(i).encode() for i in range(n)]
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        failures = f"{queue}.failures" if split else queue
        for name, key in ((queue, "info"), (failures, "error")):  # as herald declares them
            channel.queue_declare(name, durable=True, auto_delete=False)
            channel.queue_bind(name, exchange, routing_key=f"{topic}.{key}")
            channel.queue_purge(name)
        raw = conn.connection.channel()
        props = {"content_type": "application/json", "content_encoding": "utf-8",
                 "delivery_mode": 2}
        for i, b in enumerate(bodies):
            key = "error" if i % 10 == 9 else "info"  # service_body's failures are ERROR
            raw.basic_publish(amqp.Message(b, **props), exchange=exchange,
                              routing_key=f"{topic}.{key}")
        # last on the routine queue: herald's own payload, which is stored, so
        # its row says that everything routine before it was handled
        raw.basic_publish(amqp.Message(body(n).encode(), **props), exchange=exchange,
                          routing_key=f"{topic}.info")
        names = {queue, failures}
        while sum(channel.queue_declare(q, passive=True).message_count for q in names) < n + 1:
            time.sleep(0.05)


def prefill_routed(exchange: str, topic: str, n: int, queue: str, split: bool) -> None:
    """The services' notifications routed by priority, as they reach herald
    in a cloud: routine ones on ``<topic>.info``, failures on
    ``<topic>.error``, into herald's queue ``queue`` (and, ``split``, its
    failures queue ``<queue>.failures``), then one stored sentinel on the
    routine key: ``n + 1`` notifications, ``n // 10 + 1`` of them stored."""
    p = multiprocessing.get_context("spawn").Process(target=_fill_routed,
                                                     args=(exchange, topic, n, queue, split))
    p.start()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError("pre-fill failed")


def prefill(exchange: str, topic: str, n: int, kind: str = "herald") -> int:
    """Put ``n`` notifications of ``kind`` (``herald``: herald's own payload;
    ``services``: :func:`service_body`) in the queue, untimed; returns the
    first body's size."""
    p = multiprocessing.get_context("spawn").Process(target=_fill,
                                                     args=(exchange, topic, n, kind))
    p.start()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError("pre-fill failed")
    return len(BODIES[kind](0).encode())


def raw_consume(exchange: str, topic: str, n: int, prefetch: int = 1000,
                ack_every: int = 100) -> float:
    """The ceiling: kombu consume, prefetch 1000, one multiple-ack per 100."""
    count = 0
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        channel.basic_qos(0, prefetch, False)

        def on_message(message: object) -> None:
            nonlocal count
            count += 1
            if count % ack_every == 0 or count == n:
                channel.basic_ack(message.delivery_tag, multiple=True)

        start = time.perf_counter()
        tag = channel.basic_consume(f"{topic}.error", callback=on_message)
        while count < n:
            try:
                conn.drain_events(timeout=10)
            except TimeoutError:
                raise RuntimeError(f"raw consume stalled at {count}/{n}") from None
        elapsed = time.perf_counter() - start
        channel.basic_cancel(tag)
    return elapsed


STAMP = "2000-01-01 00:00:00.000000"  # fixed width, replaced at send time


def _paced(exchange: str, topic: str, rate: float, seconds: float) -> None:
    """A cheap load generator: bodies are built beforehand and only stamped
    with the send time (a bytes replace) and sent with py-amqp directly. A
    generator that falls behind catches up in bursts, and bursts queue:
    the latency measured would then be the generator's, not herald's."""
    n = int(rate * seconds)
    bodies = [body(i, timestamp=STAMP).encode() for i in range(n)]
    stamp = STAMP.encode()
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        q = declare(channel, exchange, topic)
        raw = conn.connection.channel()  # py-amqp channel: no kombu per-message work
        props = {"content_type": "application/json", "content_encoding": "utf-8",
                 "delivery_mode": 2}
        start = time.perf_counter()
        for i, b in enumerate(bodies):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            now = utcnow().isoformat(sep=" ", timespec="microseconds").encode()
            raw.basic_publish(amqp.Message(b.replace(stamp, now, 1), **props),
                              exchange=exchange, routing_key=q.routing_key)


def paced_publish(exchange: str, topic: str, rate: float, seconds: float
                  ) -> multiprocessing.Process:
    """Publish at a fixed rate, each body stamped with its send time."""
    p = multiprocessing.get_context("spawn").Process(
        target=_paced, args=(exchange, topic, rate, seconds))
    p.start()
    return p


def delete(exchange: str, topic: str) -> None:
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        for name in queue_names(topic):
            channel.queue_delete(name)
        channel.exchange_delete(exchange)


def raw_latency(exchange: str, topic: str, rate: float, seconds: float) -> list[float]:
    """The same paced load through a bare kombu consumer (decode the
    envelope, read the timestamp, multi-ack per 100): the machine's own
    publish->receive latency, the baseline for herald's publish->commit."""
    n = int(rate * seconds)
    out: list[float] = []
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        q = declare(channel, exchange, topic)
        q(channel).purge()
        channel.basic_qos(0, 1000, False)

        def on_message(message: amqp.Message) -> None:
            now = utcnow()
            inner = json.loads(json.loads(message.body)["oslo.message"])
            out.append((now - datetime.datetime.fromisoformat(inner["timestamp"]))
                       .total_seconds() * 1000.0)
            if len(out) % 100 == 0 or len(out) == n:
                channel.basic_ack(message.delivery_tag, multiple=True)

        tag = channel.basic_consume(q.name, callback=on_message)
        publisher = paced_publish(exchange, topic, rate, seconds)
        while len(out) < n:
            try:
                conn.drain_events(timeout=30)
            except TimeoutError:
                break
        publisher.join()
        channel.basic_cancel(tag)
    return out
