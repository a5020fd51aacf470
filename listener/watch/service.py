"""The watch as a cotyledon service of herald-listener: one process per node.

A process of its own rather than a thread of a listener worker: the listener
workers scale with ``[listener] workers`` while one watch per node is
enough, a slow database read of the services' tables never delays a batch,
and cotyledon restarts it alone if it dies.

Each round reads every watched queue once, folds the readings into this
node's streaks (:mod:`listener.watch.decide`) and claims the transitions
in the database (:mod:`storage.watched`), which writes the operator message.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

from oslo_config import cfg

import storage
from collector import catalogue
from collector.exceptions import ConfigurationError, StorageUnavailable
from collector.metrics import NOOP, Metrics
from collector.model import utcnow
from collector.params import ParamError
from listener import prometheus, rabbit
from listener.service import _GracefulService
from listener.watch import decide, notice, queues
from listener.watch.probe import CONNECTION_ERRORS, Prober
from storage.base import Connection

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.BoolOpt(
        "enabled",
        default=True,
        help="Watch the services' RPC queues and write operator messages when a service "
        "stops consuming (docs/operations.md). Needs a rabbit:// transport.",
    ),
    cfg.FloatOpt(
        "interval",
        default=10.0,
        min=0.1,
        help="Seconds between two readings of each watched queue: the services' own "
        "report_interval (10 s).",
    ),
    cfg.IntOpt(
        "readings",
        default=3,
        min=2,
        help="Consecutive readings a problem needs: a quorum queue answers 0 messages and "
        "0 consumers when its count times out, so one reading is never trusted.",
    ),
    cfg.FloatOpt(
        "no_consumer_time",
        default=60.0,
        min=0.0,
        help="Seconds a queue must have had no consumer before herald reports its service "
        "as not consuming: the services' own service_down_time (60 s), after which they "
        "also call a service down.",
    ),
    cfg.FloatOpt(
        "backlog_time",
        default=60.0,
        min=0.0,
        help="Seconds the ready messages of a queue with a consumer must have kept rising "
        "before herald reports the service as not keeping up.",
    ),
]


class Watch:
    """The rounds, without the process: tests drive :meth:`round` directly."""

    def __init__(self, conf: cfg.ConfigOpts, store: Connection, prober: Prober,
                 clock: Callable[[], datetime.datetime] = utcnow,
                 metrics: Metrics = NOOP) -> None:
        self.conf = conf
        self.metrics = metrics
        self.store = store
        self.prober = prober
        self.clock = clock
        self.policy = decide.Policy(readings=conf.watch.readings,
                                    no_consumer_time=conf.watch.no_consumer_time,
                                    backlog_time=conf.watch.backlog_time)
        self.operators = catalogue.operators()
        self.ttl = datetime.timedelta(seconds=conf.collector.message_ttl)
        self.tracks: dict[str, decide.Track] = {}
        self.queues = queues.configured(conf)
        self._learned: dict[str, str] = {}
        self._learned_at = -float("inf")
        self.written = 0

    def learn(self, monotonic: float) -> None:
        if not self.conf.watch.service_databases:
            return
        if monotonic - self._learned_at < self.conf.watch.learn_interval:
            return
        self._learned_at = monotonic
        learned = queues.learn(self.conf)
        added = sorted(set(learned) - set(self._learned))
        if added:
            LOG.info("Watching %d per-host queue(s) learned from the services' databases: "
                     "%s", len(added), ", ".join(added[:20]) + (" ..." if len(added) > 20
                                                                else ""))
        self._learned = learned

    def round(self) -> int:
        """Read every queue once; the number of operator messages written."""
        self.learn(time.monotonic())
        wanted = {**self._learned, **self.queues}
        rows = self.store.watch_queues(wanted)
        readings: dict[str, tuple[int, int] | None] = {}
        states: dict[str, str] = {}
        written: list[str] = []
        for queue in sorted(wanted):
            reading = self.prober.read(queue, self.clock())
            readings[queue] = (reading.messages, reading.consumers) if reading.exists else None
            row = rows.get(queue)
            if row is None:
                continue
            state = decide.State(row["state"])
            states[queue] = state.value
            track = self.tracks.setdefault(queue, decide.Track())
            transition = decide.observe(state, track, reading, self.policy)
            if transition is not None:
                event_id = self._claim(queue, row, state, transition)
                if event_id is not None:
                    written.append(event_id)
                    states[queue] = transition.to.value
        for gone in set(self.tracks) - set(wanted):
            del self.tracks[gone]
        self.store.record_readings(readings)
        self.metrics.watched(list(states.values()), written)
        self.written += len(written)
        return len(written)

    def _claim(self, queue: str, row: dict, state: decide.State,
               transition: decide.Transition) -> str | None:
        """The event ID of the message written; None when none was (another
        node wrote it, or its text could not be made)."""
        now = self.clock()
        ending = transition.to is decide.State.OK
        since = (row["since"] or transition.since) if ending else transition.since
        try:
            message = notice.build(self.operators, queue, row["service"], transition, since,
                                   now, self.ttl, row["message_id"] if ending else None)
        except ParamError as exc:
            LOG.error("Queue %r: cannot write its operator message (%s)", queue, exc)
            return None
        if not self.store.claim_transition(queue, state.value, transition.to.value,
                                           None if ending else since, message):
            return None  # another herald node wrote it
        log = LOG.info if ending else LOG.warning
        log("%s (%s)", message.user_message, message.event_id)
        return message.event_id


class WatchService(_GracefulService):
    name = "watch"

    def work(self) -> None:
        try:
            settings = rabbit.settings(self.conf)
        except ConfigurationError as exc:
            LOG.error("[watch] is enabled but cannot probe queues: %s", exc)
            self.stop.wait()
            return
        store = storage.get_connection(self.conf)
        metrics = prometheus.for_worker(self.conf)
        prober = Prober(settings)
        try:
            if not store.wait_until_ready(self.stop.wait):
                return
            watch = Watch(self.conf, store, prober, metrics=metrics)
            LOG.info("Watching %d service queue(s) every %.1f s", len(watch.queues),
                     self.conf.watch.interval)
            self._loop(watch, prober, settings.heartbeat / settings.heartbeat_rate
                       if settings.heartbeat else None)
        finally:
            prober.close()
            store.close()

    def _loop(self, watch: Watch, prober: Prober, beat: float | None) -> None:
        interval = self.conf.watch.interval
        next_round = time.monotonic()
        broken = False
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_round:
                next_round = now + interval
                try:
                    watch.round()
                    if broken:
                        LOG.info("The watch reads the services' queues again")
                    broken = False
                except CONNECTION_ERRORS as exc:
                    if not broken:
                        LOG.warning("The watch cannot reach the broker (%s); trying again "
                                    "every %.1f s", exc, interval)
                    broken = True
                except StorageUnavailable as exc:
                    LOG.warning("The watch cannot write its state: %s", exc)
                except Exception:
                    LOG.exception("A round of the watch failed; next in %.1f s", interval)
            else:
                prober.heartbeat()
            wait = next_round - time.monotonic()
            if beat is not None:
                wait = min(wait, beat)
            self.stop.wait(max(0.0, wait))
