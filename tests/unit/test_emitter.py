import oslo_messaging
import pytest
from oslo_context import context as oslo_context
from oslo_messaging.notify import _impl_test

from collector.exceptions import InvalidNotification
from listener import config
from listener.emitter import Emitter

VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"


@pytest.fixture
def emitter():
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    transport = oslo_messaging.get_notification_transport(conf, url="fake:/")
    _impl_test.reset()
    e = Emitter(transport, "volume.host-a", driver="test")
    yield e
    transport.cleanup()


def test_emit_checks_then_publishes_with_the_level_priority(emitter):
    m = emitter.emit(oslo_context.RequestContext(project_id="p1"), "VOLUME_RETYPE_COMPLETED",
                     {"volume_id": VOL, "volume_type": "ssd"}, resource_uuid=VOL)
    assert m.user_message == f"Volume {VOL} now has type ssd."
    (sent,) = _impl_test.NOTIFICATIONS
    ctxt, message, priority, _retry = sent
    assert priority == "INFO" and message["event_type"] == "user_message.create"
    assert m.project_id == "p1" and ctxt.project_id == "p1"  # from the context
    assert message["payload"] == {"event_id": "VOLUME_RETYPE_COMPLETED", "resource_uuid": VOL,
                                  "params": {"volume_id": VOL, "volume_type": "ssd"},
                                  "id": m.id}  # so that later events can name it as parent


def test_nothing_is_sent_when_the_check_fails(emitter):
    with pytest.raises(InvalidNotification, match="unknown_event_id"):
        emitter.emit(oslo_context.RequestContext(project_id="p1"), "NO_SUCH_EVENT")
    # oslo.messaging drops a plain dict context, so its project cannot count
    with pytest.raises(InvalidNotification, match="missing_field"):
        emitter.emit({"project_id": "p1"}, "VOLUME_DELETE_FAILED",
                     {"volume_id": VOL, "reason": "in_use"})
    with pytest.raises(InvalidNotification, match="missing_field"):
        emitter.emit({}, "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    assert _impl_test.NOTIFICATIONS == []


def test_payload_leaves_out_unset_fields():
    assert Emitter.payload("X", None, project_id="p", user_id=None) == {
        "event_id": "X", "params": {}, "project_id": "p"}


def test_a_child_carries_its_parent_and_the_root(emitter):
    ctx = oslo_context.RequestContext(project_id="p1")
    root = emitter.emit(ctx, "VOLUME_DELETE_FAILED", {"volume_id": VOL, "reason": "in_use"})
    child = emitter.emit(ctx, "VOLUME_RETYPE_COMPLETED", {"volume_id": VOL,
                                                          "volume_type": "ssd"}, parent=root)
    grandchild = emitter.emit(ctx, "VOLUME_RETYPE_COMPLETED",
                              {"volume_id": VOL, "volume_type": "hdd"}, parent=child)
    assert root.root_id == root.id
    assert (child.parent_id, child.root_id) == (root.id, root.id)
    assert (grandchild.parent_id, grandchild.root_id) == (child.id, root.id)
    sent = [n[1]["payload"] for n in _impl_test.NOTIFICATIONS]
    assert sent[2]["parent_id"] == child.id and sent[2]["root_id"] == root.id
