"""herald's watch beside real nova 34: nova-conductor killed, a boot, then back.

nova-api casts ``schedule_and_build_instances`` to topic ``conductor`` on
exchange ``nova`` and answers 202; with no conductor the server stays BUILD
and nova sends nothing. herald's watch tells the operators, naming
nova-conductor and its queue; when the conductor starts again it takes the
waiting boot, herald writes the follow-up, and the boot fails as it does
without a compute host.
"""

from __future__ import annotations

import os
import signal

import pytest
import sqlalchemy as sa

from storage.tables import messages
from tests import services
from tests.integration.nova import Nova

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]


@pytest.fixture
def cloud(nova_venv, vhost, databases, tmp_path):
    n = Nova(nova_venv, vhost, databases, tmp_path, "unversioned")
    yield n
    n.stop()


def operator_rows(h) -> list[dict]:
    with h.listener.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(messages).where(messages.c.project_id == "_operators")
            .order_by(messages.c.created_at))]


def test_nova_conductor_killed_then_restarted(herald, cloud, vhost):
    cloud.start()
    h = herald(["nova"], ["notifications"], watch="""\
        interval = 0.5
        readings = 3
        no_consumer_time = 2
        """).start()
    conductor = cloud.processes.pop("nova-conductor")
    os.killpg(conductor.proc.pid, signal.SIGKILL)
    conductor.stop()
    server_id, _ = cloud.boot()
    services.wait_until(lambda: operator_rows(h), 90,
                        f"the operator message\n{h.listener.log()[-3000:]}")
    (alarm,) = operator_rows(h)
    assert alarm["event_id"] == "SERVICE_NOT_CONSUMING"
    assert alarm["user_message"].startswith(
        "nova-conductor has not consumed its queue conductor since ")
    assert "Requests waiting: 1." in alarm["user_message"]
    assert cloud.server(server_id)["status"] == "BUILD"
    assert h.openstack("demo", "list") == []  # never the owner's

    conf = ["--config-file", str(cloud.conf)]
    cloud._start("nova-conductor", [cloud.venv.bin("nova-conductor"), *conf]).wait_for(
        lambda: vhost.consumed("conductor"), "consuming its RPC queue")
    services.wait_until(lambda: len(operator_rows(h)) >= 2, 90,
                        f"the follow-up\n{h.listener.log()[-3000:]}")
    back = operator_rows(h)[1]
    assert back["event_id"] == "SERVICE_CONSUMING_AGAIN"
    assert back["parent_id"] == alarm["id"]
    cloud.wait_status(server_id, "ERROR")  # no compute host: the usual failure
    services.wait_until(lambda: any(r["project_id"] == "demo" for r in h.listener.rows()),
                        60, "the owner's message")
