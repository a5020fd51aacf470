"""herald-manage services: what the watch (listener.watch) sees of the
services' RPC queues, and the operator messages it wrote."""

from __future__ import annotations

from typing import Any

from oslo_config import cfg

import storage
from collector.catalogue import OPERATORS_PROJECT
from listener.cmd.output import print_rows

EPILOG = """\
  services list [--format F]      every watched RPC queue: its service, its state (ok,
                                  not_consuming, backlog) and since when, its latest reading
  services messages [--limit N] [--format F]
                                  the operator messages herald wrote (project _operators),
                                  newest first
"""


def services_list(conf: cfg.ConfigOpts) -> int:
    rows = storage.get_connection(conf).list_watched()
    for r in rows:
        r["waiting"] = r.pop("messages")
    print_rows(rows, conf.command.format, ["service", "queue", "state", "since", "waiting",
                                           "consumers", "checked_at"])
    if not rows and conf.command.format != "json":
        print("(no queue watched yet: is herald-listener running with [watch] enabled?)")
    return 0


def services_messages(conf: cfg.ConfigOpts) -> int:
    rows = storage.get_connection(conf).list_messages(OPERATORS_PROJECT,
                                                      limit=conf.command.limit)
    print_rows(rows, conf.command.format, ["created_at", "message_level", "event_id",
                                           "user_message"])
    return 0


def add_parsers(subparsers: Any, add: Any) -> None:
    services = subparsers.add_parser(
        "services", help="the services' RPC queues herald watches").add_subparsers(
        dest="action", required=True)
    p = add(services, "list", services_list, "every watched queue, problems first")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = add(services, "messages", services_messages, "operator messages, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--format", choices=["table", "json"], default="table")
