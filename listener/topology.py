"""What herald declares on RabbitMQ, and what it only looks up.

herald reads exchanges and queues that belong to the services it joins:

- the **exchanges** are the services' control exchanges (``openstack``,
  ``nova``), which carry their RPC as well as their notifications;
- the **topic queues** (``<topic>.<priority>``) are declared by the
  services' Notifiers, with the services' settings, on their first
  notification.

RabbitMQ refuses a declaration that differs from the existing entity, and
it refuses the *later* declarer. If herald declared them with properties of
its own, a service started after herald (or reconnecting after a broker
restart, once herald had re-created them) could not start at all:
cinder-scheduler fails with ``PRECONDITION_FAILED - inequivalent arg
'durable' for exchange 'openstack'``. herald cannot know each service's
settings (``amqp_durable_queues``, quorum queues...), so any guess risks
that. herald therefore **never creates them**: it looks them up passively,
consumes a topic queue once a Notifier has created it, binds its own queues
once the exchange exists, and looks again every ``[listener] probe_interval``
for what is missing.

Waiting costs nothing on herald's own topics: a Notifier creates the topic
queue and its binding before it publishes, so the queue holds every
notification until herald consumes it. On the shared topics, a notification
published between the creation of a service's exchange and herald's next
look is not routed to herald's own queue (it still reaches the topic queues
other consumers read); services create their exchange when they start,
before they can fail an operation. After a broker restart that window is
when the requests that waited are failed: operators close it with RabbitMQ
definitions loaded at boot (``herald-manage broker definitions``,
listener.definitions), never with a declaration by herald.

**herald's own queues** (the shared queue and the pool queue) are declared
with herald's settings: always durable (they hold user-facing failures across
a broker restart) and, with ``rabbit_quorum_queue``, quorum queues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import amqp

from listener.intake import Binding

LOG = logging.getLogger(__name__)

_ABSENT = (amqp.exceptions.NotFound,)


class Topology:
    """One connection's view: which queues are consumed, which bound.

    All declarations go through a channel of their own: RabbitMQ closes a
    channel on a refused or failed declaration, and the consuming channel
    must keep its consumers and unacknowledged deliveries.
    """

    def __init__(self, bindings: Sequence[Binding], queue_arguments: dict[str, Any],
                 probe_interval: float) -> None:
        self.bindings = list(bindings)
        self.queue_arguments = queue_arguments
        self.probe_interval = probe_interval
        self.queues = list(dict.fromkeys(b.queue for b in self.bindings))
        self._own = {b.queue for b in self.bindings if b.own}
        self.consumed: set[str] = set()
        self.bound: set[Binding] = set()
        self._declared: set[str] = set()  # own queues declared on this connection
        self._missing: set[tuple[str, str]] = set()  # logged as missing, not yet found
        self._refused: set[str] = set()
        self._new_queues: list[str] = []  # found missing by the settle in progress

    @property
    def complete(self) -> bool:
        return len(self.consumed) == len(self.queues) and len(self.bound) == len(self.bindings)

    def missing(self) -> str:
        """What is still awaited, for logs: ``2 queue(s), 1 exchange(s)``."""
        kinds = [kind for kind, _ in self._missing]
        return ", ".join(f"{kinds.count(k)} {k}(s)" for k in ("exchange", "queue") if k in kinds)

    def settle(self, channel: Any, consume: Callable[[str], None]) -> None:
        """Declare herald's own queues, look up the services' entities, bind
        and consume whatever exists now. ``channel``: the declaring channel
        (py-amqp reopens it after the broker closes it on a refusal)."""
        seen: dict[tuple[str, str], bool] = {}  # one look per entity per call
        self._new_queues = []

        def exists(kind: str, name: str) -> bool:
            if (kind, name) not in seen:
                seen[kind, name] = (self._ensure_own(channel, name) if kind == "queue"
                                    and name in self._own else self._exists(channel, kind, name))
            return seen[kind, name]

        for b in self.bindings:
            if b in self.bound or not exists("queue", b.queue):
                continue
            if b.queue not in self.consumed:
                consume(b.queue)
                self.consumed.add(b.queue)
                self._found("queue", b.queue, "created by a notifier; consuming it")
            if not exists("exchange", b.exchange):
                continue
            try:
                channel.queue_bind(b.queue, b.exchange, routing_key=b.routing_key)
            except _ABSENT:  # deleted since the look-up: next time
                continue
            self.bound.add(b)
            self._found("exchange", b.exchange, "binding herald's queues to it")
        if self._new_queues:  # one line for all: a priority may never be used
            LOG.info("Not created yet by a service's Notifier (herald consumes each as soon "
                     "as one publishes at that priority): %s", ", ".join(self._new_queues))

    # -- one entity -----------------------------------------------------------
    def _ensure_own(self, channel: Any, name: str) -> bool:
        if name not in self._declared:
            self._declare_own(channel, name)
            self._declared.add(name)
        return True

    def _declare_own(self, channel: Any, name: str) -> None:
        args = self.queue_arguments or None
        try:
            channel.queue_declare(name, durable=True, auto_delete=False, arguments=args)
        except amqp.exceptions.PreconditionFailed as exc:
            if name not in self._refused:
                self._refused.add(name)
                LOG.error(
                    "RabbitMQ refused herald's declaration of its own queue %r: %s. herald "
                    "declares its queues durable with the arguments %s ([oslo_messaging_rabbit] "
                    "rabbit_quorum_queue=%s); the existing queue was declared otherwise (by an "
                    "earlier configuration?). Consuming it as it is; delete it while herald is "
                    "stopped to have it re-created.", name, exc.reply_text, args or {},
                    "x-queue-type" in (args or {}))
            channel.queue_declare(name, passive=True)

    def _exists(self, channel: Any, kind: str, name: str) -> bool:
        try:
            if kind == "exchange":
                channel.exchange_declare(name, "topic", passive=True)
            else:
                channel.queue_declare(name, passive=True)
        except _ABSENT:
            if (kind, name) not in self._missing:
                self._missing.add((kind, name))
                self._log_missing(kind, name)
            return False
        return True

    def _found(self, kind: str, name: str, what: str) -> None:
        if (kind, name) in self._missing:
            self._missing.discard((kind, name))
            LOG.info("The %s %r exists now: %s", kind, name, what)

    def _log_missing(self, kind: str, name: str) -> None:
        if kind == "queue":
            self._new_queues.append(name)
            return
        LOG.warning(
            "The exchange %r does not exist: it belongs to the services that publish on "
            "it, and herald does not create it (a declaration with other settings than "
            "theirs would stop them from starting). herald binds its queues to it as "
            "soon as a service has created it, looking every %.1f s.",
            name, self.probe_interval)
