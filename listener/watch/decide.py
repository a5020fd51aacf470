"""From a queue's readings to what herald tells operators: a pure function.

A reading is what a passive ``queue.declare`` answers: the ready messages
and the consumers. Two things are worth an operator message:

- **no consumer**: the service that consumes the queue is not running (or
  not connected). Requests sent to it wait in the queue, and the callers
  (cinder-api, nova-api) hang or leave the resource in its creating state.
- **a rising backlog while a consumer is attached**: the service is
  connected but does not take its requests (stuck, overloaded; a SIGSTOPped
  service once the broker has redelivered its unacknowledged messages).

One reading is never trusted alone: a quorum queue answers 0 messages and 0
consumers when its count query times out, so "no consumer" needs
``readings`` consecutive consumer-less readings spanning ``no_consumer_time``.
A positive consumer count cannot be a timeout, so one is enough to say the
service consumes again. The state (``OK``, ``NOT_CONSUMING``, ``BACKLOG``) is
shared by every herald node through the database; the streaks (:class:`Track`)
are each node's own.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum


class State(enum.Enum):
    OK = "ok"
    NOT_CONSUMING = "not_consuming"
    BACKLOG = "backlog"


@dataclasses.dataclass(frozen=True, slots=True)
class Reading:
    """One passive declare: ``exists`` False when the broker said 404."""

    at: datetime.datetime
    exists: bool
    messages: int = 0
    consumers: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    """``readings``: consecutive readings a problem needs; the times: how long
    it must have lasted (seconds)."""

    readings: int = 3
    no_consumer_time: float = 60.0
    backlog_time: float = 60.0


@dataclasses.dataclass(slots=True)
class Track:
    """One node's memory of one queue's recent readings."""

    #: consecutive readings without a consumer, the first one's time, and
    #: the most messages any of them saw (a timed-out count reads 0)
    idle: int = 0
    idle_since: datetime.datetime | None = None
    idle_waiting: int = 0
    #: consecutive readings with a consumer and no fall in ready messages,
    #: of which ``rises`` rose; when the first rise was seen
    rises: int = 0
    rising_since: datetime.datetime | None = None
    last: int | None = None

    def reset_idle(self) -> None:
        self.idle, self.idle_since, self.idle_waiting = 0, None, 0

    def reset_rising(self) -> None:
        self.rises, self.rising_since = 0, None


@dataclasses.dataclass(frozen=True, slots=True)
class Transition:
    """A change of the queue's state, with what its message says."""

    to: State
    since: datetime.datetime
    waiting: int


def _seconds(a: datetime.datetime, b: datetime.datetime) -> float:
    return (b - a).total_seconds()


def observe(state: State, track: Track, reading: Reading, policy: Policy
            ) -> Transition | None:
    """Fold ``reading`` into ``track`` (mutated) and return the transition
    from ``state`` it calls for, if any. ``since`` of a transition to ``OK``
    is when the problem began as this node saw it (the caller keeps the one
    stored with the problem)."""
    if not reading.exists:
        # deleted, or never created: nothing can wait in it; say nothing
        track.reset_idle()
        track.reset_rising()
        track.last = None
        return None
    if reading.consumers == 0:
        track.reset_rising()
        track.last = None
        track.idle += 1
        if track.idle_since is None:
            track.idle_since = reading.at
        track.idle_waiting = max(track.idle_waiting, reading.messages)
        if (state is not State.NOT_CONSUMING and track.idle >= policy.readings
                and _seconds(track.idle_since, reading.at) >= policy.no_consumer_time):
            return Transition(State.NOT_CONSUMING, track.idle_since, track.idle_waiting)
        return None
    # a consumer is attached: that is never a timed-out count
    began = track.idle_since
    track.reset_idle()
    previous, track.last = track.last, reading.messages
    if reading.messages == 0 or (previous is not None and reading.messages < previous):
        track.reset_rising()  # the service takes its requests
        if state is State.BACKLOG:
            return Transition(State.OK, reading.at, reading.messages)
    elif previous is not None and reading.messages > previous:
        track.rises += 1
        if track.rising_since is None:
            track.rising_since = reading.at
    if state is State.NOT_CONSUMING:
        return Transition(State.OK, began or reading.at, reading.messages)
    if (state is State.OK and track.rising_since is not None
            and track.rises >= policy.readings - 1
            and _seconds(track.rising_since, reading.at) >= policy.backlog_time):
        return Transition(State.BACKLOG, track.rising_since, reading.messages)
    return None
