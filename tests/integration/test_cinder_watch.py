"""herald's watch beside real Cinder 29: cinder-scheduler killed, then back.

A create sent while no scheduler runs waits in the ``cinder-scheduler``
queue, and Cinder sends nothing about it. herald's watch tells the
operators (project ``_operators``), never the volume's owner; when the
scheduler is started again it consumes the waiting create, herald writes
the follow-up, and the create fails as it does without a volume service:
its owner gets the usual VOLUME_NO_VALID_BACKEND message.

The per-host queue ``cinder-scheduler.cinder-it`` is learned from Cinder's
own ``services`` table (PostgreSQL, where ``deleted`` is a boolean).
"""

from __future__ import annotations

import os
import signal

import pytest
import sqlalchemy as sa

from storage.tables import messages
from tests import services
from tests.integration.cinder import Cinder

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]


@pytest.fixture
def cinder(cinder_venv, vhost, databases, tmp_path):
    c = Cinder(cinder_venv, vhost, databases, tmp_path)
    yield c
    c.stop()


def operator_rows(h) -> list[dict]:
    with h.listener.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(messages).where(messages.c.project_id == "_operators")
            .order_by(messages.c.created_at))]


def test_cinder_scheduler_killed_then_restarted(herald, cinder, vhost):
    cinder.start()
    h = herald(["openstack"], ["notifications"], watch=f"""\
        interval = 0.5
        readings = 3
        no_consumer_time = 2
        service_databases = {cinder.db_url}
        learned_topics = cinder-scheduler
        learn_interval = 10
        """).start()
    h.listener.wait_log("Watching 1 per-host queue(s) learned from the services' databases: "
                        "cinder-scheduler.cinder-it", timeout=60)

    scheduler = cinder.processes.pop("cinder-scheduler")
    os.killpg(scheduler.proc.pid, signal.SIGKILL)  # no goodbye to the broker
    scheduler.stop()
    volume_id, _ = cinder.create_volume(1)
    services.wait_until(lambda: len(operator_rows(h)) >= 2, 90,
                        f"the operator messages\n{h.listener.log()[-3000:]}")
    alarms = operator_rows(h)
    texts = sorted(r["user_message"] for r in alarms)
    assert [r["event_id"] for r in alarms] == ["SERVICE_NOT_CONSUMING"] * 2
    assert texts[0].startswith(
        "cinder-scheduler has not consumed its queue cinder-scheduler since ")
    assert "no consumer is attached. Requests waiting: 1." in texts[0]
    assert texts[1].startswith("cinder-scheduler has not consumed its queue "
                               "cinder-scheduler.cinder-it since ")
    assert cinder.volume(volume_id)["status"] == "creating"
    # the owner reads nothing of it: the messages name services and hosts
    assert h.openstack("demo", "list") == []
    listing = h.listener.manage("services", "list")
    assert listing.returncode == 0 and listing.stdout.count("not_consuming") == 2

    cinder._start("cinder-scheduler").wait_for(
        lambda: vhost.consumed("cinder-scheduler"), "consuming its RPC queue")
    services.wait_until(lambda: len(operator_rows(h)) >= 4, 90,
                        f"the follow-ups\n{h.listener.log()[-3000:]}")
    rows = operator_rows(h)
    firsts, follow_ups = rows[:2], rows[2:]
    assert {r["event_id"] for r in follow_ups} == {"SERVICE_CONSUMING_AGAIN"}
    assert {r["parent_id"] for r in follow_ups} == {r["id"] for r in firsts}
    cinder.wait_status(volume_id, "error")  # no volume service: no back end
    services.wait_until(lambda: any(r["event_id"] == "VOLUME_NO_VALID_BACKEND"
                                    for r in h.listener.rows()), 60, "the owner's message")
    (owner,) = [r for r in h.listener.rows() if r["project_id"] == "demo"]
    assert owner["resource_uuid"] == volume_id
