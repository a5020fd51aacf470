"""Run inside ceilometer's own environment (bench/rules_bench.py --ceilometer).

Converts notifications with ceilometer's event converter and its shipped
``event_definitions.yaml``, in process, as its notification agent does
before any broker or database cost, and prints the CPU time per
notification as JSON. Input: a JSON-lines file of notifications in the
shape the agent hands the converter (``ctxt``, ``publisher_id``,
``event_type``, ``payload``, ``metadata``, and ``priority``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from ceilometer.event import converter
from oslo_config import cfg
from stevedore import extension


def main() -> int:
    path, repeat = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8") as f:
        bodies = [json.loads(line) for line in f]
    conf = cfg.ConfigOpts()
    conf.register_opts(converter.OPTS, group="event")
    conf([], project="ceilometer", default_config_files=[])
    plugins = extension.ExtensionManager("ceilometer.event.trait_plugin")
    conv = converter.setup_events(conf, plugins)
    events = [conv.to_event(b["priority"], b) for b in bodies[:10]]
    assert all(e is not None and e.traits for e in events), "nothing converted"
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for b in bodies:
            conv.to_event(b["priority"], b)
        runs.append((time.process_time() - start) / len(bodies) * 1e6)
    print(json.dumps({"us_per_notification": statistics.median(runs), "runs": runs,
                      "traits_first": len(events[0].traits)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
