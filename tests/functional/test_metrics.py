"""Prometheus metrics of the real listener: every worker, exact counts.

Known numbers of stored, rejected (by code) and ignored notifications go
through two workers; one scrape, parsed with prometheus_client's own parser,
must show exactly those numbers. During a real database outage the outage
gauge reads 1, and 0 again once it is over.
"""

from __future__ import annotations

import re
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import emitted, services, wire

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql]
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text.decode())
            for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


SUMMARY = re.compile(r"^\S+ \S+ (\d+) INFO collector.pipeline \[-\] Last \d+ s: "
                     r"[1-9]\d* stored", re.M)


def storing_workers(log: str) -> set[int]:
    """PIDs whose periodic summary reported stored notifications."""
    return {int(m.group(1)) for m in SUMMARY.finditer(log)}


def unexplained(n: int) -> list[bytes]:
    """nova's non-final create error: ERROR, and no rule maps it."""
    return [wire.body_v2(emitted.envelope(
        "compute.instance.create.error", {"instance_id": str(uuid.uuid4())},
        priority="ERROR", publisher_id="compute.compute-3")) for _ in range(n)]


def bodies(valid: int, unknown: int, bad_param: int, routine: int) -> list[bytes]:
    out = [wire.body_v2(wire.message(wire.payload(
        "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
        resource_uuid=str(uuid.uuid4())))) for _ in range(valid)]
    out += [wire.body_v1(wire.message(wire.payload("NO_SUCH_EVENT"))) for _ in range(unknown)]
    out += [wire.body_v1(wire.message(wire.payload(
        "VOLUME_DELETE_FAILED", {"volume_id": "nope", "reason": "in_use"})))
        for _ in range(bad_param)]
    out += [wire.body_v2(emitted.routine(i)) for i in range(routine)]
    return out


@pytest.mark.fault
def test_metrics_count_every_worker_exactly_and_show_an_outage(herald):
    port = services.free_port()
    # small prefetch and batches: both workers take a share
    h = herald("postgresql", workers=2, shared_topics=1,
               extra=f"[metrics]\nport = {port}\n"
               "[oslo_messaging_rabbit]\nrabbit_qos_prefetch_count = 10\n"
               "[listener]\nbatch_size = 10\n")
    h.start()
    h.wait_log("Consuming", count=2)
    h.wait_log("Serving metrics")
    h.publish_raw(bodies(valid=120, unknown=7, bad_param=5, routine=0))
    # routine traffic, and failures no rule explains, come on a shared topic
    shared = h.shared_topics[0]
    h.publish_raw(bodies(valid=0, unknown=0, bad_param=0, routine=26) + unexplained(4),
                  topic=shared)
    h.wait_for_outcomes(stored=120, rejected=12)
    # the totals must add up two processes' counts, so both workers must have
    # stored some. RabbitMQ deals deliveries to both consumers, but a worker
    # that waits for a core (a busy machine) can leave a whole burst to the
    # other: top up with more failures until both have stored some.
    topped = 0
    for _ in range(10):
        try:
            services.wait_until(lambda: len(storing_workers(h.log())) == 2, 10,
                                "both workers' summaries")
            break
        except AssertionError:
            h.publish_raw(bodies(valid=20, unknown=0, bad_param=0, routine=0))
            topped += 20
            h.wait_for_outcomes(stored=120 + topped, rejected=12)
    assert len(storing_workers(h.log())) == 2, "one worker stored everything"

    def settled():
        s = scrape(port)
        return sum(value(s, "herald_notifications_total", outcome=o)
                   for o in ("stored", "rejected", "ignored")) == 162 + topped
    services.wait_until(settled, 30, "every outcome counted")
    s = scrape(port)
    assert value(s, "herald_notifications_total", outcome="stored") == 120 + topped
    assert value(s, "herald_notifications_total", outcome="rejected") == 12
    assert value(s, "herald_notifications_total", outcome="ignored") == 30
    assert value(s, "herald_notifications_total", outcome="retry") == 0
    assert value(s, "herald_rejections_total", code="unknown_event_id") == 7
    assert value(s, "herald_rejections_total", code="bad_parameter") == 5
    assert value(s, "herald_unmapped_failures_total", event_type="compute.instance.create.error",
                  service="compute") == 4
    assert value(s, "herald_batch_size_sum") == 162 + topped
    assert value(s, "herald_notification_age_seconds_count") == 120 + topped
    assert value(s, "herald_commit_seconds_count") >= 1
    assert value(s, "herald_outage") == 0

    services.stop_postgresql()
    try:
        h.publish_raw(bodies(valid=3, unknown=0, bad_param=0, routine=0))
        services.wait_until(lambda: value(scrape(port), "herald_outage") == 1, 60,
                            "the outage gauge at 1")
    finally:
        services.start_postgresql()
    h.wait_for_outcomes(stored=123 + topped, rejected=12, timeout=120)
    services.wait_until(lambda: value(scrape(port), "herald_outage") == 0, 60,
                        "the outage gauge back at 0")
    s = scrape(port)
    assert value(s, "herald_notifications_total", outcome="stored") == 123
    assert h.stop() == 0
