"""Run the whole test suite as CI does, in two phases.

Most tests share nothing (each has its own RabbitMQ vhost, its own databases
and its own processes), so they run in parallel processes: the machine's
cores spend most of a functional test waiting on real services. The fault
tests stop and start services other tests rely on, so they run afterwards,
alone. With arguments, this is plain ``pytest`` with those arguments.

``HERALD_TEST_PROCESSES`` sets the number of processes of the first phase
(default 3; 0 runs it in this process).
"""

from __future__ import annotations

import os
import subprocess
import sys


def pytest(*args: str) -> int:
    cmd = [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd)


def main(argv: list[str]) -> int:
    if argv:
        return pytest(*argv)
    processes = int(os.environ.get("HERALD_TEST_PROCESSES", "3"))
    parallel = ["-n", str(processes), "--dist", "loadfile"] if processes else []
    first = pytest("-m", "not fault", *parallel, "--durations=10", "tests")
    second = pytest("-m", "fault", "--durations=10", "tests")
    print(f"suite: parallel phase exit {first}, fault phase exit {second}", flush=True)
    return first or second


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
