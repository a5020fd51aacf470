"""herald-manage broker definitions: the services' exchanges exactly as oslo
declares them, herald's queue as herald declares it, and only its bindings."""

from __future__ import annotations

import json

import pytest

from listener import config, definitions, rabbit
from listener.cmd import manage


@pytest.fixture
def conf():
    c = config.make_conf()  # herald's options and oslo.messaging's
    c([], project="herald", default_config_files=[], default_config_dirs=[])
    return c


def configure(conf, **rabbit_opts):
    conf.set_override("transport_url", "rabbit://u:p@h1:5672,u:p@h2:5672/cloud")
    conf.set_override("exchanges", ["openstack", "nova"], group="listener")
    conf.set_override("shared_topics", ["notifications"], group="listener")
    conf.set_override("priorities", ["info", "error"], group="listener")
    for name, value in rabbit_opts.items():
        conf.set_override(name, value, group="oslo_messaging_rabbit")


def test_oslo_defaults_non_durable_exchanges_and_only_heralds_bindings(conf):
    configure(conf)
    doc = definitions.build(conf)
    assert doc["vhosts"] == [{"name": "cloud"}]
    assert [(e["name"], e["type"], e["durable"], e["auto_delete"]) for e in doc["exchanges"]] \
        == [("openstack", "topic", False, False), ("nova", "topic", False, False)]
    assert doc["queues"] == [{"name": "herald", "vhost": "cloud", "durable": True,
                              "auto_delete": False, "arguments": {}}]
    # herald's own topics (user_messages.*) go to the services' topic queues: not here
    assert sorted((b["source"], b["routing_key"]) for b in doc["bindings"]) == [
        ("nova", "notifications.error"), ("nova", "notifications.info"),
        ("openstack", "notifications.error"), ("openstack", "notifications.info")]
    assert {b["destination"] for b in doc["bindings"]} == {"herald"}
    assert "u:p" not in json.dumps(doc)  # no credentials in a file operators pass around


def test_as_the_services_declare_with_their_options(conf):
    configure(conf, rabbit_quorum_queue=True, amqp_auto_delete=False)
    doc = definitions.build(conf)
    assert {e["durable"] for e in doc["exchanges"]} == {True}  # oslo: quorum => durable
    assert doc["queues"][0]["arguments"] == rabbit.queue_arguments(conf.oslo_messaging_rabbit)
    assert doc["queues"][0]["arguments"]["x-queue-type"] == "quorum"


def test_the_command_writes_the_file(tmp_path, capsys):
    conf_file = tmp_path / "herald.conf"
    conf_file.write_text("[DEFAULT]\ntransport_url = rabbit://g:g@127.0.0.1:5672/\n"
                         "[oslo_messaging_rabbit]\namqp_durable_queues = true\n")
    out = tmp_path / "defs.json"
    assert manage.main(["--config-file", str(conf_file), "broker", "definitions",
                        "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["vhosts"] == [{"name": "/"}]
    assert doc["exchanges"][0]["name"] == "openstack" and doc["exchanges"][0]["durable"]
