"""What herald declares, and what it only looks up, against a broker model.

The model refuses declarations as RabbitMQ does: a passive declaration of a
missing entity is NOT_FOUND, an active one with other properties is
PRECONDITION_FAILED. The real broker is in tests/functional (and real
Cinder in tests/integration).
"""

import logging

import amqp
import pytest

from listener.intake import Binding
from listener.topology import Topology

QUORUM = {"x-queue-type": "quorum"}


class Broker:
    """Exchanges and queues by name, with the properties they were declared with."""

    def __init__(self):
        self.exchanges, self.queues, self.bindings = {}, {}, set()
        self.calls = []

    def exchange_declare(self, name, kind, passive=False, **props):
        self.calls.append(("exchange", name, passive))
        if passive:
            if name not in self.exchanges:
                raise amqp.exceptions.NotFound(f"no exchange '{name}'")
            return
        raise AssertionError(f"herald declared exchange {name!r} actively: {props}")

    def queue_declare(self, name, passive=False, durable=False, auto_delete=False,
                      arguments=None):
        self.calls.append(("queue", name, passive))
        if passive:
            if name not in self.queues:
                raise amqp.exceptions.NotFound(f"no queue '{name}'")
            return
        props = {"durable": durable, "auto_delete": auto_delete, "arguments": arguments or {}}
        if name in self.queues and self.queues[name] != props:
            raise amqp.exceptions.PreconditionFailed(f"inequivalent arg for queue '{name}'")
        self.queues[name] = props

    def queue_bind(self, queue, exchange, routing_key):
        if queue not in self.queues or exchange not in self.exchanges:
            raise amqp.exceptions.NotFound("no such queue or exchange")
        self.bindings.add((queue, exchange, routing_key))

    def queue_unbind(self, queue, exchange, routing_key):
        self.calls.append(("unbind", queue, routing_key))
        if exchange not in self.exchanges:
            raise amqp.exceptions.NotFound(f"no exchange '{exchange}'")
        self.bindings.discard((queue, exchange, routing_key))  # absent: no error, as RabbitMQ

    # what a service does
    def service_starts(self, exchange, durable=False):
        self.exchanges[exchange] = {"durable": durable}

    def notifier_publishes(self, exchange, key, durable=False):
        self.service_starts(exchange, durable)
        self.queues.setdefault(key, {"durable": durable, "auto_delete": False, "arguments": {}})
        self.bindings.add((key, exchange, key))


def own(key):
    return Binding("openstack", "herald", key, own=True)


def topic(key, exchange="openstack"):
    return Binding(exchange, key, key)


@pytest.fixture
def consumed():
    return []


def test_the_services_entities_are_never_declared_actively(consumed):
    broker = Broker()
    t = Topology([own("notifications.error"), topic("user_messages.error")], {}, 1.0)
    t.settle(broker, consumed.append)
    # herald's own queue exists at once, durable; the rest is only looked up
    assert broker.queues == {"herald": {"durable": True, "auto_delete": False, "arguments": {}}}
    assert broker.exchanges == {} and broker.bindings == set()
    assert ("exchange", "openstack", True) in broker.calls
    assert ("queue", "user_messages.error", True) in broker.calls
    assert consumed == ["herald"] and not t.complete


def test_bound_and_consumed_once_the_services_created_them(consumed, caplog):
    caplog.set_level(logging.INFO)
    broker = Broker()
    t = Topology([own("notifications.error"), topic("user_messages.error")], {}, 1.0)
    t.settle(broker, consumed.append)
    assert "The exchange 'openstack' does not exist" in caplog.text
    assert t.missing() == "1 exchange(s), 1 queue(s)"
    broker.service_starts("openstack")  # cinder starts: its exchange, transient
    t.settle(broker, consumed.append)
    assert ("herald", "openstack", "notifications.error") in broker.bindings
    assert "The exchange 'openstack' exists now" in caplog.text
    assert not t.complete
    broker.notifier_publishes("openstack", "user_messages.error")
    t.settle(broker, consumed.append)
    assert consumed == ["herald", "user_messages.error"] and t.complete
    assert broker.exchanges["openstack"] == {"durable": False}  # as the service made it
    assert broker.queues["user_messages.error"]["durable"] is False


def test_a_complete_topology_needs_no_more_looks(consumed):
    broker = Broker()
    broker.notifier_publishes("openstack", "user_messages.error")
    t = Topology([own("notifications.error"), topic("user_messages.error")], {}, 1.0)
    t.settle(broker, consumed.append)
    assert t.complete and t.missing() == ""
    calls = len(broker.calls)
    t.settle(broker, consumed.append)
    assert len(broker.calls) == calls and consumed == ["herald", "user_messages.error"]


def test_each_entity_is_looked_up_once_per_settle(consumed):
    broker = Broker()
    bindings = [Binding(ex, "herald", f"notifications.{p}", own=True)
                for ex in ("openstack", "nova") for p in ("error", "info")]
    t = Topology(bindings, {}, 1.0)
    t.settle(broker, consumed.append)
    assert broker.calls.count(("exchange", "nova", True)) == 1
    assert [c for c in broker.calls if c[1] == "herald"] == [("queue", "herald", False)]


def test_a_missing_entity_is_logged_once(consumed, caplog):
    broker = Broker()
    t = Topology([topic("user_messages.error")], {}, 1.0)
    caplog.set_level(logging.INFO)
    for _ in range(3):
        t.settle(broker, consumed.append)
    assert caplog.text.count("Not created yet by a service's Notifier") == 1
    assert "user_messages.error" in caplog.text


def test_own_queues_are_quorum_queues_when_configured(consumed):
    broker = Broker()
    t = Topology([own("notifications.error")], QUORUM, 1.0)
    t.settle(broker, consumed.append)
    assert broker.queues["herald"] == {"durable": True, "auto_delete": False,
                                       "arguments": QUORUM}


def test_an_own_queue_declared_otherwise_is_reported_and_consumed(consumed, caplog):
    broker = Broker()
    broker.queues["herald"] = {"durable": True, "auto_delete": False, "arguments": {}}
    t = Topology([own("notifications.error")], QUORUM, 1.0)
    t.settle(broker, consumed.append)
    assert "refused herald's declaration of its own queue 'herald'" in caplog.text
    assert broker.queues["herald"]["arguments"] == {}  # left as it was
    assert consumed == ["herald"]


def test_an_exchange_deleted_between_look_and_bind_is_retried(consumed):
    broker = Broker()
    broker.service_starts("openstack")
    real_bind = broker.queue_bind

    def racing_bind(queue, exchange, routing_key):
        broker.exchanges.pop(exchange, None)
        return real_bind(queue, exchange, routing_key)

    broker.queue_bind = racing_bind
    t = Topology([own("notifications.error")], {}, 1.0)
    t.settle(broker, consumed.append)
    assert not t.complete and consumed == ["herald"]
    broker.queue_bind = real_bind
    broker.service_starts("openstack")
    t.settle(broker, consumed.append)
    assert t.complete and consumed == ["herald"]  # consumed once, bound now


def test_failures_move_to_their_own_queue_bound_before_the_old_key_goes(consumed, caplog):
    """An upgrade: the shared queue of the layout before holds every
    priority's key; the failures queue takes the failure keys over, bound
    first, so no failure is ever routed to no queue of herald's."""
    caplog.set_level(logging.INFO)
    broker = Broker()
    broker.service_starts("openstack")
    broker.queues["herald"] = {"durable": True, "auto_delete": False, "arguments": {}}
    for p in ("info", "error"):
        broker.bindings.add(("herald", "openstack", f"notifications.{p}"))
    failures = Binding("openstack", "herald.failures", "notifications.error", own=True,
                       failures=True)
    t = Topology([own("notifications.info"), failures], {}, 1.0,
                 replaced=[own("notifications.error")])
    t.settle(broker, consumed.append)
    assert broker.bindings == {("herald", "openstack", "notifications.info"),
                               ("herald.failures", "openstack", "notifications.error")}
    assert consumed == ["herald", "herald.failures"]  # the old queue is still read
    binds = [c for c in broker.calls if c[0] == "unbind"]
    assert binds == [("unbind", "herald", "notifications.error")]
    assert "Failures reach herald through its queue 'herald.failures'" in caplog.text


def test_an_old_queue_left_without_bindings_is_still_consumed(consumed):
    """priorities = error only: every key moves to the failures queue, and
    what the old queue holds must still be read; a fresh deployment has no
    such queue, and herald does not create one."""
    failures = Binding("openstack", "herald.failures", "notifications.error", own=True,
                       failures=True)
    old = own("notifications.error")
    broker = Broker()
    broker.service_starts("openstack")
    t = Topology([failures], {}, 1.0, replaced=[old])
    t.settle(broker, consumed.append)
    assert consumed == ["herald.failures"] and "herald" not in broker.queues and t.complete
    broker = Broker()
    broker.service_starts("openstack")
    broker.queues["herald"] = {"durable": True, "auto_delete": False, "arguments": {}}
    consumed.clear()
    t = Topology([failures], {}, 1.0, replaced=[old])
    t.settle(broker, consumed.append)
    assert consumed == ["herald", "herald.failures"] and t.complete
