"""Whether the broker is down, as one state in herald's database.

When RabbitMQ is unreachable, a service's API request that casts to a
scheduler blocks until the broker returns and no service sends anything, so
herald would say nothing either. The intake tells a :class:`BrokerState`
when its connection comes up and when it is lost; a thread of the listener
worker (:class:`BrokerWatch`) turns that into a row of ``broker_outages``
once no node has been reachable for ``broker_outage_after`` seconds, and
ends it once a connection is up again. herald-api reads that row without
any broker (``GET /v3/{project_id}/messaging-status``).

The database work stays out of the consuming loop: the intake only sets two
fields under a lock. Every worker of every herald node watches; the
database keeps one open row (storage.outages), and a node that reaches the
broker ends it even if it never saw the outage itself. A node records an
outage at most once per disconnection, so a node cut off alone does not
reopen what a connected node has just ended.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import logging
import socket
import threading
import time
from collections.abc import Callable

from oslo_config import cfg

from collector.exceptions import StorageError
from collector.model import utcnow
from storage.base import Connection

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.FloatOpt(
        "broker_outage_after",
        default=30.0,
        min=1.0,
        help="kombu intake: seconds without a connection to any broker node after "
        "which herald records a broker outage in its database; herald-api then "
        "tells users (GET /v3/{project_id}/messaging-status, the Event Viewer's "
        "banner) that new requests may hang. oslo's own reconnection backs off to "
        "30 s, and a broker node restart takes 10-20 s, so shorter values flag "
        "ordinary restarts. The outage ends as soon as any herald worker "
        "connects again.",
    ),
]


class Action(enum.Enum):
    NOTHING = "nothing"
    OPEN = "open"
    CLOSE = "close"


@dataclasses.dataclass(slots=True)
class Snapshot:
    """The intake's view at one moment."""

    up: bool
    #: monotonic and wall-clock (naive UTC) times the connection was lost
    down_since: float
    down_since_utc: datetime.datetime
    #: bumped at each loss: a new disconnection may be recorded again
    episode: int


def decide(snap: Snapshot, now: float, after: float, reported_episode: int | None) -> Action:
    """What the database needs, as a pure function (unit-tested).

    Connected: end any open outage (cheap: one indexed read when none is
    open). Disconnected for ``after`` seconds: open one, once per episode.
    """
    if snap.up:
        return Action.CLOSE
    if now - snap.down_since >= after and reported_episode != snap.episode:
        return Action.OPEN
    return Action.NOTHING


class BrokerState:
    """What the intake reports; read by :class:`BrokerWatch`. A worker
    starts disconnected: a broker already down at start-up is an outage."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime.datetime] = utcnow) -> None:
        self._lock = threading.Lock()
        self._clock, self._wall = clock, wall
        self._snap = Snapshot(False, clock(), wall(), 0)

    def connected(self) -> None:
        with self._lock:
            self._snap.up = True

    def lost(self) -> None:
        """The connection failed or could not be made (once per failure)."""
        with self._lock:
            if self._snap.up:
                self._snap = Snapshot(False, self._clock(), self._wall(),
                                      self._snap.episode + 1)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return dataclasses.replace(self._snap)


def check_interval(after: float) -> float:
    """How often the watch looks: a fraction of ``after`` (at most 5 s),
    so an outage is recorded at most that much later than ``after``."""
    return max(0.2, min(5.0, after / 6))


class BrokerWatch:
    """Runs in a thread of a listener worker until ``stop`` is set."""

    def __init__(self, conf: cfg.ConfigOpts, store: Connection, state: BrokerState,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime.datetime] = utcnow) -> None:
        self.after = conf.listener.broker_outage_after
        self.store, self.state = store, state
        self.clock, self.wall = clock, wall
        self.node = socket.gethostname()
        self.reported: int | None = None
        self.open_known = True  # unknown at start: look once

    def step(self) -> Action:
        """One look; the action taken (tests call it directly)."""
        snap = self.state.snapshot()
        action = decide(snap, self.clock(), self.after, self.reported)
        if action is Action.OPEN:
            opened = self.store.open_broker_outage(snap.down_since_utc, self.node)
            self.reported = snap.episode
            self.open_known = True
            if opened:
                LOG.error("No RabbitMQ node reachable since %s UTC (over %.0f s): recorded as "
                          "a broker outage; herald-api tells users new requests may hang",
                          snap.down_since_utc.isoformat(sep=" ", timespec="seconds"),
                          self.after)
            else:
                LOG.warning("No RabbitMQ node reachable for over %.0f s; another herald "
                            "worker has already recorded the outage", self.after)
        elif action is Action.CLOSE:
            self.reported = None
            if self.open_known or self.store.broker_outage() is not None:
                if self.store.close_broker_outage(self.wall(), self.node):
                    LOG.warning("RabbitMQ reachable again: the broker outage has ended")
                self.open_known = False
        return action

    def run(self, stop: threading.Event) -> None:
        interval = check_interval(self.after)
        while not stop.wait(interval):
            try:
                self.step()
            except StorageError as exc:  # the database is down too: look again later
                LOG.warning("Cannot record the broker's state: %s", exc)
            except Exception:
                LOG.exception("Recording the broker's state failed")
