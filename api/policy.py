"""Who may do what: oslo.policy rules in code, like every OpenStack API.

A project's readers (and administrators) read its messages; its members
(and administrators) delete them. Operators override the defaults in a
policy file (``[oslo_policy] policy_file``); ``tox -e genpolicy`` writes
the sample etc/herald/policy.yaml.sample with every rule.
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg
from oslo_policy import policy

ADMIN = "role:admin"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"


def _messages_rule(name: str, check_str: str, description: str, method: str,
                   suffix: str = "") -> policy.DocumentedRuleDefault:
    """A rule of the messages routes, with and without a project in the URL."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{"method": method, "path": f"/v3/{{project_id}}/messages{suffix}"},
                    {"method": method, "path": f"/v3/messages{suffix}"}])


RULES = [
    policy.RuleDefault("admin_api", ADMIN, description="Administrators."),
    _messages_rule("message:get_all", f"({PROJECT_READER}) or rule:admin_api",
                   "List a project's messages (all projects: administrators).", "GET"),
    _messages_rule("message:get", f"({PROJECT_READER}) or rule:admin_api",
                   "Show one message.", "GET", "/{message_id}"),
    _messages_rule("message:delete", f"({PROJECT_MEMBER}) or rule:admin_api",
                   "Delete one message.", "DELETE", "/{message_id}"),
    policy.DocumentedRuleDefault(
        name="progress:get", check_str=f"({PROJECT_READER}) or rule:admin_api",
        description="Show the provisioning steps of a resource.",
        operations=[{"method": "GET",
                     "path": "/v3/{project_id}/resources/{resource_uuid}/progress"}]),
    policy.DocumentedRuleDefault(
        name="messaging_status:get", check_str=f"({PROJECT_READER}) or rule:admin_api",
        description="Whether the cloud's messaging service is unavailable (herald's "
        "extension; names no host).",
        operations=[{"method": "GET", "path": "/v3/{project_id}/messaging-status"}]),
]


def list_rules() -> list[policy.RuleDefault]:
    """Entry point ``oslo.policy.policies`` = ``herald``."""
    return list(RULES)


def get_enforcer() -> policy.Enforcer:
    """Entry point ``oslo.policy.enforcer`` (oslopolicy-policy-generator)."""
    conf = cfg.ConfigOpts()
    conf([], project="herald", default_config_files=[])
    return enforcer(conf)


def enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    e = policy.Enforcer(conf)
    e.register_defaults(RULES)
    return e


def creds(environ: dict[str, Any]) -> dict[str, Any]:
    """The caller, from the headers the auth middleware set."""
    roles = [r.strip().lower() for r in environ.get("HTTP_X_ROLES", "").split(",") if r.strip()]
    return {"user_id": environ.get("HTTP_X_USER_ID"),
            "project_id": environ.get("HTTP_X_PROJECT_ID"), "roles": roles}
