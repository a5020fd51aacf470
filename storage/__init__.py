"""Persistence of user messages and rejections, and reaping.

``get_connection(conf)`` picks the back end registered under the scheme of
``[database] connection`` (entry points ``herald.storage``).
"""

from __future__ import annotations

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import exc as sa_exc
from stevedore import driver

from collector.exceptions import ConfigurationError
from storage.base import Connection

NAMESPACE = "herald.storage"


def get_connection(conf: cfg.ConfigOpts, url: str | None = None) -> Connection:
    url = url or conf.database.connection
    try:
        scheme = sa.make_url(url).get_backend_name()
    except sa_exc.ArgumentError as exc:
        raise ConfigurationError(f"[database] connection is not a database URL: {exc}") from None
    try:
        mgr = driver.DriverManager(NAMESPACE, scheme, invoke_on_load=True,
                                   invoke_args=(conf, url))
    except Exception as exc:  # stevedore raises several types for a missing plugin
        raise ConfigurationError(
            f"no storage back end for database scheme {scheme!r}: {exc}") from exc
    return mgr.driver
