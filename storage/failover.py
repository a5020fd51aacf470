"""Leave a database node behind when it says it cannot serve.

Behind a load balancer (kolla-ansible's HAProxy in front of a Galera
cluster), a pooled connection stays bound to the node it was opened on.
SQLAlchemy discards a connection only when the driver reports it lost
(2006, 2013...). A Galera node that has left the cluster's quorum, a node
shutting down, or one that is read-only keeps its connections open and
answers every statement with an error: retried on that same connection,
a held batch would fail forever. Marking those errors as disconnects
makes SQLAlchemy invalidate the connection (and every pooled connection
opened before it), so the retry opens a new one, which the balancer sends
to a healthy node. Nothing else changes: the batch is still held
unacknowledged and retried, and acknowledged only after its commit.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

LOG = logging.getLogger(__name__)

#: MySQL/MariaDB server error codes that say "this node cannot serve",
#: not "this statement is wrong"
CANNOT_SERVE = {
    1047: "WSREP has not yet prepared node for application use (Galera node "
          "not in the primary component, or not synced)",
    1053: "server shutdown in progress",
    1180: "error during COMMIT (Galera: the node left the cluster mid-commit)",
    1290: "server running with --read-only",
    1836: "running in read-only mode",
    1927: "connection was killed",
    2006: "server has gone away",
    2013: "lost connection during query",
}


def error_code(exc: BaseException | None) -> int | None:
    """The server's error number of a PyMySQL or mysqlclient exception."""
    args = getattr(exc, "args", None)
    if args and isinstance(args[0], int):
        return args[0]
    return None


def cannot_serve(exc: BaseException | None) -> bool:
    """True when the driver's exception means the node, not the
    statement, is at fault: the connection must not be used again."""
    return error_code(exc) in CANNOT_SERVE


def _handle_error(context: Any) -> None:
    if context.is_disconnect or not cannot_serve(context.original_exception):
        return
    code = error_code(context.original_exception)
    LOG.warning("The database node answered %s (%s): dropping its connections; the "
                "next attempt opens a new one", code, CANNOT_SERVE[code])  # type: ignore[index]
    context.is_disconnect = True


def install(engine: sa.Engine) -> None:
    """Treat :data:`CANNOT_SERVE` errors on ``engine`` as lost connections."""
    sa.event.listen(engine, "handle_error", _handle_error)
