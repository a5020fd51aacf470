"""The emitter inside a service's process, and herald-emit with the event model.

A service imports ``listener.emitter`` after choosing its own oslo.service
backend -- eventlet for most OpenStack services, after monkey-patching --
so importing it must choose nothing. Each case runs in a fresh interpreter
against the real RabbitMQ and reads back what was published.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import textwrap
import uuid

import kombu
import pytest
import sqlalchemy as sa

from storage.tables import messages, provision_steps
from tests import services

pytestmark = pytest.mark.rabbit
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"

SERVICE = textwrap.dedent("""\
    import sys
    mode, url, exchange, topic, vol = sys.argv[1:6]
    if mode == "eventlet":  # as nova and cinder start
        import eventlet
        eventlet.monkey_patch()
    from oslo_service import backend
    backend.init_backend(getattr(backend.BackendType, mode.upper()))
    import oslo_messaging  # the service imports oslo.messaging before herald
    from oslo_config import cfg
    from oslo_context.context import RequestContext
    from oslo_messaging import opts

    from listener.emitter import Emitter

    conf = cfg.ConfigOpts()
    for group, o in opts.list_opts():
        conf.register_opts(o, group=group)
    conf([], project="service", default_config_files=[])
    conf.set_override("control_exchange", exchange)
    conf.set_override("amqp_durable_queues", True, group="oslo_messaging_rabbit")
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    emitter = Emitter(transport, "volume.host-a", topic=topic)
    parent = emitter.emit(RequestContext(project_id="p1"), "VOLUME_DELETE_FAILED",
                          {"volume_id": vol, "reason": "in_use"})
    child = emitter.emit(RequestContext(project_id="p1"), "VOLUME_ATTACH_REVERTED",
                         {"volume_id": vol, "instance_id": vol}, parent_id=parent.id)
    transport.cleanup()
    print(parent.id, child.id, backend.get_backend_type().value)
    """)


@pytest.mark.parametrize("mode", ["eventlet", "threading"])
def test_the_emitter_works_in_a_service_process_of_either_backend(mode):
    if not services.port_open(5672):
        services.unavailable("RabbitMQ on 127.0.0.1:5672")
    token = secrets.token_hex(4)
    exchange, topic = f"emb_ex_{token}", f"emb_{token}"
    try:
        result = subprocess.run([sys.executable, "-c", SERVICE, mode, services.RABBIT_URL,
                                 exchange, topic, VOL], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        assert "BackendAlreadySelected" not in result.stderr
        parent_id, child_id, backend = result.stdout.split()
        assert backend == mode  # the service's choice stands
        got = []
        with kombu.Connection(services.AMQP_URL) as conn:
            channel = conn.channel()
            for queue in (f"{topic}.error", f"{topic}.warn"):
                message = channel.basic_get(queue, no_ack=True)
                got.append(json.loads(message.body))
        payloads = {m["payload"]["event_id"]: m["payload"] for m in got}
        assert payloads["VOLUME_DELETE_FAILED"]["id"] == parent_id
        assert payloads["VOLUME_ATTACH_REVERTED"]["id"] == child_id
        assert payloads["VOLUME_ATTACH_REVERTED"]["parent_id"] == parent_id
        assert {m["_context_project_id"] for m in got} == {"p1"}
    finally:
        with kombu.Connection(services.AMQP_URL) as conn:
            channel = conn.channel()
            for priority in ("error", "warn"):
                channel.queue_delete(f"{topic}.{priority}")
            channel.exchange_delete(exchange)


def test_herald_emit_sets_the_event_model_fields(herald):
    h = herald("sqlite").start()
    cluster = str(uuid.uuid4())
    bin_emit = [sys.executable, "-m", "listener.cmd.emit", "--config-file", str(h.conf_path)]

    def emit(*args):
        result = subprocess.run([*bin_emit, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()[1].rstrip(":")

    parent = emit("CLUSTER_PROVISIONED", "--project-id", "p1", "--resource-uuid", cluster,
                  "--param", f"cluster_id={cluster}")
    child = emit("CLUSTER_INSTANCE_READY", "--project-id", "p1", "--resource-uuid", cluster,
                 "--param", "instance_name=node-1", "--param", f"cluster_id={cluster}",
                 "--parent-id", parent, "--step-name", "LAUNCH_INSTANCES", "--step-type",
                 "creating", "--step-completed", "1", "--step-total", "3")
    given_root = str(uuid.uuid4())
    third = emit("CLUSTER_PROVISIONED", "--project-id", "p1", "--resource-uuid", cluster,
                 "--param", f"cluster_id={cluster}", "--root-id", given_root,
                 "--parent-id", child, "--id", str(uuid.uuid4()))
    h.wait_for_outcomes(3, 0)
    with h.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(messages))}
        steps = conn.execute(sa.select(provision_steps)).all()
    assert rows[child].parent_id == parent and rows[child].root_id == parent
    assert rows[third].parent_id == child and rows[third].root_id == given_root
    assert [(s.step_name, s.completed, s.total) for s in steps] == [("LAUNCH_INSTANCES", 1, 3)]
    assert rows[child].step_id == steps[0].id

    incomplete = subprocess.run([*bin_emit, "CLUSTER_PROVISIONED", "--project-id", "p1",
                                 "--param", f"cluster_id={cluster}", "--step-name",
                                 "LAUNCH_INSTANCES"], capture_output=True, text=True, timeout=60)
    assert incomplete.returncode == 2
    assert incomplete.stderr.strip() == ("herald-emit: a step needs --step-name, --step-type, "
                                         "--step-completed and --step-total")
    assert h.stop() == 0


LOSS = textwrap.dedent("""\
    import sys, time
    url, exchange, durable = sys.argv[1], sys.argv[2], sys.argv[3] == "durable"
    from oslo_service import backend
    backend.init_backend(backend.BackendType.THREADING)
    import oslo_messaging
    from oslo_config import cfg
    from oslo_context.context import RequestContext
    from oslo_messaging import opts

    from collector.exceptions import EmitError
    from listener.emitter import Emitter

    conf = cfg.ConfigOpts()
    for group, o in opts.list_opts():
        conf.register_opts(o, group=group)
    conf([], project="service", default_config_files=[])
    conf.set_override("control_exchange", exchange)
    conf.set_override("amqp_durable_queues", durable, group="oslo_messaging_rabbit")
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    emitter = Emitter(transport, "volume.host-a", topic=exchange, timeout=15)
    try:
        m = emitter.emit(RequestContext(project_id="p1"), "VOLUME_DELETE_FAILED",
                         {"volume_id": "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20",
                          "reason": "in_use"})
        print("published", m.id)
    except EmitError as exc:
        print(type(exc).__name__, exc.message.id, exc)
    """)


def lose(url, exchange, durable):
    result = subprocess.run([sys.executable, "-c", LOSS, url, exchange, durable],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("where", ["no broker listening", "a refused declaration"])
def test_the_emitter_never_reports_a_lost_message_as_sent(where):
    """An oslo Notifier logs and returns; the emitter raises EmitError."""
    if not services.port_open(5672):
        services.unavailable("RabbitMQ on 127.0.0.1:5672")
    exchange = f"emloss_{secrets.token_hex(4)}"
    if where == "no broker listening":
        away = f"rabbit://guest:guest@127.0.0.1:{services.free_port()}/"
        out = lose(away, exchange, "transient")
    else:  # the exchange exists durable; this service declares it transient
        with kombu.Connection(services.AMQP_URL) as conn:
            conn.channel().exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        try:
            out = lose(services.RABBIT_URL, exchange, "transient")
        finally:
            with kombu.Connection(services.AMQP_URL) as conn:
                conn.channel().exchange_delete(exchange)
    assert out.startswith("EmitError ") and "not published" in out, out


def test_herald_emit_says_not_published_when_the_broker_is_away(herald, tmp_path):
    h = herald("sqlite")
    conf = tmp_path / "away.conf"
    conf.write_text(h.conf_path.read_text().replace(
        services.RABBIT_URL, f"rabbit://guest:guest@127.0.0.1:{services.free_port()}/"))
    result = subprocess.run([sys.executable, "-m", "listener.cmd.emit", "--config-file",
                             str(conf), "--timeout", "20", "VOLUME_DELETE_FAILED",
                             "--project-id", "p1", "--param", f"volume_id={VOL}",
                             "--param", "reason=in_use"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert "herald-emit: not published" in result.stderr and "published " not in result.stdout
