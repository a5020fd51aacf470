"""The service account herald reads the services' APIs with.

keystoneauth1 options in ``[service_credentials]``, registered through
``keystoneauth1.loading`` as ceilometer and aodh do, so operators configure
herald like every other service that reads the cloud on its own behalf. The
account needs the role docs/operations.md names (it only ever lists).
"""

from __future__ import annotations

from typing import Any

from keystoneauth1 import loading as ka_loading
from oslo_config import cfg

from collector.exceptions import ConfigurationError

GROUP = "service_credentials"

OPTS = [
    cfg.StrOpt("region_name", help="Region of the services' endpoints (the catalog's)."),
    cfg.StrOpt("interface", default="internal",
               choices=("public", "internal", "admin"),
               help="Endpoint interface herald reads the services' APIs on."),
]


def list_opts() -> list[cfg.Opt]:
    """Every option of the group, for the sample file (the password
    plugin's, as ceilometer shows them)."""
    return (OPTS + ka_loading.get_session_conf_options()
            + ka_loading.get_auth_common_conf_options()
            + ka_loading.get_auth_plugin_conf_options("password"))


def register(conf: cfg.ConfigOpts) -> None:
    """The options keystoneauth1 reads itself (idempotent)."""
    conf.register_opts(OPTS, group=GROUP)
    ka_loading.register_session_conf_options(conf, GROUP)
    ka_loading.register_auth_conf_options(conf, GROUP)


def check(conf: cfg.ConfigOpts) -> None:
    """Fail fast when the account cannot even be loaded (no auth_type, a
    plugin's required option missing); contacts nothing."""
    register(conf)
    try:
        auth = ka_loading.load_auth_from_conf_options(conf, GROUP)
    except Exception as exc:  # keystoneauth1's and oslo.config's own errors
        raise ConfigurationError(f"[{GROUP}]: {exc}") from None
    if auth is None:
        raise ConfigurationError(f"[stalls] enabled needs [{GROUP}] auth_type (and its options)")


def connection(conf: cfg.ConfigOpts) -> Any:
    """An openstacksdk connection on the service account's session."""
    import openstack.connection

    register(conf)
    auth = ka_loading.load_auth_from_conf_options(conf, GROUP)
    session = ka_loading.load_session_from_conf_options(conf, GROUP, auth=auth)
    group = conf[GROUP]
    return openstack.connection.Connection(session=session, region_name=group.region_name,
                                           interface=group.interface)
