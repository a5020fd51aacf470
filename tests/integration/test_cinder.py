"""herald beside real Cinder 29 (PyPI), as it runs in a cloud that never heard of herald.

Cinder keeps oslo's RabbitMQ defaults: its ``openstack`` exchange is
transient. herald must never stop it from starting (it once did, by
declaring that exchange durable), whichever starts first and across a
broker restart, and Cinder's failures must reach their owner: the spec's
own test, "Attempt creation of a TOO LARGE volume and verify appropriate
scheduling error message is created".
"""

from __future__ import annotations

import pytest

from tests import services
from tests.integration.cinder import CAPACITY_GB, Cinder

pytestmark = [pytest.mark.integration, pytest.mark.rabbit, pytest.mark.postgresql,
              pytest.mark.slow]

SHARED = ["notifications"]  # where cinder publishes its notifications


@pytest.fixture
def cinder(cinder_venv, vhost, databases, tmp_path):
    c = Cinder(cinder_venv, vhost, databases, tmp_path)
    yield c
    c.stop()


def no_refusal(cinder: Cinder) -> None:
    text = cinder.logs_text()
    assert "PRECONDITION_FAILED" not in text and "inequivalent arg" not in text, text


def check_one_message(herald, cinder: Cinder, volume_id: str, request_id: str,
                      event_id: str, text: str, cinder_event: str) -> dict:
    """Exactly one herald message about the volume, for its owner, the one
    Cinder itself recorded for that request; readable with both clients;
    another project sees nothing; nothing quarantined."""
    herald.listener.wait_for_outcomes(1, 0)
    (row,) = herald.listener.rows()
    assert (row["project_id"], row["event_id"], row["resource_type"], row["resource_uuid"]) == (
        "demo", event_id, "VOLUME", volume_id)
    assert row["user_message"].startswith(text), row["user_message"]
    theirs = [m for m in cinder.messages() if m["resource_uuid"] == volume_id
              and m["event_id"] == cinder_event]
    assert len(theirs) == 1, cinder.messages()
    assert row["request_id"] == theirs[0]["request_id"] == request_id
    assert herald.listener.rejected() == []

    (listed,) = herald.openstack("demo", "list")
    assert (listed["ID"], listed["Resource UUID"], listed["Request ID"], listed["Event ID"]) == (
        row["id"], volume_id, request_id, event_id)
    assert listed["User Message"] == row["user_message"]
    assert row["id"] in herald.cinder("demo", "message-list")
    shown = herald.cinder("demo", "message-show", row["id"])
    assert request_id in shown and volume_id in shown
    assert herald.openstack("other", "list") == []
    return row


def test_herald_first_then_cinder_at_oslos_defaults(herald, cinder, vhost):
    h = herald(["openstack"], SHARED).start()
    assert vhost.entity("exchanges", "openstack") is None  # herald created nothing of Cinder's
    assert "The exchange 'openstack' does not exist" in h.listener.log()

    cinder.start()  # would fail with PRECONDITION_FAILED on a durable 'openstack'
    no_refusal(cinder)
    assert vhost.entity("exchanges", "openstack")["durable"] == "false"  # Cinder's own
    h.listener.wait_log("The exchange 'openstack' exists now")

    volume_id, request_id = cinder.create_volume(1)  # no volume service: no back end
    cinder.wait_status(volume_id, "error")
    check_one_message(h, cinder, volume_id, request_id, "VOLUME_NO_VALID_BACKEND",
                      f"The creation of volume {volume_id} failed: no storage back end",
                      "VOLUME_VOLUME_001_003")
    # herald's own queue is durable; Cinder's topic queue is as Cinder made it
    assert vhost.entity("queues", h.listener.shared_queue)["durable"] == "true"
    assert vhost.entity("queues", "notifications.error")["durable"] == "false"


def test_cinder_first_then_herald(herald, cinder, vhost):
    cinder.start()
    h = herald(["openstack"], SHARED).start()
    assert "The exchange 'openstack' does not exist" not in h.listener.log()
    volume_id, request_id = cinder.create_volume(2)
    cinder.wait_status(volume_id, "error")
    check_one_message(h, cinder, volume_id, request_id, "VOLUME_NO_VALID_BACKEND",
                      f"The creation of volume {volume_id} failed", "VOLUME_VOLUME_001_003")
    no_refusal(cinder)


@pytest.mark.fault
def test_a_broker_restart_in_which_herald_reconnects_first(herald, cinder, vhost):
    """RabbitMQ restarts; Cinder is paused meanwhile (SIGSTOP), so herald is
    certainly first on the new broker, where Cinder's transient exchange is
    gone. Cinder then reconnects and must work, and its failures must still
    reach herald."""
    cinder.start()
    h = herald(["openstack"], SHARED).start()
    for service in cinder.processes.values():
        service.pause()
    try:
        services.stop_rabbitmq()
        services.start_rabbitmq()
        h.listener.wait_log("Consuming", count=2, timeout=120)  # reconnected
        h.listener.wait_log("The exchange 'openstack' does not exist")
        assert vhost.entity("exchanges", "openstack") is None  # still not created by herald
    finally:
        for service in cinder.processes.values():
            service.resume()
    cinder.processes["cinder-scheduler"].wait_for(
        lambda: vhost.consumed("cinder-scheduler"), "consuming its RPC queue again")
    h.listener.wait_log("The exchange 'openstack' exists now")
    no_refusal(cinder)
    assert vhost.entity("exchanges", "openstack")["durable"] == "false"

    volume_id, request_id = cinder.create_volume(1)
    cinder.wait_status(volume_id, "error")
    check_one_message(h, cinder, volume_id, request_id, "VOLUME_NO_VALID_BACKEND",
                      f"The creation of volume {volume_id} failed", "VOLUME_VOLUME_001_003")
    assert h.listener.alive()


def test_an_extend_beyond_the_back_end_capacity(herald, cinder, vhost):
    """A volume service (cinder's NFS driver on a CAPACITY_GB share) takes a
    1 GB volume; extending it beyond the share fails at the scheduler, and
    the volume stays usable at its size."""
    cinder.start()
    cinder.start_volume()
    h = herald(["openstack"], SHARED).start()
    volume_id, _ = cinder.create_volume(1)
    cinder.wait_status(volume_id, "available")
    request_id = cinder.extend(volume_id, CAPACITY_GB * 3)
    services.wait_until(lambda: any(m["event_id"] == "VOLUME_VOLUME_007_003"
                                    for m in cinder.messages()), 60, "Cinder's own message")
    cinder.wait_status(volume_id, "available")
    assert cinder.volume(volume_id)["size"] == 1
    check_one_message(h, cinder, volume_id, request_id, "VOLUME_NO_VALID_BACKEND",
                      f"The extension of volume {volume_id} failed: no storage back end",
                      "VOLUME_VOLUME_007_003")
    no_refusal(cinder)
