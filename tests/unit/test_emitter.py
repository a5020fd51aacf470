import threading

import oslo_messaging
import pytest
from oslo_context import context as oslo_context

from collector.exceptions import EmitError, EmitTimeout, HeraldError, InvalidNotification
from listener import config
from listener import emitter as emitter_mod
from listener.emitter import Emitter

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


class Transport:
    """The one method of an oslo Transport the emitter calls; it raises
    where a Notifier's driver would log and carry on."""

    def __init__(self, error=None, block=None):
        self.sent, self.error, self.block = [], error, block

    def _send_notification(self, target, ctxt, message, version, retry=None):
        if self.block is not None:
            self.block.wait()
        if self.error is not None:
            raise self.error
        self.sent.append((target.topic, ctxt, message, version, retry))


@pytest.fixture
def transport():
    return Transport()


@pytest.fixture
def emitter(transport):
    return Emitter(transport, "volume.host-a")


def test_emit_checks_then_publishes_with_the_level_priority(emitter, transport):
    m = emitter.emit(oslo_context.RequestContext(project_id="p1"), "VOLUME_RETYPE_COMPLETED",
                     {"volume_id": VOL, "volume_type": "ssd"}, resource_uuid=VOL)
    assert m.user_message == f"Volume {VOL} now has type ssd."
    ((topic, ctxt, message, version, retry),) = transport.sent
    assert topic == "user_messages.info" and version == 1.0 and retry == 2
    assert message["priority"] == "INFO" and message["event_type"] == "user_message.create"
    assert message["message_id"] == m.id  # a retry with id=m.id is stored once
    assert m.project_id == "p1" and ctxt["project_id"] == "p1"  # from the context
    assert "auth_token" not in ctxt or ctxt["auth_token"] is None  # redacted, as oslo does
    assert message["payload"] == {"event_id": "VOLUME_RETYPE_COMPLETED", "resource_uuid": VOL,
                                  "params": {"volume_id": VOL, "volume_type": "ssd"},
                                  "id": m.id}  # so that later events can name it as parent


def test_nothing_is_sent_when_the_check_fails(emitter, transport):
    with pytest.raises(InvalidNotification, match="unknown_event_id"):
        emitter.emit(oslo_context.RequestContext(project_id="p1"), "NO_SUCH_EVENT")
    # oslo.messaging drops a plain dict context, so its project cannot count
    with pytest.raises(InvalidNotification, match="missing_field"):
        emitter.emit({"project_id": "p1"}, "VOLUME_DELETE_FAILED",
                     {"volume_id": VOL, "reason": "in_use"})
    with pytest.raises(InvalidNotification, match="missing_field"):
        emitter.emit({}, "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    assert transport.sent == []


def test_payload_leaves_out_unset_fields():
    assert Emitter.payload("X", None, project_id="p", user_id=None) == {
        "event_id": "X", "params": {}, "project_id": "p"}


def test_a_child_carries_its_parent_and_the_root(emitter, transport):
    ctx = oslo_context.RequestContext(project_id="p1")
    root = emitter.emit(ctx, "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    child = emitter.emit(ctx, "VOLUME_RETYPE_COMPLETED", {"volume_id": VOL,
                                                          "volume_type": "ssd"}, parent=root)
    grandchild = emitter.emit(ctx, "VOLUME_RETYPE_COMPLETED",
                              {"volume_id": VOL, "volume_type": "hdd"}, parent=child)
    assert root.root_id == root.id
    assert (child.parent_id, child.root_id) == (root.id, root.id)
    assert (grandchild.parent_id, grandchild.root_id) == (child.id, root.id)
    sent = [n[2]["payload"] for n in transport.sent]
    assert sent[2]["parent_id"] == child.id and sent[2]["root_id"] == root.id


CTX = oslo_context.RequestContext(project_id="p1")
ARGS = ("VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})


def test_a_message_the_transport_refused_is_never_reported_sent():
    refused = oslo_messaging.MessageDeliveryFailure("Unable to connect to AMQP server")
    e = Emitter(Transport(error=refused), "volume.host-a")
    with pytest.raises(EmitError, match="MessageDeliveryFailure") as info:
        e.emit(CTX, *ARGS, id="6f1de4a2-1c4b-4d8e-9a56-0c1b2d3e4f50")
    assert isinstance(info.value, HeraldError)  # herald's one root
    assert info.value.message.id == "6f1de4a2-1c4b-4d8e-9a56-0c1b2d3e4f50"  # to retry with


def test_a_transport_that_never_answers_raises_after_the_timeout():
    release = threading.Event()
    e = Emitter(Transport(block=release), "volume.host-a", timeout=0.05)
    try:
        with pytest.raises(EmitTimeout, match="not confirmed within 0.05 s"):
            e.emit(CTX, *ARGS)
        for _ in range(emitter_mod.MAX_PENDING - 1):  # still stuck: they pile up, boundedly
            with pytest.raises(EmitTimeout):
                e.emit(CTX, *ARGS, timeout=0.01)
        with pytest.raises(EmitTimeout, match="earlier messages are still waiting"):
            e.emit(CTX, *ARGS, timeout=30)  # fails at once
    finally:
        release.set()


def test_the_real_oslo_transport_takes_what_the_emitter_sends():
    """The private call the emitter makes, on oslo's own fake driver."""
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    transport = oslo_messaging.get_notification_transport(conf, url="fake:/")
    try:
        m = Emitter(transport, "volume.host-a", driver="messagingv2").emit(CTX, *ARGS)
        assert m.event_id == "VOLUME_DELETE_FAILED"
    finally:
        transport.cleanup()


def test_only_oslo_wire_formats():
    with pytest.raises(ValueError, match="messaging, messagingv2"):
        Emitter(Transport(), "x", driver="test")
