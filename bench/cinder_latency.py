"""How far behind Cinder's own message herald's is, for the same failed create.

    python -m bench.cinder_latency [-n 20] [--size 1]

Real Cinder 29 (api and scheduler, no volume service, noauth, from the
integration tests' cached virtualenv) and herald-listener plus herald-api with
their default batch settings, on a RabbitMQ vhost and PostgreSQL databases of
their own. Each of ``-n`` creates fails at the scheduler (no back end). Two
threads poll, back to back, Cinder's messages API and herald-api for a message
about that volume; each records when the first request that found it was
sent. Cinder's scheduler sends its notification and then writes its own
message, so herald's lag can be negative. Prints each create, then p50/p99 of
herald's lag behind Cinder (goal: p99 <= 100 ms) and the polls' own round
trips (the resolution of the figure).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import listener.cmd  # noqa: F401 - the threading backend first, as herald selects it
from tests.integration import http, venvs
from tests.integration.broker import VirtualHost
from tests.integration.cinder import Cinder
from tests.integration.conftest import Herald
from tests.integration.databases import Databases


def first_seen(poll, volume_id: str, out: dict[str, float], key: str, rtts: list[float],
               timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sent = time.monotonic()
        found = any(m.get("resource_uuid") == volume_id for m in poll())
        rtts.append(time.monotonic() - sent)
        if found:
            out[key] = sent
            return


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--size", type=int, default=1)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="herald-cinder-latency-"))
    vhost, databases = VirtualHost(), Databases()
    h = Herald(tmp, vhost, databases, ["openstack"], ["notifications"])
    cinder = None
    try:
        cinder = Cinder(venvs.CINDER.ensure(), vhost, databases, tmp).start()
        h.start()

        def herald_messages() -> list[dict]:
            status, _, body = http.call("GET", f"{h.base}/v3/demo/messages",
                                        {"X-Auth-Token": "demo-user:demo",
                                         "OpenStack-API-Version": "volume 3.5"})
            return body["messages"] if status == 200 else []

        lags, rtt_c, rtt_h = [], [], []
        for i in range(args.n):
            volume_id, _ = cinder.create_volume(args.size)
            seen: dict[str, float] = {}
            threads = [threading.Thread(target=first_seen, args=(
                           cinder.messages, volume_id, seen, "cinder", rtt_c)),
                       threading.Thread(target=first_seen, args=(
                           herald_messages, volume_id, seen, "herald", rtt_h))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            # the project's volume quota (10) must not run out: an errored
            # volume with no host is deleted at once
            status, _, body = cinder.api("DELETE", f"/volumes/{volume_id}")
            assert status == 202, body
            lag = (seen["herald"] - seen["cinder"]) * 1000
            lags.append(lag)
            print(f"{i + 1:3d} {volume_id}: herald {lag:+7.1f} ms behind Cinder", flush=True)
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"\n{args.n} creates, load average {' '.join(load)}: herald's message behind "
              f"Cinder's own: p50 {pct(lags, 0.5):+.1f} ms, p99 {pct(lags, 0.99):+.1f} ms, "
              f"max {max(lags):+.1f} ms (goal: p99 <= 100 ms)")
        print(f"poll round trips: Cinder p50 {statistics.median(rtt_c) * 1000:.1f} ms, "
              f"herald-api p50 {statistics.median(rtt_h) * 1000:.1f} ms")
    finally:
        if cinder is not None:
            cinder.stop()
        h.stop()
        databases.drop()
        vhost.delete()


if __name__ == "__main__":
    main()
