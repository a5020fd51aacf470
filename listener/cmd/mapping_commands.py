"""``herald-manage mapping ...``: list, check, try and document mapping rules."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

from oslo_config import cfg

import storage
from collector import capture, catalogue, envelope, rulecheck, rules, rules_reference
from collector.exceptions import InvalidNotification
from collector.mapping import Router
from collector.model import utcnow
from collector.validation import Validator, parse_timestamp
from listener.cmd.output import print_rows

EPILOG = """\
  mapping list [--format F]       the rules in effect, in the order they are tried
  mapping check FILE              validate an operator's rules file (with the shipped rules)
  mapping try NOTIFICATION.json [--project P]
                                  the message a captured notification would become, or why
                                  none (exit 0: stored, 1: quarantined, 3: ignored)
  mapping docs [--output FILE]    the shipped rules as docs/mapping.md shows them
  mapping unmapped [--limit N] [--format F]
                                  ERROR notifications no rule maps (failures users are not
                                  told about), most frequent first: the rules to write next
  mapping unmapped --sample EVENT_TYPE
                                  the latest one of that event type (secrets removed), as a
                                  notification 'mapping try' reads
"""
IGNORED = 3


def mapping_list(conf: cfg.ConfigOpts) -> int:
    ruleset = rulecheck.load(conf, catalogue.load(conf))
    rows = [{"name": r.name, "source": r.source, "event_type": list(r.include),
             "event_ids": sorted(r.wanted)} for r in ruleset.rules]
    if conf.command.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['name']}  [{r['source']}]\n    event type: {', '.join(r['event_type'])}\n"
              f"    event IDs: {', '.join(r['event_ids'])}")
    return 0


def mapping_check(conf: cfg.ConfigOpts) -> int:
    path = conf.command.file
    own = rules.read_file(path)
    shipped = [item for name in conf.mapping.shipped_rules
               for item in rules.read_file(rules.shipped_file(name), f"shipped {name}")]
    ruleset = rulecheck.build(rules.merge(shipped, own), catalogue.load(conf))
    shipped_names = {r.get("name") for r, _ in shipped if isinstance(r, dict)}
    replacing = sum(1 for r, _ in own if isinstance(r, dict) and r.get("name") in shipped_names)
    print(f"{path}: valid, {len(own)} rules ({replacing} replace or switch off a shipped rule); "
          f"{len(ruleset)} rules in effect")
    return 0


def _received_at(timestamp: Any) -> datetime.datetime:
    """As if it arrived when it was sent, so an old capture is not too old."""
    try:
        return parse_timestamp(timestamp) if timestamp is not None else utcnow()
    except InvalidNotification:
        return utcnow()


def mapping_try(conf: cfg.ConfigOpts) -> int:
    cat = catalogue.load(conf)
    router = Router(rulecheck.load(conf, cat))
    context = {"project_id": conf.command.project} if conf.command.project else {}
    body = capture.to_body(capture.load(conf.command.file), context)
    rule = None
    try:
        n = envelope.from_body(body, conf.collector.max_notification_size)
        routed = router.route(n)
        if routed is None:
            print(f"ignored: no mapping rule applies to event type {n.event_type!r} and it is "
                  "not herald's own payload (acknowledged and counted, not quarantined)")
            return IGNORED
        rule = routed.rule
        message = Validator.from_conf(conf, cat).accept(routed, _received_at(n.timestamp))
    except InvalidNotification as exc:
        where = f"rule {rule}: " if rule else ""
        print(f"quarantined ({exc.code}): {where}{exc.detail}")
        return 1
    entry = cat.get(message.event_id)
    assert entry is not None
    print(f"rule:      {rule or '(herald payload)'}\n"
          f"event ID:  {message.event_id} ({message.message_level}, {entry.event_type})\n"
          f"project:   {message.project_id}\n"
          f"resource:  {message.resource_type} {message.resource_uuid or '-'}\n"
          f"request:   {message.request_id or '-'}\n"
          f"message:   {message.user_message}")
    return 0


def mapping_docs(conf: cfg.ConfigOpts) -> int:
    ruleset = rulecheck.build(
        [item for name in rules.SHIPPED
         for item in rules.read_file(rules.shipped_file(name), f"shipped {name}")],
        catalogue.sanctioned())
    generated = rules_reference.render(ruleset)
    if not conf.command.output:
        sys.stdout.write(generated)
        return 0
    try:
        with open(conf.command.output, encoding="utf-8") as f:
            document = f.read()
    except FileNotFoundError:
        document = ""
    with open(conf.command.output, "w", encoding="utf-8") as f:
        f.write(rules_reference.splice(document, generated))
    print(f"wrote the shipped rules into {conf.command.output}")
    return 0


def mapping_unmapped(conf: cfg.ConfigOpts) -> int:
    store = storage.get_connection(conf)
    event_type = conf.command.sample
    rows = store.list_unmapped(limit=conf.command.limit, with_sample=event_type is not None,
                               event_type=event_type)
    if event_type is None:
        print_rows(rows, conf.command.format, ["count", "event_type", "service", "first_seen",
                                               "last_seen", "sample_size"])
        return 0
    if not rows:
        print(f"herald-manage: no unmapped ERROR notification of event type {event_type!r}",
              file=sys.stderr)
        return 1
    latest = max(rows, key=lambda r: r["last_seen"])  # of any service
    if len(latest["sample"]) < latest["sample_size"]:
        print(f"herald-manage: the sample was cut at {len(latest['sample'])} of "
              f"{latest['sample_size']} bytes ([collector] rejected_body_max_bytes)",
              file=sys.stderr)
    sys.stdout.write(latest["sample"].decode("utf-8", "replace") + "\n")
    return 0


def add_parsers(subparsers: Any, add: Any) -> None:
    mapping = subparsers.add_parser("mapping", help="mapping rules").add_subparsers(
        dest="action", required=True)
    p = add(mapping, "list", mapping_list, "the rules in effect, in the order they are tried")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = add(mapping, "check", mapping_check, "validate an operator's rules file")
    p.add_argument("file", metavar="FILE")
    p = add(mapping, "try", mapping_try, "what a captured notification would become")
    p.add_argument("file", metavar="NOTIFICATION.json",
                   help="a body captured from the queue, or a documented sample (nova's "
                        "$ref abbreviations are resolved)")
    p.add_argument("--project", help="the context's project, for a capture without one")
    p = add(mapping, "unmapped", mapping_unmapped,
            "ERROR notifications no rule maps, most frequent first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--sample", metavar="EVENT_TYPE",
                   help="print the latest notification of this event type instead")
    p = add(mapping, "docs", mapping_docs, "the shipped rules (docs/mapping.md)")
    p.add_argument("--output", metavar="FILE",
                   help="rewrite the generated part of this file instead of printing it")
