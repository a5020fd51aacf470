"""Rule evaluation against the peer: ceilometer's notification converter.

    python bench/rules_bench.py [-n 20000] [--repeat 5] [--ceilometer]

On the same bodies -- legacy ``compute.instance.update`` and
``volume.create.end`` notifications as nova and cinder send them
(tests/emitted.py) -- it measures in process, CPU time per notification
(median of ``--repeat`` passes):

* herald: deciding what a notification is (``Router.route``: herald's own
  payload, a rule's, or routine) on decoded notifications, and the decode
  of the raw 2.0 body before it; and, for reference, a mapped failure
  (route, translate, validate, render);
* with ``--ceilometer``: ceilometer's ``NotificationEventsConverter.to_event``
  with its shipped ``event_definitions.yaml`` (bench/ceilometer_convert.py),
  in its own virtual environment, created and filled from PyPI on first use
  (``HERALD_BENCH_CEILOMETER_VENV``, default ~/.cache/herald-bench/ceilometer).

Target: herald's cost per routine notification, decode included, at most
1/5 of ceilometer's conversion of the same notification.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import listener.cmd  # noqa: E402, F401 - the threading backend
from collector import catalogue, envelope, rulecheck  # noqa: E402
from collector.mapping import Router  # noqa: E402
from collector.model import utcnow  # noqa: E402
from collector.validation import Validator  # noqa: E402
from listener import config  # noqa: E402
from tests import emitted, wire  # noqa: E402

CEILOMETER = "ceilometer==27.0.0"
VENV = Path(os.environ.get("HERALD_BENCH_CEILOMETER_VENV",
                           Path.home() / ".cache" / "herald-bench" / "ceilometer"))
TARGET = 0.2


def cpu_us(fn, items, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for item in items:
            fn(item)
        runs.append((time.process_time() - start) / len(items) * 1e6)
    return statistics.median(runs)


def ceilometer_shape(message: dict) -> dict:
    """What ceilometer's notification agent hands its converter."""
    return {"ctxt": {k[len("_context_"):]: v for k, v in message.items()
                     if k.startswith("_context_")},
            "publisher_id": message["publisher_id"], "event_type": message["event_type"],
            "payload": message["payload"], "priority": message["priority"].lower(),
            "metadata": {"message_id": message["message_id"],
                         "timestamp": message["timestamp"]}}


def ceilometer_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"  installing {CEILOMETER} into {VENV} (first use)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", CEILOMETER], check=True)
    return python


def run_ceilometer(messages: list[dict], repeat: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for m in messages:
            f.write(json.dumps(ceilometer_shape(m)) + "\n")
    try:
        out = subprocess.run([str(ceilometer_python()), str(HERE / "ceilometer_convert.py"),
                              f.name, str(repeat)], check=True, capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--ceilometer", action="store_true",
                   help="also measure ceilometer's converter (installs it on first use)")
    p.add_argument("--json", type=Path)
    a = p.parse_args()

    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    cat = catalogue.sanctioned()
    router = Router(rulecheck.load(conf, cat))
    validator = Validator.from_conf(conf, cat)
    routine = [emitted.routine(i) for i in range(a.n)]
    bodies = [wire.body_v2(m) for m in routine]
    decoded = [envelope.from_body(b, 65536) for b in bodies]
    assert all(router.route(n) is None for n in decoded)
    failures = [emitted.cinder_volume("create_volume", "NoValidBackend('No valid backend')",
                                      volume_id=str(uuid.uuid4()), project="p" * 8)
                for _ in range(min(a.n, 5000))]
    failed = [envelope.from_body(wire.body_v2(m), 65536) for m in failures]

    size = statistics.mean(len(b) for b in bodies)
    route_us = cpu_us(router.route, decoded, a.repeat)
    decode_us = cpu_us(lambda b: envelope.from_body(b, 65536), bodies, a.repeat)
    now = utcnow()
    mapped_us = cpu_us(lambda n: validator.accept(router.route(n), now), failed, a.repeat)
    result = {"n": a.n, "body_bytes": round(size), "herald_route_us": round(route_us, 2),
              "herald_decode_us": round(decode_us, 2),
              "herald_routine_us": round(route_us + decode_us, 2),
              "herald_mapped_failure_us": round(mapped_us, 2)}
    print(f"rules bench: N={a.n} routine notifications (compute.instance.update, "
          f"volume.create.end), {size:.0f} bytes each, python {sys.version.split()[0]}")
    print(f"  herald: route {route_us:.2f} us + decode {decode_us:.2f} us = "
          f"{route_us + decode_us:.2f} us CPU per routine notification; a mapped failure "
          f"(route, translate, validate, render) {mapped_us:.2f} us")
    if a.ceilometer:
        ceilo = run_ceilometer(routine, a.repeat)
        ratio = (route_us + decode_us) / ceilo["us_per_notification"]
        result.update(ceilometer_us=round(ceilo["us_per_notification"], 1),
                      ratio=round(ratio, 4), target=TARGET, met=ratio <= TARGET)
        print(f"  ceilometer {CEILOMETER.split('==')[1]} converter: "
              f"{ceilo['us_per_notification']:.1f} us CPU per notification "
              f"({1e6 / ceilo['us_per_notification']:,.0f}/s)")
        print(f"  herald / ceilometer = {ratio:.4f} (target <= {TARGET}): "
              f"{'met' if ratio <= TARGET else 'MISSED'}")
    if a.json:
        a.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
