"""The broker cut off under real Cinder: herald-api says so, and the create
that waited out the outage still gets its failure message.

cinder-api, cinder-scheduler and herald-listener reach RabbitMQ through a
TCP relay of the test's own (the machine's broker keeps running for every
other test); herald-api has no broker at all. Cutting the relay is the
broker going away for all of them: herald-api's messaging status turns
unavailable (the Event Viewer's banner) while a volume create hangs in
cinder-api, as the spec describes. Restoring the relay clears the state,
the create returns, cinder-scheduler fails it (no back end), and the owner
reads VOLUME_NO_VALID_BACKEND from herald.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

import pytest

from tests import services
from tests.functional.tcp_proxy import TCPProxy
from tests.integration.cinder import Cinder

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.fault, pytest.mark.slow]


class Relayed:
    """The test's vhost as the services see it: through the relay."""

    def __init__(self, vhost: Any, proxy: TCPProxy) -> None:
        self.real = vhost
        self.transport_url = vhost.transport_url.replace(":5672/", f":{proxy.port}/", 1)
        assert self.transport_url != vhost.transport_url
        self.amqp_url = vhost.amqp_url  # the test's own look-ups go straight to the broker

    def consumed(self, name: str) -> bool:
        return bool(self.real.consumed(name))


@pytest.fixture
def proxy(vhost):
    with TCPProxy(("127.0.0.1", 5672)) as p:
        yield p


@pytest.fixture
def cinder(cinder_venv, vhost, proxy, databases, tmp_path):
    c = Cinder(cinder_venv, Relayed(vhost, proxy), databases, tmp_path)
    yield c
    c.stop()


def status(base: str) -> dict:
    req = urllib.request.Request(f"{base}/v3/demo/messaging-status",
                                 headers={"X-Auth-Token": "demo-user:demo"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())["messaging_status"]


def test_cut_raises_the_banner_and_the_waiting_create_still_fails_to_its_owner(
        herald, cinder, vhost, proxy):
    cinder.start()
    h = herald(["openstack"], ["notifications"])
    relayed = Relayed(vhost, proxy)
    text = h.listener.conf_path.read_text().replace(vhost.transport_url,
                                                    relayed.transport_url)
    h.listener.conf_path.write_text(text + "[listener]\nbroker_outage_after = 2\n"
                                "[oslo_messaging_rabbit]\nrabbit_retry_backoff = 0\n")
    h.start()
    assert status(h.base)["available"] is True

    proxy.cut()
    made: dict[str, Any] = {}
    creating = threading.Thread(target=lambda: made.update(v=cinder.create_volume(1)),
                                daemon=True)
    creating.start()  # hangs in cinder-api: its cast waits for the broker
    services.wait_until(lambda: not status(h.base)["available"], 60,
                        "herald-api to report the outage")
    s = status(h.base)
    assert s["message"].startswith("The cloud's internal messaging service has been "
                                   "unavailable since ")
    assert creating.is_alive() and "v" not in made  # the user's request is hanging

    proxy.restore()
    services.wait_until(lambda: status(h.base)["available"], 60,
                        "herald-api to report the broker back")
    creating.join(90)
    assert "v" in made, cinder.logs_text()
    volume_id, request_id = made["v"]
    cinder.wait_status(volume_id, "error")
    h.listener.wait_for_outcomes(1, 0)
    (row,) = h.listener.rows()
    assert (row["project_id"], row["event_id"], row["resource_uuid"], row["request_id"]) == (
        "demo", "VOLUME_NO_VALID_BACKEND", volume_id, request_id)
