"""herald's database failover on a Galera cluster, in figures.

    python bench/galera_bench.py [--runs 3] [--faults kill,restart,isolate]
                                 [--inter 2] [--fall 5] [--json FILE]

Starts a three-node Galera cluster of its own and, for each fault and run,
the scenario of tests/functional/test_galera.py (tests/functional/
galera_run.py): herald-listener (1 worker) under 150 notifications/s, 2,100
in all (70 % valid, 30 % invalid), the proxy's active node killed (left
down, or restarted 10 s later and rejoining by IST) or isolated from the
cluster 5 s into the load. Prints, per run: stored / quarantined / lost /
duplicated, seconds from the fault to herald's next commit, and, as the
baseline of the same run, seconds from the fault to the proxy marking the
node down (kolla's HAProxy checks: ``inter 2000 rise 2 fall 5``; change
with --inter / --fall); their difference is herald's own share.

Needs RabbitMQ on 127.0.0.1:5672, and mariadb-server, galera-4 and rsync
installed (as tests/functional/test_galera.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import listener.cmd  # noqa: E402, F401 - the threading backend
from tests.functional import galera_run  # noqa: E402
from tests.functional.galera_cluster import Cluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--faults", default="kill,restart,isolate")
    parser.add_argument("--inter", type=float, default=None,
                        help="proxy check interval, s (kolla: 2)")
    parser.add_argument("--fall", type=int, default=None,
                        help="failed checks before a node is down (kolla: 5)")
    parser.add_argument("--json", help="write every run's figures here")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = []
    cluster = Cluster()
    try:
        cluster.up()
        for fault in args.faults.split(","):
            for i in range(args.runs):
                with tempfile.TemporaryDirectory() as tmp:
                    outcome = galera_run.run(cluster, Path(tmp) / "h", fault,
                                             inter=args.inter, fall=args.fall)
                figures = outcome.figures()
                figures["herald_s"] = round(outcome.resumed_s - (outcome.marked_down_s or 0), 2)
                results.append(figures)
                print(f"{fault:8} run {i + 1}: " + ", ".join(
                    f"{k} {figures[k]}" for k in ("stored", "rejected", "lost", "duplicated",
                                                  "resumed_s", "marked_down_s", "herald_s",
                                                  "ist")), flush=True)
    finally:
        cluster.stop()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for fault in args.faults.split(","):
        runs = [r for r in results if r["fault"] == fault]
        resumed = [r["resumed_s"] for r in runs]
        own = [r["herald_s"] for r in runs]
        print(f"{fault:8}: next commit {min(resumed)}-{max(resumed)} s after the fault "
              f"(median {statistics.median(resumed)}); herald's own share "
              f"{min(own)}-{max(own)} s after the proxy marked the node down; lost "
              f"{sum(r['lost'] for r in runs)}, duplicated {sum(r['duplicated'] for r in runs)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
