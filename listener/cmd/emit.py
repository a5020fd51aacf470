"""herald-emit: publish a user-message notification from the command line."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from typing import Any

import oslo_messaging
from oslo_config import cfg

from collector import catalogue
from collector.exceptions import HeraldError, InvalidNotification
from collector.params import UUID, Integer
from listener import config
from listener.emitter import Emitter

DESCRIPTION = """\
Publish a user-message notification the way a service would (format 1.0, as
an oslo.messaging Notifier with driver 'messaging' sends it), after checking it
against the catalogue in effect (sanctioned entries plus [catalogue]
override_file), and wait until the broker confirmed it. The transport, topic
and exchange come from herald's configuration unless given here; the
exchange and queue are declared as the services' Notifiers declare them, with
this configuration's [oslo_messaging_rabbit] options.
"""

EPILOG = """\
examples:
  herald-emit VOLUME_EXTEND_FAILED --project-id demo \\
      --param volume_id=2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20 \\
      --param new_size_gb=20 --param reason=no_capacity
  herald-emit CLUSTER_INSTANCE_READY --project-id demo --resource-uuid C \\
      --param instance_name=node-1 --param cluster_id=C --parent-id P \\
      --step-name LAUNCH_INSTANCES --step-type creating --step-completed 1 --step-total 3
  herald-emit --all-samples --project-id demo   # one example per catalogue entry

exit status:
  0  published (the broker confirmed it)
  1  refused by the catalogue check, or not published within --timeout (the
     reason is printed: RabbitMQ down, unreachable, refusing a declaration...)
"""

CLI_OPTS = [
    cfg.StrOpt("event_id", positional=True, required=False, metavar="EVENT_ID",
               help="catalogue event ID (see 'herald-manage catalogue list')"),
    cfg.StrOpt("project-id", required=True, help="project the message belongs to"),
    cfg.MultiStrOpt("param", default=[], metavar="NAME=VALUE",
                    help="a template parameter; repeat for each (integers are converted)"),
    cfg.StrOpt("resource-uuid", help="the resource the message is about"),
    cfg.StrOpt("request-id", help="the request that failed"),
    cfg.StrOpt("user-id", help="the user who made the request"),
    cfg.StrOpt("publisher-id", default="herald-emit", help="notification publisher_id"),
    cfg.StrOpt("topic", help="topic (default: the first of [listener] topics)"),
    cfg.StrOpt("exchange", help="exchange (default: the first of [listener] exchanges)"),
    cfg.FloatOpt("timeout", default=10.0, min=0.1,
                  help="seconds to wait for the broker to confirm each notification"),
    cfg.BoolOpt("all-samples", default=False,
                help="publish one notification per catalogue entry, with example parameters"),
    cfg.StrOpt("id", metavar="UUID",
               help="the message's own id (default: a new one, printed when published)"),
    cfg.StrOpt("parent-id", metavar="UUID",
               help="the message that caused this one (event trees)"),
    cfg.StrOpt("root-id", metavar="UUID",
               help="the first message of the chain (default: the parent's root)"),
    cfg.StrOpt("step-name", metavar="NAME",
               help="a provisioning step (a catalogue step name); with --step-type, "
               "--step-completed and --step-total"),
    cfg.StrOpt("step-type", choices=["creating", "scaling", "deleting", "upgrading"],
               help="the kind of operation the step belongs to"),
    cfg.IntOpt("step-completed", min=0, help="units of the step done so far"),
    cfg.IntOpt("step-total", min=1, help="units of the step in all"),
    cfg.StrOpt("step-successful", choices=["true", "false"],
               help="the step's outcome, once known"),
]
STEP_OPTS = ("step_name", "step_type", "step_completed", "step_total")


def parse_params(entry: catalogue.Entry, pairs: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise InvalidNotification("bad_parameter", f"--param {pair!r} is not NAME=VALUE")
        ptype = entry.params.get(name)
        try:
            params[name] = int(value) if isinstance(ptype, Integer) else value
        except ValueError:
            raise InvalidNotification("bad_parameter",
                                      f"parameter {name!r} must be an integer") from None
    return params


def main(argv: Sequence[str] | None = None) -> int:
    conf = config.make_conf()
    conf.register_cli_opts(CLI_OPTS)
    try:
        config.prepare(argv, prog="herald-emit", description=DESCRIPTION, epilog=EPILOG,
                       conf=conf)
        if not conf.event_id and not conf.all_samples:
            print("herald-emit: give an EVENT_ID or --all-samples", file=sys.stderr)
            return 2
        cat = catalogue.load(conf)
    except HeraldError as exc:
        print(f"herald-emit: not published: {exc}", file=sys.stderr)
        return 1
    conf.set_override("control_exchange", conf.exchange or conf.listener.exchanges[0])
    transport = oslo_messaging.get_notification_transport(conf)
    emitter = Emitter(transport, conf.publisher_id, topic=conf.topic or conf.listener.topics[0],
                      catalogue=cat, timeout=conf.timeout)
    fields: dict[str, Any] = {
        "project_id": conf.project_id, "resource_uuid": conf.resource_uuid,
        "request_id": conf.request_id, "user_id": conf.user_id, "parent_id": conf.parent_id,
        "root_id": conf.root_id}
    if conf.id:
        fields["id"] = conf.id
    given = [o for o in STEP_OPTS if getattr(conf, o) is not None]
    if given and len(given) < len(STEP_OPTS) or conf.step_successful and not given:
        print("herald-emit: a step needs --step-name, --step-type, --step-completed and "
              "--step-total", file=sys.stderr)
        return 2
    if given:
        fields["step"] = {"name": conf.step_name, "type": conf.step_type,
                          "completed": conf.step_completed, "total": conf.step_total,
                          "successful": None if conf.step_successful is None
                          else conf.step_successful == "true"}
    try:
        if conf.all_samples:
            entries = [e for e in cat if not e.herald_only]  # herald's own: refused
            for entry in entries:  # distinct UUIDs make the samples easier to tell apart
                params = {n: str(uuid.uuid4()) if isinstance(p, UUID) else p.example()
                          for n, p in entry.params.items()}
                emitter.emit({}, entry.event_id, params, **fields)
            print(f"published {len(entries)} notifications (one per catalogue entry a "
                  "service may send)")
        else:
            found = cat.get(conf.event_id)
            params = parse_params(found, conf.param) if found else {}
            message = emitter.emit({}, conf.event_id, params, **fields)
            print(f"published {message.id}: {message.user_message}")
    except HeraldError as exc:
        print(f"herald-emit: not published: {exc}", file=sys.stderr)
        return 1
    finally:
        transport.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
