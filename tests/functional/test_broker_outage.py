"""The broker is down: herald records it once for all its nodes, herald-api
says so without any broker, and it clears when the broker returns.

herald-listener (two processes, as two herald nodes sharing one database)
reaches RabbitMQ through a TCP relay of the test's own; cutting the relay is
herald's broker going away (the machine's broker is never stopped: other
tests share it). herald-api is a real process on the same database and has
no broker setting at all. A service keeps publishing to the real broker
meanwhile: what it sent during the outage reaches herald afterwards.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from storage.tables import broker_outages
from tests import services
from tests.functional.tcp_proxy import TCPProxy
from tests.functional.test_api import BIN
from tests.functional.test_listener import ctx

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql, pytest.mark.fault]

AFTER = 2  # [listener] broker_outage_after, short for the test
EXTRA = f"""\
[listener]
broker_outage_after = {AFTER}
[oslo_messaging_rabbit]
rabbit_retry_backoff = 0
"""


@pytest.fixture
def proxy():
    if not services.port_open(5672):
        services.unavailable("RabbitMQ on 127.0.0.1:5672")
    with TCPProxy(("127.0.0.1", 5672)) as p:
        yield p


@pytest.fixture
def api_for(tmp_path):
    procs = []

    def start(db_url: str) -> str:
        port = services.free_port()
        conf = tmp_path / "api.conf"
        conf.write_text(textwrap.dedent(f"""\
            [database]
            connection = {db_url}
            [api]
            auth_strategy = noauth
            port = {port}
            """))
        log = open(tmp_path / "api.log", "wb")
        procs.append((subprocess.Popen([str(BIN / "herald-api"), "--config-file", str(conf)],
                                       stdout=log, stderr=subprocess.STDOUT), log))
        services.wait_until(lambda: services.port_open(port), 30, "herald-api to listen")
        return f"http://127.0.0.1:{port}/v3/demo/messaging-status"
    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(30)
        log.close()


def status(url: str) -> dict:
    req = urllib.request.Request(url, headers={"X-Auth-Token": "alice:demo"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())["messaging_status"]


def outages(h) -> list[dict]:
    with h.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.select(broker_outages))]


def test_cutting_the_broker_raises_the_outage_and_restoring_clears_it(
        herald, proxy, api_for):
    via = f"rabbit://guest:guest@127.0.0.1:{proxy.port}/"
    h1 = herald("postgresql", transport_url=via, extra=EXTRA).start()
    h2 = herald("postgresql", transport_url=via, extra=EXTRA, share_with=h1).start()
    url = api_for(h1.db_url)
    assert status(url)["available"] is True
    notifier = h1.notifier()  # the service: straight to the real broker, not the relay

    for round_ in range(2):  # a second outage is a second row, and clears too
        cut = time.monotonic()
        proxy.cut()
        services.wait_until(lambda: not status(url)["available"], 60,
                            "herald-api to report the outage")
        raised = time.monotonic() - cut
        s = status(url)
        assert s["event_id"] == "MESSAGING_UNAVAILABLE"
        assert s["message"].startswith("The cloud's internal messaging service has been "
                                       "unavailable since ")
        assert s["message"].endswith(": new requests may hang or stay in progress until it "
                                     "recovers.")
        # both nodes noticed; one state
        for h in (h1, h2):
            services.wait_until(lambda h=h: "No RabbitMQ node reachable" in h.log(), 30,
                                "each node to notice")
        open_rows = [r for r in outages(h1) if r["ended_at"] is None]
        assert len(open_rows) == 1 and len(outages(h1)) == round_ + 1
        assert (h1.log() + h2.log()).count("recorded as a broker outage") == round_ + 1

        # a request that fails meanwhile reaches the broker; herald reads it later
        resource = str(uuid.uuid4())
        notifier.error(ctx(project="demo"), "user_message.create", {
            "event_id": "VOLUME_DELETE_FAILED", "resource_uuid": resource,
            "params": {"volume_id": resource, "reason": "in_use"}})

        restored = time.monotonic()
        proxy.restore()
        services.wait_until(lambda: status(url)["available"], 60,
                            "herald-api to report the broker back")
        cleared = time.monotonic() - restored
        assert [r["ended_at"] is not None for r in outages(h1)] == [True] * (round_ + 1)
        h1.wait_for_outcomes(round_ + 1, 0)
        assert resource in {r["resource_uuid"] for r in h1.rows()}
        print(f"round {round_ + 1}: cut -> state recorded {raised:.1f} s, "
              f"restore -> cleared {cleared:.1f} s (broker_outage_after = {AFTER} s)")
    assert h1.stop() == 0 and h2.stop() == 0
