"""RabbitMQ settings for herald's own consumer, read from oslo's options.

Operators configure one ``transport_url`` and one ``[oslo_messaging_rabbit]``
section for every OpenStack service; herald's kombu intake reads the same
ones so that it connects, authenticates and declares queues exactly as an
oslo.messaging listener with those settings would.
"""

from __future__ import annotations

import dataclasses
import os
import random
import socket
import ssl
from typing import Any
from urllib.parse import quote

import kombu
import oslo_messaging
from oslo_config import cfg

from collector.exceptions import ConfigurationError
from listener import amqp_transport
from listener.intake import transport_url

_SSL_VERSIONS = {"tlsv1_2": "PROTOCOL_TLSv1_2", "tlsv1_1": "PROTOCOL_TLSv1_1",
                 "tlsv1": "PROTOCOL_TLSv1", "sslv23": "PROTOCOL_SSLv23"}


def queue_arguments(rabbit: Any) -> dict[str, Any]:
    """The ``x-`` arguments oslo gives a notification (topic) queue.

    Must stay equal to ``oslo_messaging._drivers.impl_rabbit.
    _get_queue_arguments`` for topic consumers (no TTL, no stream): a
    difference makes RabbitMQ refuse one side's declaration. A unit test
    compares the two.
    """
    if rabbit.rabbit_quorum_queue and rabbit.rabbit_ha_queues:
        raise ConfigurationError("rabbit_quorum_queue and rabbit_ha_queues are both enabled")
    args: dict[str, Any] = {}
    if rabbit.rabbit_ha_queues:
        args["x-ha-policy"] = "all"
    if rabbit.rabbit_quorum_queue:
        args["x-queue-type"] = "quorum"
        if rabbit.rabbit_quorum_delivery_limit:
            args["x-delivery-limit"] = rabbit.rabbit_quorum_delivery_limit
        if rabbit.rabbit_quorum_max_memory_length:
            args["x-max-in-memory-length"] = rabbit.rabbit_quorum_max_memory_length
        if rabbit.rabbit_quorum_max_memory_bytes:
            args["x-max-in-memory-bytes"] = rabbit.rabbit_quorum_max_memory_bytes
    return args


def _ssl_params(rabbit: Any, hosts: list[Any]) -> dict[str, Any] | bool:
    """TLS parameters exactly as oslo's rabbit driver builds them."""
    if not rabbit.ssl:
        return False
    params: dict[str, Any] = {}
    if rabbit.ssl_version:
        attr = _SSL_VERSIONS.get(rabbit.ssl_version.lower())
        if attr is None or not hasattr(ssl, attr):
            raise ConfigurationError(f"invalid ssl_version {rabbit.ssl_version!r}")
        params["ssl_version"] = getattr(ssl, attr)
    if rabbit.ssl_key_file:
        params["keyfile"] = rabbit.ssl_key_file
    if rabbit.ssl_cert_file:
        params["certfile"] = rabbit.ssl_cert_file
    if rabbit.ssl_ca_file:
        params["ca_certs"] = rabbit.ssl_ca_file
        params["cert_reqs"] = ssl.CERT_REQUIRED
        if rabbit.ssl_enforce_hostname_verification and len(hosts) == 1:
            params["server_hostname"] = hosts[0].hostname
    return params or True


@dataclasses.dataclass
class RabbitSettings:
    urls: list[str]
    ssl: dict[str, Any] | bool
    heartbeat: int
    heartbeat_rate: int
    login_method: str
    failover_strategy: str
    prefetch: int
    durable: bool
    auto_delete: bool
    queue_arguments: dict[str, Any]
    retry_interval: float
    retry_backoff: float
    retry_max: float

    def pick(self, attempt: int) -> str:
        """The host for this attempt, by ``kombu_failover_strategy``.

        herald rotates hosts itself (rather than through kombu's alternates)
        so that every host is reached with the buffered transport; kombu
        re-parses an alternate's URL and would fall back to its default.
        """
        if self.failover_strategy == "shuffle":
            return random.choice(self.urls)
        return self.urls[attempt % len(self.urls)]

    def connection(self, url: str, confirm: bool = False) -> kombu.Connection:
        """``confirm``: publishing waits for the broker's confirmation."""
        return kombu.Connection(
            url,
            transport=amqp_transport.Transport, ssl=self.ssl, heartbeat=self.heartbeat,
            login_method=self.login_method, connect_timeout=10,
            transport_options={"confirm_publish": confirm, "client_properties": {
                "connection_name": f"herald-listener:{socket.gethostname()}:{os.getpid()}",
                "product": "herald"}})

    @staticmethod
    def display(url: str) -> str:
        """A broker URL for logs: the password masked."""
        return kombu.Connection(url).as_uri()

    def describe(self) -> str:
        """For logs: every host, passwords masked."""
        return ", ".join(self.display(u) for u in self.urls)


def settings(conf: cfg.ConfigOpts) -> RabbitSettings:
    url = oslo_messaging.TransportURL.parse(conf, transport_url(conf))
    if url.transport not in ("rabbit", "kombu"):
        raise ConfigurationError(
            f"the kombu intake needs a rabbit:// transport, not {url.transport}://; "
            "use [listener] intake = oslo")
    if not url.hosts:
        raise ConfigurationError("the transport URL names no RabbitMQ host")
    vhost = quote(url.virtual_host or "", safe="")
    urls = []
    for h in url.hosts:
        host = f"[{h.hostname}]" if h.hostname and ":" in h.hostname else h.hostname
        creds = ""
        if h.username:
            creds = quote(h.username, safe="") + (
                ":" + quote(h.password, safe="") if h.password else "") + "@"
        urls.append(f"amqp://{creds}{host}:{h.port or 5672}/{vhost}")
    r = conf.oslo_messaging_rabbit
    return RabbitSettings(
        urls=urls,
        ssl=_ssl_params(r, url.hosts),
        heartbeat=r.heartbeat_timeout_threshold,
        heartbeat_rate=max(1, r.heartbeat_rate),
        login_method=r.rabbit_login_method,
        failover_strategy=r.kombu_failover_strategy,
        prefetch=r.rabbit_qos_prefetch_count,
        # quorum queues are always durable; oslo does the same
        durable=r.amqp_durable_queues or r.rabbit_quorum_queue,
        auto_delete=r.amqp_auto_delete,
        queue_arguments=queue_arguments(r),
        retry_interval=float(r.rabbit_retry_interval),
        retry_backoff=float(r.rabbit_retry_backoff),
        retry_max=float(r.rabbit_interval_max),
    )
