"""Test-only dispatchers, installed the way third parties install them.

A throw-away distribution (a dist-info with entry points) is written to a
temporary directory that goes on the listener's PYTHONPATH: herald loads it
through the same stevedore path as any other dispatcher, and nothing
test-specific ships in herald itself.

- ``crash`` kills the listener process (os._exit) when a batch holds a
  message whose resource_uuid is ``poison-pill``: a crash no exception
  handler can contain.
- ``recorder`` appends every message_id it is given to the file named by
  HERALD_TEST_RECORD: how often each notification was dispatched.
- ``fragile`` starts once (the master's start-up check) and refuses with a
  ConfigurationError every later time (the workers): what preflight cannot
  foresee. Each start is a line in HERALD_TEST_RECORD.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

SOURCE = '''
import os

from collector.dispatcher import Dispatcher
from collector.exceptions import ConfigurationError


class CrashDispatcher(Dispatcher):
    name = "crash"

    def dump(self, messages):
        if any(m.resource_uuid == "poison-pill" for m in messages):
            os._exit(17)
        return []


class RecorderDispatcher(Dispatcher):
    name = "recorder"

    def dump(self, messages):
        with open(os.environ["HERALD_TEST_RECORD"], "a") as f:
            f.write("".join(m.message_id + "\\n" for m in messages))
            f.flush()
            os.fsync(f.fileno())
        return []


class FragileDispatcher(Dispatcher):
    name = "fragile"

    @classmethod
    def create(cls, conf, **collaborators):
        path = os.environ["HERALD_TEST_RECORD"]
        starts = open(path).read().count("start") if os.path.exists(path) else 0
        with open(path, "a") as f:
            f.write("start\\n")
        if starts:
            raise ConfigurationError("fragile: cannot start in a worker")
        return cls(conf)

    def dump(self, messages):
        return []
'''


def install(directory: Path) -> dict[str, str]:
    """Write the distribution; the environment that makes herald see it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "herald_test_plugins.py").write_text(SOURCE)
    info = directory / "herald_test_plugins-0.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: herald-test-plugins\n"
                                   "Version: 0.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""\
        [herald.dispatchers]
        crash = herald_test_plugins:CrashDispatcher
        recorder = herald_test_plugins:RecorderDispatcher
        fragile = herald_test_plugins:FragileDispatcher
        """))
    path = os.pathsep.join(p for p in (str(directory), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, "HERALD_TEST_RECORD": str(directory / "record.txt")}


def recorded(env: dict[str, str]) -> list[str]:
    path = Path(env["HERALD_TEST_RECORD"])
    return path.read_text().split() if path.exists() else []
