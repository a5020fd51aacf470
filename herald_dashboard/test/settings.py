"""Horizon's own test settings, with this plugin enabled as an operator would.

``openstack_dashboard.test.settings`` enables only Horizon's dashboards; the
plugin's enabled files join ``openstack_dashboard.local.enabled`` (as if
copied there) and the dashboards are built again, as masakari-dashboard's
test settings do. Policy checks stay off here, as in Horizon's tests; the
policy tests turn them on with herald's default policies.
"""

import os

import openstack_dashboard.enabled
import openstack_dashboard.local.enabled as _local_enabled
from openstack_dashboard.test.settings import *  # noqa: F403
from openstack_dashboard.utils import settings as _settings_utils

import herald_dashboard

_HERE = os.path.dirname(herald_dashboard.__file__)
_ENABLED = os.path.join(_HERE, "enabled")
if _ENABLED not in _local_enabled.__path__:
    _local_enabled.__path__.append(_ENABLED)
HORIZON_CONFIG.pop("dashboards", None)  # noqa: F405
HORIZON_CONFIG.pop("default_dashboard", None)  # noqa: F405
_settings_utils.update_dashboards([openstack_dashboard.enabled, _local_enabled],
                                  HORIZON_CONFIG, INSTALLED_APPS)  # noqa: F405
INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))  # noqa: F405
HERALD_DEFAULT_POLICY = os.path.join(_HERE, "conf", "default_policies", "user-messages.yaml")
