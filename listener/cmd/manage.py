"""herald-manage: schema, catalogue, quarantine and reaping for operators."""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from oslo_config import cfg

import storage
from collector import catalogue, locales, reference, resources
from collector.exceptions import CatalogueError, HeraldError
from collector.model import utcnow
from listener import config
from listener.cmd import mapping_commands, services_commands
from listener.cmd.output import print_rows
from storage import migration, reaper

DESCRIPTION = """\
Operate herald: migrate its database schema, inspect and check the sanctioned
catalogue, look at quarantined notifications, list a project's messages, see
the services herald watches and reap expired rows. Results go to standard
output, logs to standard error.
"""

EPILOG = """\
commands:
  db upgrade                      create or migrate the schema to this version
  db version                      print the schema revision and the one needed
  catalogue list [--format F]     every sanctioned entry (table or json)
  catalogue check FILE [--locale L]
                                  validate a catalogue override file (of a translation)
  catalogue docs [--output FILE]  the reference of every entry (docs/catalogue.md)
  rejected list [--limit N] [--code C] [--show-body] [--format F]
                                  newest quarantined notifications first
  messages list --project P [--limit N] [--resource-type T] [--format F]
                                  one project's live messages, newest first
  messages reap                   delete expired messages and old rejections now
  progress show RESOURCE --project P
                                  the provisioning steps of a resource
  broker outages [--limit N] [--format F]
                                  broker outages herald recorded, newest first (an open one
                                  is what herald-api tells users)
  broker definitions [--output FILE]
                                  RabbitMQ definitions (load_definitions) pre-creating the
                                  services' exchanges with their own properties, herald's
                                  queue and its bindings at every broker boot
                                  (docs/operations.md)
""" + mapping_commands.EPILOG + services_commands.EPILOG + """
exit status:
  0  success
  1  failure (invalid override file, unreachable database...), reason on stderr
  2  usage error
"""


# -- commands -----------------------------------------------------------------
def db_upgrade(conf: cfg.ConfigOpts) -> int:
    store = storage.get_connection(conf, create=True)  # the only command that may create one
    store.upgrade()
    print(f"database schema at revision {store.schema_revision()}")
    return 0


def db_version(conf: cfg.ConfigOpts) -> int:
    store = storage.get_connection(conf)
    print(f"current: {store.schema_revision() or '(empty)'}\nneeded:  {migration.head()}")
    return 0


def catalogue_list(conf: cfg.ConfigOpts) -> int:
    rows = [e.describe() for e in catalogue.load(conf)]
    if conf.command.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            spec = r["params"]
            assert isinstance(spec, dict)
            params = ", ".join(f"{k}: {v}" for k, v in spec.items())
            print(f"{r['event_id']}  [{r['level']}, {r['resource_type']}]\n"
                  f"    {r['template']}\n    params: {params or '-'}")
    return 0


def catalogue_check(conf: cfg.ConfigOpts) -> int:
    overrides = catalogue.read_override_file(conf.command.file)
    if conf.command.locale:
        problems = locales.check_override(catalogue.sanctioned(), conf.command.locale,
                                          overrides)
        if problems:
            raise CatalogueError(f"invalid {conf.command.file}:\n  " + "\n  ".join(problems))
        print(f"{conf.command.file}: valid, re-words {len(overrides)} entries in "
              f"{conf.command.locale}")
        return 0
    result = catalogue.sanctioned().with_overrides(overrides, source=conf.command.file)
    print(f"{conf.command.file}: valid, re-words {len(overrides)} of {len(result)} entries")
    return 0


def catalogue_docs(conf: cfg.ConfigOpts) -> int:
    text = reference.render(catalogue.sanctioned(), catalogue.operators())
    if conf.command.output:
        with open(conf.command.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {conf.command.output}")
    else:
        sys.stdout.write(text)
    return 0


def rejected_list(conf: cfg.ConfigOpts) -> int:
    rows = storage.get_connection(conf).list_rejected(
        limit=conf.command.limit, code=conf.command.code, with_body=conf.command.show_body)
    if conf.command.show_body and conf.command.format != "json":
        for r in rows:  # bytes as text, control characters escaped
            r["raw_body"] = (r["raw_body"] or b"").decode("utf-8", "backslashreplace") \
                .encode("unicode_escape").decode("ascii")
    columns = ["received_at", "code", "dedupe_key", "event_id", "project_id", "publisher_id",
               "raw_size", "detail"] + (["raw_body"] if conf.command.show_body else [])
    print_rows(rows, conf.command.format, columns)
    return 0


def messages_list(conf: cfg.ConfigOpts) -> int:
    filters = {k: getattr(conf.command, k) for k in ("resource_type", "event_id")
               if getattr(conf.command, k)}
    if "resource_type" in filters:  # VOLUME, or the old spelling, volume
        filters["resource_type"] = resources.normalise(filters["resource_type"])
    rows = storage.get_connection(conf).list_messages(
        conf.command.project, limit=conf.command.limit, **filters)
    print_rows(rows, conf.command.format, ["created_at", "message_level", "event_id",
                                       "resource_uuid", "request_id", "user_message"])
    return 0


def messages_reap(conf: cfg.ConfigOpts) -> int:
    store = storage.get_connection(conf)
    results = reaper.run_once(store, conf)
    longest = max(r.longest_transaction for r in results.values())
    kinds = {"messages": "expired messages", "step_events": "events of completed steps",
             "rejected": "old rejections", "attempts": "stale delivery attempts",
             "steps": "old provisioning steps", "folded": "old fold records",
             "unmapped": "kinds of unmapped failures not seen lately"}
    print("reaped " + ", ".join(f"{r.deleted} {kinds[k]}" for k, r in results.items())
          + f" (longest transaction {longest:.3f} s)")
    return 0


def _duration(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(seconds)
    return f"{n} second{'s' if n != 1 else ''}"


def describe_step(step: dict[str, Any], labels: dict[str, str],
                  now: datetime.datetime) -> str:
    """One line per step, as Sahara's event log spec prints them."""
    label = labels.get(step["step_name"], step["step_name"])
    done, total = step["completed"], step["total"]
    end = step["completed_at"]
    if step["successful"] is False:
        took = _duration(((end or now) - step["started_at"]).total_seconds())
        return f"{label} ({step['step_type']}) failed: {done} out of {total} after {took}"
    if end is not None:
        took = _duration((end - step["started_at"]).total_seconds())
        return f"{label} ({step['step_type']}) completed {done} out of {total} in {took}"
    running = _duration((now - step["started_at"]).total_seconds())
    return (f"{label} ({step['step_type']}) completed: {done} out of {total}, "
            f"running for {running}")


def progress_show(conf: cfg.ConfigOpts) -> int:
    store = storage.get_connection(conf)
    steps = store.list_steps(conf.command.project, conf.command.resource)
    if not steps:
        print(f"no provisioning steps for {conf.command.resource} in project "
              f"{conf.command.project}")
        return 0
    labels = catalogue.load(conf).steps
    now = utcnow()
    for step in steps:
        print(describe_step(step, labels, now))
    current = steps[-1]
    events = store.list_messages(conf.command.project, step_id=current["id"], limit=1000,
                                 newest_first=False)
    if events:
        print(f"\nevents of the latest step ({len(events)}):")
        print_rows(events, "table", ["created_at", "message_level", "event_id", "user_message"])
    return 0


def broker_outages(conf: cfg.ConfigOpts) -> int:
    rows = storage.get_connection(conf).list_broker_outages(limit=conf.command.limit)
    print_rows(rows, conf.command.format, ["started_at", "ended_at", "opened_by", "closed_by"])
    return 0


def broker_definitions(conf: cfg.ConfigOpts) -> int:
    from listener import definitions  # reads the broker options: only this command

    text = json.dumps(definitions.build(conf), indent=2) + "\n"
    if conf.command.output:
        with open(conf.command.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {conf.command.output}")
    else:
        sys.stdout.write(text)
    return 0


def _add(subparsers: Any, name: str, func: Callable[[cfg.ConfigOpts], int],
         help: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help)
    parser.set_defaults(func=func)
    return parser


def add_command_parsers(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="database schema").add_subparsers(
        dest="action", required=True)
    _add(db, "upgrade", db_upgrade, "create or migrate the schema")
    _add(db, "version", db_version, "print current and needed revisions")

    cat = subparsers.add_parser("catalogue", help="the sanctioned catalogue").add_subparsers(
        dest="action", required=True)
    p = _add(cat, "list", catalogue_list, "list every entry")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = _add(cat, "check", catalogue_check, "validate an override file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--locale", metavar="L",
                   help="a translation override ([catalogue] translation_override_files)")
    p = _add(cat, "docs", catalogue_docs, "the reference document (docs/catalogue.md)")
    p.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    rej = subparsers.add_parser("rejected", help="quarantined notifications").add_subparsers(
        dest="action", required=True)
    p = _add(rej, "list", rejected_list, "newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--code", help="only this reason code (e.g. unknown_event_id)")
    p.add_argument("--show-body", action="store_true", help="include the stored raw body")
    p.add_argument("--format", choices=["table", "json"], default="table")

    msg = subparsers.add_parser("messages", help="user messages").add_subparsers(
        dest="action", required=True)
    p = _add(msg, "list", messages_list, "one project's live messages, newest first")
    p.add_argument("--project", required=True, help="project ID (every read is scoped)")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--resource-type")
    p.add_argument("--event-id")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add(msg, "reap", messages_reap, "delete expired messages and old rejections now")

    prog = subparsers.add_parser("progress", help="provisioning steps").add_subparsers(
        dest="action", required=True)
    p = _add(prog, "show", progress_show, "the steps of one resource, oldest first")
    p.add_argument("resource", metavar="RESOURCE", help="the resource's uuid")
    p.add_argument("--project", required=True, help="project ID (every read is scoped)")

    broker = subparsers.add_parser("broker", help="the RabbitMQ side").add_subparsers(
        dest="action", required=True)
    p = _add(broker, "outages", broker_outages, "recorded broker outages, newest first")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = _add(broker, "definitions", broker_definitions,
             "definitions for RabbitMQ's load_definitions (closes the window after a restart)")
    p.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    mapping_commands.add_parsers(subparsers, _add)
    services_commands.add_parsers(subparsers, _add)


def main(argv: Sequence[str] | None = None) -> int:
    conf = config.make_conf()
    conf.register_cli_opt(cfg.SubCommandOpt(
        "command", title="commands", handler=add_command_parsers,
        help="run 'herald-manage COMMAND --help' for the options of a command"))
    # '| head' closes the pipe early: end quietly, as other Unix tools do
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        config.prepare(argv, prog="herald-manage", description=DESCRIPTION, epilog=EPILOG,
                       conf=conf)
        return conf.command.func(conf)
    except HeraldError as exc:
        print(f"herald-manage: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # an unreachable database, typically
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        print(f"herald-manage: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
