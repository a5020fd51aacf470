"""Persistence of user messages and rejections, and reaping.

``get_connection(conf)`` picks the back end registered under the scheme of
``[database] connection`` (entry points ``herald.storage``).
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import exc as sa_exc
from stevedore import driver

from collector.exceptions import ConfigurationError
from storage.base import Connection

NAMESPACE = "herald.storage"


def get_connection(conf: cfg.ConfigOpts, url: str | None = None,
                   create: bool = False) -> Connection:
    """The store for ``url`` (default ``[database] connection``).

    Nothing is connected yet, but the database driver is loaded: a URL that
    cannot work (unparseable, an unknown scheme, a driver that is not
    installed, a SQLite file that does not exist) raises
    :class:`ConfigurationError` with one line saying why. Only ``create``
    (``herald-manage db upgrade``) may create a SQLite database.
    """
    url = url or conf.database.connection
    try:
        scheme = sa.make_url(url).get_backend_name()
    except sa_exc.ArgumentError as exc:
        raise ConfigurationError(f"[database] connection is not a database URL: {exc}") from None
    # asked first: stevedore's DriverManager would log its own warning
    if scheme not in {ep.name for ep in metadata.entry_points(group=NAMESPACE)}:
        raise ConfigurationError(
            f"[database] connection: herald has no storage back end for {scheme}:// "
            "(sqlite, postgresql and mysql/mariadb are supported)")
    manager: driver.DriverManager[Any] = driver.DriverManager(
        NAMESPACE, scheme, invoke_on_load=False)
    store: Connection = manager.driver(conf, url, create=create)
    return store
