"""herald-manage services: what the watch (listener.watch) sees of the
services' RPC queues, and the operator messages it wrote."""

from __future__ import annotations

import sys
from typing import Any

from oslo_config import cfg

import storage
from collector.catalogue import OPERATORS_PROJECT
from listener.cmd.output import print_rows

EPILOG = """\
  services list [--format F]      every watched RPC queue: its service, its state (ok,
                                  not_consuming, backlog) and since when, its latest reading
  services forget QUEUE           stop showing a queue no herald node watches any more (a
                                  host taken away); a node that still watches it adds it
                                  back
  services messages [--limit N] [--format F]
                                  the operator messages herald wrote (project _operators),
                                  newest first
"""


def services_list(conf: cfg.ConfigOpts) -> int:
    rows = storage.get_connection(conf).list_watched()
    for r in rows:
        r["waiting"] = r.pop("messages")
        if r["waiting"] is None and r["checked_at"] is not None and \
                conf.command.format != "json":
            r["waiting"] = "(no such queue)"  # the service was never started there
    print_rows(rows, conf.command.format, ["service", "queue", "state", "since", "waiting",
                                           "consumers", "checked_at"])
    if not rows and conf.command.format != "json":
        print("(no queue watched yet: is herald-listener running with [watch] enabled?)")
    return 0


def services_forget(conf: cfg.ConfigOpts) -> int:
    if not storage.get_connection(conf).forget_watched(conf.command.queue):
        print(f"herald-manage: no watched queue {conf.command.queue!r}", file=sys.stderr)
        return 1
    print(f"forgot {conf.command.queue}")
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
    p = add(services, "forget", services_forget, "forget a queue no node watches any more")
    p.add_argument("queue", metavar="QUEUE")
    p = add(services, "messages", services_messages, "operator messages, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--format", choices=["table", "json"], default="table")
