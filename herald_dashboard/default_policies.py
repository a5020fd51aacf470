"""herald-api's policy defaults in Horizon's ``DEFAULT_POLICY_FILES`` format.

Horizon decides what to show (the panels, the delete action) with
oslo.policy and the defaults of each service; this writes herald's, from
herald's own code (``api.policy``), as Horizon's ``dump_default_policies``
command would. ``tox -e genpolicy`` runs it; a unit test keeps the file
current. Imports nothing of Horizon or Django.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from oslo_policy import generator

OUTPUT = Path(__file__).parent / "conf" / "default_policies" / "user-messages.yaml"


def dump() -> str:
    rules: list[dict[str, Any]] = []
    for default in generator.get_policies_dict(["herald"])["herald"]:
        rules.append({"name": default.name, "check_str": default.check_str,
                      "description": default.description,
                      "operations": getattr(default, "operations", []),
                      "scope_types": getattr(default, "scope_types", None)})
    return str(yaml.safe_dump(rules))


def main() -> int:
    OUTPUT.write_text(dump())
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
