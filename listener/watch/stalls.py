"""Creates that stall: tell the resource's owner, once, and link the outcome.

A volume, share or server whose create no service consumed stays in its
creating state forever and no service says a word (cinder-api and nova-api
send no notification; the scheduler that would report a failure is the one
not running). Every ``[stalls] interval`` the watcher lists what is still
creating in the services' APIs (:mod:`listener.watch.sources`); a resource
older than its stall time gets one message to its project, written with its
row in ``stalls`` so that several herald nodes write one message
(:mod:`storage.stalls`). When the resource leaves its creating state the
stall is closed: "created after all" joins the stall's event tree, and a
failure's own message (through the usual path) joins it too
(``Pipeline._join_stalls``). The default times and their evidence are in
docs/operations.md.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable

from oslo_config import cfg

from collector.catalogue import Catalogue
from collector.model import Notification, UserMessage, utcnow
from collector.validation import Validator, new_id
from listener.watch.sources import COMPLETED, FAILED, Creating, Source
from storage.stalls import Stall, StallStore

LOG = logging.getLogger(__name__)

KINDS = ("volume", "share", "instance")

OPTS = [
    cfg.BoolOpt(
        "enabled",
        default=False,
        help="Watch the services' APIs for creates that stall and tell their owners. "
        "Needs [service_credentials] (an account with the role docs/operations.md names).",
    ),
    cfg.ListOpt(
        "kinds",
        default=list(KINDS),
        item_type=cfg.types.String(choices=KINDS),
        help="Which resources to watch: volume (cinder), share (manila), instance (nova). "
        "Leave out those whose service the cloud does not run.",
    ),
    cfg.IntOpt(
        "interval",
        default=30,
        min=1,
        help="Seconds between two looks at the services' APIs: one list per kind.",
    ),
    cfg.IntOpt(
        "stall_time",
        default=300,
        min=1,
        help="Seconds a resource may wait for a scheduler to place it (no host yet) "
        "before its owner is told. Placing takes seconds when the services are up; the "
        "services' own timers (service_down_time 60 s, scheduler_driver_init_wait_time "
        "60 s, rpc_response_timeout 60 s) are all well below 5 minutes.",
    ),
    cfg.IntOpt(
        "host_stall_time",
        default=1800,
        min=1,
        help="Seconds a resource a host already has (copying an image, booting) may take "
        "before its owner is told: nova's long_rpc_timeout, its own bound for long "
        "operations.",
    ),
    cfg.IntOpt(
        "link_window",
        default=900,
        min=0,
        help="Seconds after the watcher saw a stalled resource fail during which a message "
        "about it (the failure's, sent by the service) still joins the stall's event tree.",
    ),
]

_ID_PARAM = {"volume": "volume_id", "share": "share_id", "instance": "instance_id"}
_PREFIX = {"volume": "VOLUME", "share": "SHARE", "instance": "INSTANCE"}


@dataclasses.dataclass(slots=True)
class Cycle:
    """What one look found and did (logged, and read by tests)."""

    creating: int = 0
    stalled: list[str] = dataclasses.field(default_factory=list)
    closed: dict[str, str] = dataclasses.field(default_factory=dict)


def stall_time(conf: cfg.ConfigOpts, c: Creating) -> datetime.timedelta:
    """How long ``c`` may stay creating: long once a host has it."""
    seconds = conf.stalls.host_stall_time if c.stage == "creating" else conf.stalls.stall_time
    return datetime.timedelta(seconds=seconds)


def overdue(conf: cfg.ConfigOpts, c: Creating, now: datetime.datetime) -> bool:
    return now - c.created_at >= stall_time(conf, c)


def outcome(kind: str, status: str | None) -> str | None:
    """completed, failed, gone, or None: still in progress."""
    if status is None:
        return "gone"
    if status in COMPLETED[kind]:
        return "completed"
    if status in FAILED[kind]:
        return "failed"
    return None


class StallWatcher:
    """One look at a time (:meth:`run_once`); the service loops it."""

    def __init__(self, conf: cfg.ConfigOpts, source: Source, store: StallStore,
                 catalogue: Catalogue,
                 clock: Callable[[], datetime.datetime] = utcnow) -> None:
        self.conf = conf
        self.source = source
        self.store = store
        self.validator = Validator.from_conf(conf, catalogue)
        self.clock = clock

    def run_once(self) -> Cycle:
        """One look at each kind; a service that does not answer is logged
        and skipped (its stalls wait for the next look), the others go on."""
        now = self.clock()
        cycle = Cycle()
        open_stalls = self.store.open_stalls()
        for kind in self.source.kinds:
            try:
                creating = {c.resource_uuid: c for c in self.source.creating(kind)}
            except Exception as exc:
                LOG.warning("Could not list the %ss being created (%s); next look in %d s",
                            kind, exc, self.conf.stalls.interval)
                continue
            cycle.creating += len(creating)
            for c in creating.values():
                if c.resource_uuid not in open_stalls and overdue(self.conf, c, now):
                    if self._stall(c, now):
                        cycle.stalled.append(c.resource_uuid)
            for uuid, stall in open_stalls.items():
                if stall.resource_type != kind or uuid in creating:
                    continue
                try:
                    result = outcome(kind, self.source.status(kind, uuid))
                except Exception as exc:
                    LOG.warning("Could not read %s %s (%s)", kind, uuid, exc)
                    continue
                if result is not None and self._close(stall, result, now):
                    cycle.closed[uuid] = result
        self.store.forget(now - datetime.timedelta(seconds=self.conf.stalls.link_window))
        return cycle

    def _stall(self, c: Creating, now: datetime.datetime) -> bool:
        minutes = max(1, int((now - c.created_at).total_seconds() // 60))
        message = self._message(f"stall:{c.resource_uuid}", f"{_PREFIX[c.kind]}_CREATE_STALLED",
                                c, now, minutes=minutes, reason=c.stage)
        stall = Stall(c.resource_uuid, c.kind, c.project_id, message.id, now)
        if not self.store.claim(stall, message, since=c.created_at):
            return False
        LOG.info("%s %s of project %s is still creating after %d min (%s): its owner is told",
                 c.kind, c.resource_uuid, c.project_id, minutes, c.stage)
        return True

    def _close(self, stall: Stall, result: str, now: datetime.datetime) -> bool:
        message = None
        if result == "completed":
            c = Creating(stall.resource_type, stall.resource_uuid, stall.project_id, None,
                         stall.stalled_at, "unknown")
            message = self._message(f"stall-completed:{stall.resource_uuid}",
                                    f"{_PREFIX[c.kind]}_CREATE_COMPLETED_LATE", c, now,
                                    parent_id=stall.message_id)
        closed = self.store.close(stall.resource_uuid, result, now, message)
        if closed:
            LOG.info("Stalled %s %s: %s", stall.resource_type, stall.resource_uuid, result)
        return closed

    def _message(self, message_id: str, event_id: str, c: Creating, now: datetime.datetime,
                 parent_id: str | None = None, **params: object) -> UserMessage:
        """Through the validator, as any notification: the catalogue's text
        and its checks, nothing written by hand."""
        payload: dict[str, object] = {
            "event_id": event_id, "project_id": c.project_id, "resource_uuid": c.resource_uuid,
            "params": {_ID_PARAM[c.kind]: c.resource_uuid, **params}, "id": new_id()}
        if c.user_id is not None:
            payload["user_id"] = c.user_id
        if parent_id is not None:
            payload["parent_id"] = parent_id
            payload["root_id"] = parent_id  # a stall message is a root
        n = Notification(message_id=message_id, publisher_id="herald-stalls",
                         event_type=None, priority="WARNING", timestamp=now.isoformat(),
                         payload=payload, context={})
        return self.validator.accept(n, now, herald=True)
