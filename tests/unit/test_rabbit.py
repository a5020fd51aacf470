import itertools
import ssl

import pytest
from oslo_messaging._drivers import impl_rabbit

from collector.exceptions import ConfigurationError
from listener import config, intake, rabbit


@pytest.fixture
def mconf():
    c = config.make_conf()
    c([], project="herald", default_config_files=[], default_config_dirs=[])
    c.set_override("transport_url", "rabbit://guest:guest@127.0.0.1:5672/")
    return c


@pytest.mark.parametrize("ha, quorum, limit, length, size", [
    combo for combo in itertools.product([False, True], [False, True], [0, 5], [0, 100], [0, 4096])
    if not (combo[0] and combo[1])])
def test_queue_arguments_equal_oslos(mconf, ha, quorum, limit, length, size):
    """Same arguments as oslo's topic consumers and notifiers, or RabbitMQ
    refuses one side with PRECONDITION_FAILED."""
    g = "oslo_messaging_rabbit"
    for name, value in [("rabbit_ha_queues", ha), ("rabbit_quorum_queue", quorum),
                        ("rabbit_quorum_delivery_limit", limit),
                        ("rabbit_quorum_max_memory_length", length),
                        ("rabbit_quorum_max_memory_bytes", size)]:
        mconf.set_override(name, value, group=g)
    r = mconf.oslo_messaging_rabbit
    theirs = impl_rabbit._get_queue_arguments(
        r.rabbit_ha_queues, 0, r.rabbit_quorum_queue,
        impl_rabbit.QuorumMemConfig(limit, length, size), False)
    assert rabbit.queue_arguments(r) == theirs


def test_quorum_and_ha_together_is_an_error(mconf):
    mconf.set_override("rabbit_ha_queues", True, group="oslo_messaging_rabbit")
    mconf.set_override("rabbit_quorum_queue", True, group="oslo_messaging_rabbit")
    with pytest.raises(ConfigurationError):
        rabbit.settings(mconf)


def test_herald_defaults_differ_from_oslos_where_it_matters(mconf):
    """Only the prefetch: herald publishes (herald-emit, the messaging
    dispatcher) with oslo's own defaults, like the services it joins."""
    s = rabbit.settings(mconf)
    assert s.prefetch == 1000 and s.durable is False
    assert s.urls == ["amqp://guest:guest@127.0.0.1:5672/"]


def test_quorum_implies_durable(mconf):
    mconf.set_override("amqp_durable_queues", False, group="oslo_messaging_rabbit")
    mconf.set_override("rabbit_quorum_queue", True, group="oslo_messaging_rabbit")
    assert rabbit.settings(mconf).durable is True


def test_several_hosts_vhost_and_odd_credentials(mconf):
    mconf.set_override("transport_url",
                       "rabbit://u1:p%40ss@h1:5671,u2:x@[fd00::2]:5672/my%2Fvhost")
    s = rabbit.settings(mconf)
    assert s.urls == ["amqp://u1:p%40ss@h1:5671/my%2Fvhost",
                      "amqp://u2:x@[fd00::2]:5672/my%2Fvhost"]
    assert "p%40ss" not in s.describe() and "h1" in s.describe()


def test_notification_transport_wins(mconf):
    mconf.set_override("transport_url", "rabbit://a:b@notify-host:5672/",
                       group="oslo_messaging_notifications")
    assert rabbit.settings(mconf).urls[0].startswith("amqp://a:b@notify-host")


def test_tls_like_oslo(mconf):
    g = "oslo_messaging_rabbit"
    mconf.set_override("ssl", True, group=g)
    assert rabbit.settings(mconf).ssl is True
    mconf.set_override("ssl_ca_file", "/etc/ssl/ca.pem", group=g)
    mconf.set_override("ssl_cert_file", "/etc/ssl/c.pem", group=g)
    mconf.set_override("ssl_key_file", "/etc/ssl/k.pem", group=g)
    mconf.set_override("ssl_version", "TLSv1_2", group=g)
    params = rabbit.settings(mconf).ssl
    assert params == {"ca_certs": "/etc/ssl/ca.pem", "cert_reqs": ssl.CERT_REQUIRED,
                      "certfile": "/etc/ssl/c.pem", "keyfile": "/etc/ssl/k.pem",
                      "server_hostname": "127.0.0.1", "ssl_version": ssl.PROTOCOL_TLSv1_2}
    mconf.set_override("ssl_version", "SSLv2", group=g)
    with pytest.raises(ConfigurationError, match="ssl_version"):
        rabbit.settings(mconf)


def test_kombu_intake_needs_rabbit(mconf):
    mconf.set_override("transport_url", "kafka://k1:9092/")
    assert intake.choose(mconf) == "oslo"
    with pytest.raises(ConfigurationError, match="intake = oslo"):
        rabbit.settings(mconf)


def test_choose(mconf):
    assert intake.choose(mconf) == "kombu"
    mconf.set_override("intake", "oslo", group="listener")
    assert intake.choose(mconf) == "oslo"
    mconf.set_override("transport_url", None)
    mconf.set_override("intake", "auto", group="listener")
    with pytest.raises(ConfigurationError, match="no transport"):
        intake.choose(mconf)


def test_bindings_follow_oslo_naming(mconf):
    mconf.set_override("shared_topics", [], group="listener")
    mconf.set_override("topics", ["t1", "t2"], group="listener")
    mconf.set_override("exchanges", ["nova", "cinder"], group="listener")
    mconf.set_override("priorities", ["info", "error"], group="listener")
    b = intake.bindings(mconf)
    assert len(b) == 8
    assert intake.Binding("cinder", "t2.error", "t2.error", failures=True) in b
    assert intake.Binding("cinder", "t2.info", "t2.info") in b
    mconf.set_override("pool", "herald-pool", group="listener")
    assert {x.queue for x in intake.bindings(mconf)} == {"herald-pool", "herald-pool.failures"}
    assert {x.routing_key for x in intake.bindings(mconf)} == {
        "t1.info", "t1.error", "t2.info", "t2.error"}


def test_shared_topics_are_read_through_herald_own_queue(mconf):
    """ceilometer reads notifications.info: herald binds its own queue to
    the same keys and never consumes the topic-named one."""
    mconf.set_override("topics", ["user_messages"], group="listener")
    mconf.set_override("shared_topics", ["notifications", "versioned_notifications"],
                       group="listener")
    mconf.set_override("exchanges", ["openstack", "nova"], group="listener")
    mconf.set_override("priorities", ["info", "error"], group="listener")
    b = intake.bindings(mconf)
    shared = [x for x in b if "notifications" in x.routing_key]
    assert len(shared) == 8 and {x.queue for x in shared} == {"herald", "herald.failures"}
    # failures reach herald through a queue of their own, read first
    assert intake.Binding("nova", "herald.failures", "versioned_notifications.error", own=True,
                          failures=True) in shared
    assert intake.Binding("nova", "herald", "versioned_notifications.info", own=True) in shared
    assert intake.Binding("nova", "herald", "versioned_notifications.error",
                          own=True) in intake.replaced_bindings(mconf)
    assert intake.Binding("openstack", "user_messages.error", "user_messages.error",
                          failures=True) in b
    assert not any(x.queue.startswith("notifications") for x in b)
    # herald's own topic queues are the services' Notifiers' (listener.topology)
    assert intake.Binding("openstack", "user_messages.info", "user_messages.info",
                          own=False) in b
    mconf.set_override("pool", "herald-pool", group="listener")
    assert intake.Binding("openstack", "herald-pool", "user_messages.info",
                          own=True) in intake.bindings(mconf)
    assert intake.Binding("openstack", "herald-pool.failures", "user_messages.error",
                          own=True, failures=True) in intake.bindings(mconf)
    mconf.set_override("shared_queue", "herald-eu", group="listener")
    assert {x.queue for x in intake.bindings(mconf) if "notifications" in x.routing_key} == {
        "herald-eu", "herald-eu.failures"}
    # failure_priorities empty: one queue for every priority, as before
    mconf.set_override("failure_priorities", [], group="listener")
    assert {x.queue for x in intake.bindings(mconf) if "notifications" in x.routing_key} == {
        "herald-eu"}
    assert intake.replaced_bindings(mconf) == []
    mconf.set_override("shared_topics", ["user_messages"], group="listener")
    with pytest.raises(ConfigurationError, match="both topics and shared_topics"):
        intake.bindings(mconf)


def test_failover_rotation_and_display(mconf):
    mconf.set_override("transport_url", "rabbit://u:secret@h1:5672,u:secret@h2:5672/")
    s = rabbit.settings(mconf)
    assert [s.pick(i) for i in range(3)] == [s.urls[0], s.urls[1], s.urls[0]]
    assert s.display(s.urls[1]) == "amqp://u:**@h2:5672//"
    mconf.set_override("kombu_failover_strategy", "shuffle", group="oslo_messaging_rabbit")
    s = rabbit.settings(mconf)
    assert {s.pick(0) for _ in range(50)} == set(s.urls)
