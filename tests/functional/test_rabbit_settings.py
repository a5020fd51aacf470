"""What herald declares on the real broker: only its own queues.

The services' exchanges and topic queues carry the services' settings
(listener.topology). Here oslo.messaging's own RPC server and Notifier, at
oslo's defaults, play a service that starts after herald: it must start,
and its notifications must reach herald. Real Cinder does the same in
tests/integration.
"""

from __future__ import annotations

import subprocess

import kombu
import oslo_messaging
import pytest
from oslo_config import cfg
from oslo_context import context as oslo_context
from oslo_messaging import opts as messaging_opts
from oslo_messaging._metrics import client as metrics
from oslo_messaging._tracing import client as tracing

from tests import emitted, services

pytestmark = [pytest.mark.rabbit]

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
QUORUM = "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\nrabbit_quorum_delivery_limit = 5\n"
PAYLOAD = {"event_id": "VOLUME_DELETE_FAILED", "params": {"volume_id": VOL, "reason": "in_use"},
           "project_id": "p"}


def entity_info(kind, name):
    """``rabbitmqctl list_queues|list_exchanges`` columns of one entity."""
    columns = (["name", "type", "durable", "arguments"] if kind == "queues"
               else ["name", "type", "durable", "auto_delete"])
    out = subprocess.run(["rabbitmqctl", f"list_{kind}", "-q", "--no-table-headers", *columns],
                         capture_output=True, text=True, check=True).stdout
    return next((line.split("\t") for line in out.splitlines()
                 if line.split("\t")[0] == name), None)


def service_conf(exchange, **rabbit):
    """A service's configuration: oslo's defaults unless told otherwise."""
    conf = cfg.ConfigOpts()
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    # oslo.messaging's RPC client and server read these; it registers them on cfg.CONF only
    conf.register_opts(tracing.oslo_messaging_tracing, group="oslo_messaging_tracing")
    conf.register_opts(metrics.oslo_messaging_metrics, group="oslo_messaging_metrics")
    conf([], project="a-service", default_config_files=[])
    conf.set_override("control_exchange", exchange)
    for name, value in rabbit.items():
        conf.set_override(name, value, group="oslo_messaging_rabbit")
    return conf


class Service:
    """What cinder-scheduler does with the broker: an RPC server on its
    control exchange (declared when it starts) and a Notifier."""

    def __init__(self, exchange, **rabbit):
        conf = service_conf(exchange, **rabbit)
        self.rpc_transport = oslo_messaging.get_rpc_transport(conf, url=services.RABBIT_URL)

        class Endpoint:
            def ping(self, ctxt):
                return "pong"

        self.server = oslo_messaging.get_rpc_server(
            self.rpc_transport, oslo_messaging.Target(topic="svc-scheduler", server="host-a"),
            [Endpoint()], executor="threading")
        self.server.start()
        self.client = oslo_messaging.get_rpc_client(
            self.rpc_transport, oslo_messaging.Target(topic="svc-scheduler"), timeout=20)
        self.notification_transport = oslo_messaging.get_notification_transport(
            conf, url=services.RABBIT_URL)

    def notifier(self, topic):
        return oslo_messaging.Notifier(self.notification_transport, publisher_id="scheduler.a",
                                       driver="messagingv2", topics=[topic])

    def ping(self):
        return self.client.call({}, "ping")

    def stop(self):
        self.server.stop()
        self.server.wait()
        self.rpc_transport.cleanup()
        self.notification_transport.cleanup()


def test_a_service_at_oslos_defaults_starts_after_herald(herald):
    """herald first, on a broker without the service's exchange: herald
    creates nothing of the service's; the service then starts (its RPC
    works), and both its own notifications (shared topic) and herald's
    payload (herald's topic) become messages."""
    h = herald("sqlite", shared_topics=1)
    h.start(services_first=False)
    assert entity_info("exchanges", h.exchange) is None
    assert f"The exchange '{h.exchange}' does not exist" in h.log()
    service = Service(h.exchange)
    try:
        assert service.ping() == "pong"  # it started: no PRECONDITION_FAILED
        h.wait_log(f"The exchange '{h.exchange}' exists now")
        ctx = oslo_context.RequestContext(project_id="admin-project", request_id="req-1")
        service.notifier(h.shared_topics[0]).error(
            ctx, "scheduler.create_volume", emitted.cinder_volume(
                "create_volume", "NoValidBackend('No valid backend was found.')",
                volume_id=VOL, project="owner")["payload"])
        service.notifier(h.topic).error(ctx, "user_message.create", PAYLOAD)
        h.wait_for_outcomes(2, 0)
    finally:
        service.stop()
    # as the service made them: transient, like every entity at oslo's defaults
    assert entity_info("exchanges", h.exchange)[2] == "false"
    assert entity_info("queues", f"{h.topic}.error")[2] == "false"
    # herald's own queue: durable
    assert entity_info("queues", h.shared_queue)[1:3] == ["classic", "true"]
    assert "PRECONDITION_FAILED" not in h.log()
    assert h.stop() == 0


def test_own_queues_are_quorum_queues_and_the_services_keep_theirs(herald):
    """rabbit_quorum_queue makes herald's own queue a quorum queue; the
    topic queue is what the service's Notifier made (classic here)."""
    h = herald("sqlite", extra=QUORUM, shared_topics=1).start()
    info = entity_info("queues", h.shared_queue)
    assert info[1] == "quorum" and "x-delivery-limit" in info[3]
    h.notifier().error({}, "user_message.create", PAYLOAD)  # durable classic, as configured
    h.wait_for_outcomes(1, 0)
    assert entity_info("queues", f"{h.topic}.error")[1] == "classic"
    assert "RabbitMQ refused" not in h.log()
    assert h.stop() == 0


def test_an_own_queue_declared_otherwise_is_reported_and_still_consumed(herald):
    """herald's queue already exists as a classic queue (an earlier
    configuration); herald is now configured for quorum queues. It logs
    what to do and consumes the existing queue."""
    h = herald("sqlite", extra=QUORUM, shared_topics=1)
    with kombu.Connection(services.AMQP_URL) as conn:
        kombu.Queue(h.shared_queue, durable=True)(conn.channel()).declare()
    h.start()
    log = h.log()
    assert f"refused herald's declaration of its own queue '{h.shared_queue}'" in log
    assert "PRECONDITION_FAILED" in log
    assert entity_info("queues", h.shared_queue)[1] == "classic"  # left as it was
    h.service_notifier(h.exchange, "scheduler.a", h.shared_topics[0]).error(
        oslo_context.RequestContext(project_id="p", request_id="req-2"),
        "scheduler.create_volume", emitted.cinder_volume(
            "create_volume", "NoValidBackend('x')", volume_id=VOL, project="owner")["payload"])
    h.wait_for_outcomes(1, 0)
    assert h.stop() == 0
