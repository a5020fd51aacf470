"""After a broker restart, a service's first notification still reaches herald.

The services run at oslo's defaults (``amqp_durable_queues = false``), so a
broker restart removes their exchanges and herald's bindings to them, and a
service re-creates its exchange just before its first publish: herald, which
never creates a service's exchange (listener.topology), would bind too late
for it. ``herald-manage broker definitions`` gives RabbitMQ the services'
exchanges, with the services' own properties, and herald's queue and
bindings, to load at every boot (``load_definitions``): the test restarts a
RabbitMQ node of its own (the cluster test's way) several times and
publishes, as a service at oslo's defaults, the moment the node listens,
before herald has even reconnected. Every notification must be stored.

One control round first, without the definitions, shows the window they
close (printed, not asserted: herald might, rarely, bind in time).
"""

from __future__ import annotations

import json
import uuid

import oslo_messaging
import pytest
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from tests import services
from tests.functional.rabbit_cluster import Cluster
from tests.functional.test_listener import ctx

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql, pytest.mark.fault, pytest.mark.slow]

ROUNDS = 4
# the services' (and so herald's) oslo settings: oslo's defaults
EXTRA = """\
[oslo_messaging_rabbit]
amqp_durable_queues = false
rabbit_retry_backoff = 0
"""


@pytest.fixture
def node(tmp_path):
    c = Cluster(tmp_path / "rabbit", size=1)
    try:
        c.up()
        yield c, c.nodes[0]
    finally:
        c.stop()


def publish_as_a_service(url: str, exchange: str, topic: str) -> str:
    """A service at oslo's defaults: it declares its exchange (non-durable)
    and the topic queue, then publishes. The resource's UUID."""
    conf = cfg.ConfigOpts()
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    conf([], project="herald-tests", default_config_files=[])
    conf.set_override("control_exchange", exchange)
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    try:
        notifier = oslo_messaging.Notifier(transport, publisher_id="volume.test-host",
                                           driver="messagingv2", topics=[topic])
        resource = str(uuid.uuid4())
        notifier.error(ctx(project="demo"), "user_message.create", {
            "event_id": "VOLUME_DELETE_FAILED", "resource_uuid": resource,
            "params": {"volume_id": resource, "reason": "in_use"}})
        return resource
    finally:
        transport.cleanup()


def restart_and_publish(cluster, node, h) -> str:
    cluster.kill(node)
    cluster.start(node)
    services.wait_until(lambda: services.port_open(node.port), 120, "the node to listen")
    resource = publish_as_a_service(f"rabbit://{node.url}/", h.exchange, h.shared_topics[0])
    cluster.wait_started(node)
    return resource


def bound(cluster, node, h) -> bool:
    out = cluster.ctl(node, "list_bindings", "-q", "--no-table-headers", "source_name",
                      "destination_name")
    return f"{h.exchange}\t{h.shared_queue}" in out


def stored(h) -> set[str]:
    return {r["resource_uuid"] for r in h.rows()}


def test_a_notification_right_after_a_broker_restart_reaches_herald(node, herald, tmp_path):
    cluster, n = node
    h = herald("postgresql", transport_url=f"rabbit://{n.url}/", amqp_url=cluster.amqp_url(n),
               shared_topics=1, extra=EXTRA)
    # the service starts first, as in a cloud: its exchange exists, herald binds to it
    publish_as_a_service(f"rabbit://{n.url}/", h.exchange, h.shared_topics[0])
    h.start(services_first=False)
    defs = tmp_path / "herald-definitions.json"
    result = h.manage("broker", "definitions", "--output", str(defs))
    assert result.returncode == 0, result.stderr
    doc = json.loads(defs.read_text())
    # the service's own properties (oslo: durable = amqp_durable_queues), herald's queue
    assert doc["exchanges"] == [{"name": h.exchange, "vhost": "/", "type": "topic",
                                 "durable": False, "auto_delete": False, "internal": False,
                                 "arguments": {}}]
    assert {b["destination"] for b in doc["bindings"]} == {h.shared_queue}

    # control: without the definitions the first notification is routed to no
    # herald queue (herald is still reconnecting, the exchange is brand new)
    lost = restart_and_publish(cluster, n, h)
    h.wait_log("Consuming", count=2, timeout=60)
    services.wait_until(lambda: bound(cluster, n, h), 60, "herald to bind again")
    print(f"control, no definitions: the first notification after the restart "
          f"{'reached herald' if lost in stored(h) else 'was lost'}")

    # as docs/operations.md sets it up (RabbitMQ 3.10 refuses a directory: eisdir)
    cluster.extra_config = f"load_definitions = {defs}\n"
    sent = []
    for i in range(ROUNDS):
        sent.append(restart_and_publish(cluster, n, h))
        h.wait_log("Consuming", count=3 + i, timeout=60)
        services.wait_until(lambda: sent[-1] in stored(h), 60,
                            f"round {i + 1}'s notification to be stored")
    assert set(sent) <= stored(h)
    # the service's declarations kept succeeding: its exchange is as it declares it
    props = cluster.ctl(n, "list_exchanges", "-q", "--no-table-headers", "name", "durable",
                        "auto_delete")
    assert f"{h.exchange}\tfalse\tfalse" in props

    # herald stopped: the binding is RabbitMQ's own doing at boot, and the
    # notification waits in herald's queue until herald is back
    assert h.stop() == 0
    last = restart_and_publish(cluster, n, h)
    assert bound(cluster, n, h)
    ready = cluster.ctl(n, "list_queues", "-q", "--no-table-headers", "name", "messages")
    assert f"{h.shared_queue}\t1" in ready.splitlines()
    h.start(services_first=False)
    services.wait_until(lambda: last in stored(h), 60, "the waiting notification to be stored")
    assert h.stop() == 0
