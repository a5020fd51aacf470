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
import time

import pytest
import sqlalchemy as sa

from storage.tables import messages, watched_queues
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


def test_cinder_scheduler_stopped_with_sigstop(herald, cinder, vhost, capsys):
    """SIGSTOP: cinder-scheduler stays connected, with its consumer. What
    herald sees, in order: the create delivered to the stopped scheduler
    and held unacknowledged (oslo's prefetch is unlimited), so the queue
    reads 0 ready and 1 consumer, a healthy queue; then, once the broker
    drops the scheduler's connection for missed heartbeats (oslo's
    heartbeat_timeout_threshold, 60 s, as Cinder runs), the create ready
    again and no consumer, and the operator message. SIGCONT: the
    scheduler reconnects, herald writes the follow-up, and the create fails
    as it does without a volume service."""
    cinder.start()
    h = herald(["openstack"], ["notifications"], watch="""\
        interval = 0.5
        readings = 3
        no_consumer_time = 2
        """).start()

    def seen():
        with h.listener.engine.connect() as conn:
            return conn.execute(sa.select(watched_queues.c.messages, watched_queues.c.consumers)
                                .where(watched_queues.c.queue == "cinder-scheduler")
                                ).one_or_none()

    services.wait_until(lambda: seen() == (0, 1), 60, "herald reading the queue")
    scheduler = cinder.processes["cinder-scheduler"]
    scheduler.pause()
    stopped = time.monotonic()
    volume_id, _ = cinder.create_volume(1)
    history: list[tuple[float, object]] = []
    end = time.monotonic() + 300
    while time.monotonic() < end and not operator_rows(h):
        history.append((time.monotonic() - stopped, seen()))
        time.sleep(0.2)
    (alarm,) = operator_rows(h)
    found = time.monotonic() - stopped
    assert alarm["event_id"] == "SERVICE_NOT_CONSUMING"
    assert "Requests waiting: 1." in alarm["user_message"]
    healthy = [t for t, s in history if s == (0, 1)]
    dropped = [t for t, s in history if s == (1, 0)]
    assert healthy and dropped and max(healthy) < min(dropped)
    assert cinder.volume(volume_id)["status"] == "creating"
    with capsys.disabled():  # the figure docs/performance.md quotes
        print(f"\nSIGSTOP -> queue healthy until {max(healthy):.1f} s, create ready and no "
              f"consumer from {min(dropped):.1f} s, operator message at {found:.1f} s")

    scheduler.resume()
    services.wait_until(lambda: len(operator_rows(h)) >= 2, 120,
                        f"the follow-up\n{h.listener.log()[-3000:]}")
    assert operator_rows(h)[1]["event_id"] == "SERVICE_CONSUMING_AGAIN"
    cinder.wait_status(volume_id, "error")
