"""RabbitMQ definitions that let herald hear a service from its first message.

herald binds its queue to a service's exchange only once the exchange
exists, and it never creates one (listener.topology): a notification sent
between a service creating its exchange and herald's next look is routed to
no herald queue. After a broker restart, with the services at oslo's
defaults (``amqp_durable_queues = false``), every exchange is gone, and that
window is exactly when the requests that waited out the outage are processed
and fail.

RabbitMQ closes it itself when it loads these definitions at boot
(``load_definitions`` in rabbitmq.conf): the services' exchanges, declared
**with the services' own properties** (the same ``[oslo_messaging_rabbit]``
options herald reads: ``type topic``, ``durable = amqp_durable_queues or
rabbit_quorum_queue``, ``auto_delete = amqp_auto_delete``, as oslo.messaging
declares them), herald's own queue and its bindings exist before the node
accepts a connection. A service's own declaration is then equivalent and
succeeds; nothing about the services' entities changes. The topic queues of
herald's own topics are left out: they belong to the services' Notifiers,
which create them before they publish.
"""

from __future__ import annotations

from typing import Any

import oslo_messaging
from oslo_config import cfg

from listener import intake, rabbit


def build(conf: cfg.ConfigOpts) -> dict[str, Any]:
    """The definitions document (RabbitMQ's JSON import format)."""
    settings = rabbit.settings(conf)
    url = oslo_messaging.TransportURL.parse(conf, intake.transport_url(conf))
    vhost = url.virtual_host or "/"
    bindings = [b for b in intake.bindings(conf) if b.own]
    exchanges = list(dict.fromkeys(conf.listener.exchanges))
    queues = list(dict.fromkeys(b.queue for b in bindings))
    return {
        "vhosts": [{"name": vhost}],
        "exchanges": [{"name": name, "vhost": vhost, "type": "topic",
                       "durable": settings.durable, "auto_delete": settings.auto_delete,
                       "internal": False, "arguments": {}} for name in exchanges],
        # herald's own queues, as herald declares them (listener.topology)
        "queues": [{"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": settings.queue_arguments} for name in queues],
        "bindings": [{"source": b.exchange, "vhost": vhost, "destination": b.queue,
                      "destination_type": "queue", "routing_key": b.routing_key,
                      "arguments": {}} for b in bindings],
    }
