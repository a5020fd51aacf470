# herald's Event Viewer: how Horizon decides what herald-api allows. Copy into
# openstack_dashboard/local/local_settings.d/ (Horizon executes it with its
# settings). Defaults: herald-api's own (default_policies/user-messages.yaml);
# an operator's overrides: user-messages_policy.yaml in POLICY_FILES_PATH, the
# same rules as herald-api's [oslo_policy] policy_file.
import os as _os

import herald_dashboard as _herald_dashboard

POLICY_FILES.setdefault("user-messages", "user-messages_policy.yaml")  # noqa: F821
DEFAULT_POLICY_FILES.setdefault(  # noqa: F821
    "user-messages", _os.path.join(_os.path.dirname(_herald_dashboard.__file__), "conf",
                                   "default_policies", "user-messages.yaml"))
