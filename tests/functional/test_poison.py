"""Poison messages and redelivery storms, measured on the real broker.

A notification that kills the listener must not loop forever nor block the
ones behind it; one bad notification must never make a batch be delivered
again. Dispatches are counted by the ``recorder`` test plugin.
"""

from __future__ import annotations

import collections

import pytest

from collector import envelope
from tests import wire
from tests.functional import plugins

pytestmark = [pytest.mark.rabbit, pytest.mark.postgresql, pytest.mark.fault]

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


def body(message_id, resource="ok"):
    return wire.body_v2(wire.message(wire.payload(
        "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"},
        resource_uuid=resource), message_id=message_id))


def dispatchers(*names, max_attempts=3):
    lines = "".join(f"event_dispatchers = {n}\n" for n in names)
    return f"[DEFAULT]\n{lines}[collector]\nmax_delivery_attempts = {max_attempts}\n"


def test_a_notification_that_kills_the_listener_is_quarantined(herald, tmp_path, reliability):
    env = plugins.install(tmp_path / "plugins")
    h = herald("postgresql", extra=dispatchers("recorder", "crash", "database"))
    h.start(env=env)
    poison = body("poison", resource="poison-pill")
    h.publish_raw([body(f"before-{i}") for i in range(100)] + [poison]
                  + [body(f"after-{i}") for i in range(100)])
    h.wait_for_outcomes(stored=200, rejected=1, timeout=240)
    (rejected,) = h.rejected()
    assert (rejected["code"], rejected["dedupe_key"]) == ("poison", envelope.body_key(poison))
    assert "delivered 4 times" in rejected["detail"]
    crashes = h.log().count("exited with status 17")
    assert 3 <= crashes <= 4  # max_delivery_attempts, plus the first batch it was in
    dispatched = collections.Counter(plugins.recorded(env))
    innocent = {k: v for k, v in dispatched.items() if k != "poison"}
    assert max(innocent.values()) <= 2  # at most its first batch, then alone
    assert dispatched["poison"] == crashes  # never dispatched after quarantine
    ids = [r["message_id"] for r in h.rows()]
    assert len(ids) == len(set(ids)) == 200
    reliability("a notification that kills the listener (os._exit) among 200", {
        "published": 201, "stored": 200, "rejected": 1, "lost": 0, "duplicated": 0,
        "unexpected": 0}, crashes=crashes, max_dispatches_of_others=max(innocent.values()))
    assert h.alive()
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}


@pytest.mark.parametrize("intake", ["kombu", "oslo"])
def test_one_bad_notification_never_causes_redeliveries(herald, tmp_path, intake,
                                                        reliability):
    """oslo requeues every message of a batch when an endpoint asks to; herald
    only asks when the batch could not be committed, so a bad notification
    in a batch leaves every other one dispatched exactly once."""
    env = plugins.install(tmp_path / "plugins")
    h = herald("postgresql", intake=intake, extra=dispatchers("recorder", "database"))
    h.start(env=env)
    bodies = []
    for i in range(300):
        bodies.append(body(f"m-{i}"))
        if i % 100 == 50:
            bodies.append(wire.body_v1(wire.message(wire.payload("NOT_REVIEWED"),
                                                    message_id=f"bad-{i}")))
    h.publish_raw(bodies)
    h.wait_for_outcomes(stored=300, rejected=3)
    dispatched = collections.Counter(plugins.recorded(env))
    assert len(dispatched) == 300 and set(dispatched.values()) == {1}
    redelivered = sum(v - 1 for v in dispatched.values())
    reliability(f"3 invalid among 300, {intake} intake: redeliveries", {
        "published": 303, "stored": 300, "rejected": 3, "lost": 0, "duplicated": 0,
        "unexpected": 0}, redeliveries=redelivered)
    assert h.stop() == 0
    assert set(h.queue_depths().values()) == {0}


def test_test_plugins_exist_only_on_their_path(tmp_path):
    """The test dispatchers are a separate distribution, not part of herald."""
    import os
    import subprocess
    import sys
    code = "from collector import dispatcher; print(' '.join(dispatcher.available()))"
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    env = {**os.environ, **plugins.install(tmp_path / "p")}
    seen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env).stdout.split()
    assert "crash" not in plain and "database" in plain
    assert {"crash", "recorder", "database"} <= set(seen)
