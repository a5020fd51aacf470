"""Render the fault tests' report (HERALD_RELIABILITY_REPORT) as markdown.

    HERALD_RELIABILITY_REPORT=/tmp/reliability.json tox -e py3 -- -m fault
    python tools/reliability_table.py /tmp/reliability.json
"""

import json
import sys

COLUMNS = ["published", "stored", "rejected", "lost", "duplicated"]


def main() -> int:
    rows = json.load(open(sys.argv[1]))
    print("| scenario | " + " | ".join(COLUMNS) + " | notes |")
    print("|---|" + "---|" * (len(COLUMNS) + 1))
    for r in rows:
        notes = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r.items()
                          if k not in COLUMNS and k not in ("scenario", "unexpected"))
        cells = " | ".join(str(r[c]) for c in COLUMNS)
        print(f"| {r['scenario']} | {cells} | {notes} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
