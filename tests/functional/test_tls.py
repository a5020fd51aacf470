"""TLS to RabbitMQ: herald's real handshake against a TLS front of the real broker.

Certificates come from a throwaway CA (trustme); ``TLSProxy`` terminates TLS
and relays to the broker. Notifications are published in plain AMQP (as a
service on another network might), consumed by herald over TLS.
"""

from __future__ import annotations

import ssl

import pytest
import trustme

from tests.functional.tls_proxy import TLSProxy

pytestmark = [pytest.mark.rabbit]

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
PAYLOAD = {"event_id": "VOLUME_DELETE_FAILED", "project_id": "p-tls",
           "params": {"volume_id": VOL, "reason": "in_use"}}


def broker_context(ca: trustme.CA, *names: str, client_ca: trustme.CA | None = None
                   ) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    if client_ca is not None:  # the broker asks for a client certificate
        context.verify_mode = ssl.CERT_REQUIRED
        client_ca.configure_trust(context)
    return context


def tls_options(tmp_path, ca: trustme.CA, client: trustme.LeafCert | None = None,
                extra: str = "") -> str:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    lines = ["[oslo_messaging_rabbit]", "ssl = true", f"ssl_ca_file = {ca_file}"]
    if client is not None:
        cert, key = tmp_path / "client.pem", tmp_path / "client.key"
        client.cert_chain_pems[0].write_to_path(str(cert))
        client.private_key_pem.write_to_path(str(key))
        lines += [f"ssl_cert_file = {cert}", f"ssl_key_file = {key}"]
    return "\n".join(lines) + "\n" + extra


def broker_url(port: int) -> str:
    return f"rabbit://guest:guest@127.0.0.1:{port}/"


@pytest.mark.parametrize("intake", ["kombu", "oslo"])
def test_consumes_over_tls_with_a_client_certificate(herald, tmp_path, intake):
    ca = trustme.CA()
    client = ca.issue_cert("herald-client")
    with TLSProxy(broker_context(ca, "127.0.0.1", client_ca=ca), ("127.0.0.1", 5672)) as proxy:
        h = herald("sqlite", intake=intake, transport_url=broker_url(proxy.port),
                   extra=tls_options(tmp_path, ca, client)).start()
        assert proxy.sessions >= 1  # herald's connection is the proxy's TLS session
        h.notifier().error({}, "user_message.create", PAYLOAD)
        h.wait_for_outcomes(1, 0)
        assert h.stop() == 0
    assert "guest:guest" not in h.log()  # the password is masked where the broker is named


def test_an_untrusted_broker_is_refused_logged_and_retried(herald, tmp_path):
    broker_ca, other_ca = trustme.CA(), trustme.CA()
    with TLSProxy(broker_context(broker_ca, "127.0.0.1"), ("127.0.0.1", 5672)) as proxy:
        h = herald("sqlite", transport_url=broker_url(proxy.port),
                   extra=tls_options(tmp_path, other_ca))
        h.start(wait_for=None)
        h.wait_log("RabbitMQ connection to", count=2)  # failed, waited, failed again
        log = h.log()
        assert "CERTIFICATE_VERIFY_FAILED" in log
        assert "Consuming" not in log and proxy.sessions == 0
        assert h.alive() and len(h.worker_pids()) == 1  # no crash loop
        assert h.stop() == 0


def test_the_broker_name_is_verified_unless_told_otherwise(herald, tmp_path):
    ca = trustme.CA()
    # a valid certificate from the trusted CA, for another name
    context = broker_context(ca, "rabbit.example.org")
    with TLSProxy(context, ("127.0.0.1", 5672)) as proxy:
        h = herald("sqlite", transport_url=broker_url(proxy.port),
                   extra=tls_options(tmp_path, ca))
        h.start(wait_for=None)
        h.wait_log("RabbitMQ connection to")
        assert "IP address mismatch" in h.log() and "Consuming" not in h.log()
        assert h.stop() == 0

        relaxed = herald("sqlite", transport_url=broker_url(proxy.port), extra=tls_options(
            tmp_path, ca, extra="ssl_enforce_hostname_verification = false\n")).start()
        relaxed.notifier().error({}, "user_message.create", PAYLOAD)
        relaxed.wait_for_outcomes(1, 0)
        assert relaxed.stop() == 0
