"""Which RPC queues the watch probes, and how it learns the per-host ones.

By default: the schedulers' and nova's conductor's topic queues, which
every create goes through (``cinder-scheduler`` and ``manila-scheduler`` on
exchange ``openstack``, ``conductor`` and ``scheduler`` on ``nova``).

The per-back-end and per-host queues (``cinder-volume.<host>@<backend>``,
``manila-share.<host>@<backend>``, ``compute.<host>``) are named after the
``host`` each service writes in its own ``services`` table when it starts;
oslo.messaging's RPC server consumes ``<topic>.<host>``. herald reads those
rows (read-only, ``[watch] service_databases``) because that is the one
place every deployment has:

- RabbitMQ's management API would list queues, but it is a plugin a
  deployment may not enable, and it needs its own credentials;
- the services' APIs (``os-services``) need a Keystone service account,
  and nova's lists compute hosts only across cells it can reach;
- a static list in herald's configuration would drift as back ends are
  added.

Fanout and reply queues are never probed: oslo gives them an expiry, and a
passive declare resets it (it would keep a dead service's queues alive).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import sqlalchemy as sa
from oslo_config import cfg

from storage.engine import choose_driver

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.DictOpt(
        "queues",
        default={"cinder-scheduler": "cinder-scheduler",
                 "manila-scheduler": "manila-scheduler",
                 "conductor": "nova-conductor", "scheduler": "nova-scheduler"},
        help="RPC topic queues to watch, each with the service that consumes it "
        "(``queue:service``). A queue that does not exist (the service is not "
        "deployed) costs one refused passive declare per look and is never reported.",
    ),
    cfg.ListOpt(
        "service_databases",
        default=[],
        secret=True,
        help="SQLAlchemy URLs of the services' own databases (cinder, manila, each nova "
        "cell), read-only: herald reads their ``services`` table to learn the per-host "
        "queues of the services whose topic is in ``learned_topics``. A read-only "
        "account with SELECT on ``services`` is enough.",
    ),
    cfg.ListOpt(
        "learned_topics",
        default=["cinder-volume", "cinder-backup", "manila-share", "compute"],
        help="Topics whose per-host queues (``<topic>.<host>``) are watched for every "
        "enabled, not deleted row of the services' ``services`` tables.",
    ),
    cfg.IntOpt(
        "learn_interval",
        default=300,
        min=10,
        help="Seconds between two readings of the services' ``services`` tables.",
    ),
]

# oslo's fanout (<topic>_fanout_<uuid>) and reply (reply_<uuid>) queues
# expire; amq.* are the broker's own
_EXPIRING = re.compile(r"(?:^reply_|_fanout_|^amq\.)")


def probeable(queue: str) -> bool:
    """Never a queue that expires: a passive declare resets its expiry."""
    return bool(queue) and _EXPIRING.search(queue) is None


def configured(conf: cfg.ConfigOpts) -> dict[str, str]:
    """``{queue: service}`` from ``[watch] queues``; refused names logged."""
    out = {}
    for queue, service in (conf.watch.queues or {}).items():
        if probeable(queue):
            out[queue] = service or queue
        else:
            LOG.error("[watch] queues: %r is a fanout or reply queue, which expire; "
                      "herald never probes those", queue)
    return out


def _not_deleted(table: sa.Table) -> sa.ColumnElement[bool]:
    """cinder's ``deleted`` is a boolean, nova's and manila's an integer."""
    column = table.c.deleted
    if isinstance(column.type, sa.Boolean):
        return column.is_(sa.false())
    return column == 0


def _not_disabled(table: sa.Table) -> sa.ColumnElement[bool]:
    column = table.c.disabled
    return sa.or_(column.is_(None), column.is_(sa.false())
                  if isinstance(column.type, sa.Boolean) else column == 0)


def learn_from(url: str, topics: Iterable[str]) -> dict[str, str]:
    """``{<topic>.<host>: binary}`` from one service database's ``services``."""
    wanted = set(topics)
    # a URL naming no driver (devstack's) gets the one herald has installed
    engine = sa.create_engine(choose_driver(sa.make_url(url)), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            table = sa.Table("services", sa.MetaData(), autoload_with=conn)
            rows = conn.execute(sa.select(table.c.binary, table.c.host, table.c.topic)
                                .where(_not_deleted(table), _not_disabled(table)))
            return {f"{r.topic}.{r.host}": r.binary for r in rows
                    if r.topic in wanted and r.host and probeable(f"{r.topic}.{r.host}")}
    finally:
        engine.dispose()


def learn(conf: cfg.ConfigOpts) -> dict[str, str]:
    """Every configured database's per-host queues; one that cannot be read
    is logged and skipped (the others, and the defaults, are still watched)."""
    out: dict[str, str] = {}
    for url in conf.watch.service_databases:
        try:
            out.update(learn_from(url, conf.watch.learned_topics))
        except (sa.exc.SQLAlchemyError, ImportError, ValueError) as exc:
            # unreachable, no services table, a driver that is not installed...
            try:
                shown = sa.make_url(url).render_as_string(hide_password=True)
            except sa.exc.ArgumentError:
                shown = "(an unparseable URL)"
            reason = (str(getattr(exc, "orig", None) or exc).splitlines() or [""])[0]
            LOG.warning("[watch] cannot read the services table of %s: %s: %s", shown,
                        type(exc).__name__, reason[:200])
    return out
