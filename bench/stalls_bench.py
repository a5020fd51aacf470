"""From a stalled create to its owner's message, with real Keystone and Cinder.

    python -m bench.stalls_bench [-n 5] [--stall-time 5] [--interval 1]

Starts what tests/integration/test_stalls.py starts (Keystone 30, Cinder 29
with Keystone auth, herald-listener with the stall watcher, from the cached
virtualenvs), then, in the same run:

(a) baseline: ``-n`` creates while cinder-scheduler runs (no back end): the
    time from cinder-api's 202 to Cinder's own failure stored by herald
    (VOLUME_NO_VALID_BACKEND), the usual path;
(b) cinder-scheduler stopped: ``-n`` creates, each at a random moment of
    the watcher's cycle; the time from the 202 to the owner's stall message
    in herald's database, and that minus ``--stall-time``: the detection
    delay, which ``[stalls] interval`` bounds (plus one cycle's requests).

Prints one line per create and the medians. Needs RabbitMQ and PostgreSQL
on loopback, as the integration tests do.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import listener.cmd  # noqa: F401 - the threading backend first, as herald selects it
from tests.integration import http, venvs
from tests.integration.broker import VirtualHost
from tests.integration.cinder import Cinder
from tests.integration.conftest import Herald
from tests.integration.databases import Databases
from tests.integration.keystone import Keystone
from tests.integration.test_stalls import herald_conf


def wait_for(h: Herald, event_id: str, volume_id: str, timeout: float = 120) -> float:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(m["event_id"] == event_id and m["resource_uuid"] == volume_id
               for m in h.listener.rows()):
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError(f"{event_id} for {volume_id}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--stall-time", type=int, default=5)
    ap.add_argument("--interval", type=int, default=1)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="herald-stalls-bench-"))
    vhost, databases = VirtualHost(), Databases()
    keystone = Keystone(venvs.HORIZON.ensure(), tmp)
    conf = herald_conf(keystone).replace("stall_time = 5", f"stall_time = {args.stall_time}")
    conf = conf.replace("interval = 1", f"interval = {args.interval}")
    h = Herald(tmp, vhost, databases, ["openstack"], ["notifications"], extra=conf)
    h.listener.prepare_database()
    cinder = None
    try:
        keystone.start()
        projects = keystone.provision(f"{h.base}/v3/$(project_id)s")
        keystone.service_account("herald")
        cinder = Cinder(venvs.CINDER.ensure(), vhost, databases, tmp,
                        keystone_url=keystone.url)
        keystone.add_service("block-storage", "cinderv3", f"{cinder.base}/v3/$(project_id)s")
        cinder.start()
        h.start()
        demo, token = projects["demo"], keystone.token("demo", "demo", "demo")

        def create() -> tuple[str, float]:
            status, _, body = http.call("POST", f"{cinder.base}/v3/{demo}/volumes",
                                        {"X-Auth-Token": token}, {"volume": {"size": 1}})
            assert status == 202, body
            return body["volume"]["id"], time.monotonic()

        usual = []
        for _ in range(args.n):
            volume_id, t0 = create()
            usual.append(wait_for(h, "VOLUME_NO_VALID_BACKEND", volume_id) - t0)
            print(f"usual path: 202 -> failure message {usual[-1]:.3f} s", flush=True)
        cinder.processes.pop("cinder-scheduler").stop()
        stalled = []
        for _ in range(args.n):
            time.sleep(random.uniform(0, args.interval))
            volume_id, t0 = create()
            stalled.append(wait_for(h, "VOLUME_CREATE_STALLED", volume_id) - t0)
            print(f"stalled: 202 -> owner's message {stalled[-1]:.3f} s "
                  f"(detection {stalled[-1] - args.stall_time:.3f} s)", flush=True)
        med_u, med_s = statistics.median(usual), statistics.median(stalled)
        print(f"median usual path {med_u:.3f} s; median stalled create -> owner's message "
              f"{med_s:.3f} s = stall time {args.stall_time} s + detection "
              f"{med_s - args.stall_time:.3f} s (interval {args.interval} s; "
              f"max detection {max(stalled) - args.stall_time:.3f} s)")
    finally:
        if cinder is not None:
            cinder.stop()
        h.stop()
        keystone.stop()
        databases.drop()
        vhost.delete()


if __name__ == "__main__":
    main()
