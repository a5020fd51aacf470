"""listener/service.py without a broker: start-up checks, supervision, stop, reload."""

from __future__ import annotations

import signal
import threading

import pytest

from collector import catalogue, rulecheck
from collector.exceptions import ConfigurationError
from listener import config, service


@pytest.fixture
def lconf(tmp_path):
    c = config.make_conf()
    c([], project="herald", default_config_files=[], default_config_dirs=[])
    c.set_override("transport_url", "rabbit://guest:guest@127.0.0.1:5672/")
    c.set_override("connection", f"sqlite:///{tmp_path}/h.sqlite", group="database")
    (tmp_path / "h.sqlite").touch()
    return c


def test_preflight_builds_every_enabled_dispatcher_once(lconf, tmp_path, caplog):
    lconf.set_override("event_dispatchers", ["database", "jsonfile"])
    lconf.set_override("path", str(tmp_path / "out" / "m.jsonl"), group="dispatcher_jsonfile")
    cat = service.preflight(lconf)
    assert len(cat) > 30 and (tmp_path / "out").is_dir()
    (tmp_path / "blocker").write_text("a file")
    lconf.set_override("path", str(tmp_path / "blocker" / "m.jsonl"),
                       group="dispatcher_jsonfile")
    with pytest.raises(ConfigurationError, match="cannot start dispatcher jsonfile"):
        service.preflight(lconf)


@pytest.mark.parametrize("url, message", [
    ("mysql+mysqldb://root@127.0.0.1/test", "the mysql\\+mysqldb driver is not installed"),
    ("nonsense", "is not a database URL"),
    ("sqlite:////nonexistent-dir/h.sqlite", "SQLite database /nonexistent-dir/h.sqlite does "
                                            "not exist"),
])
def test_preflight_refuses_a_database_url_that_cannot_work(lconf, url, message):
    lconf.set_override("connection", url, group="database")
    with pytest.raises(ConfigurationError, match=message):
        service.preflight(lconf)


def test_a_worker_refusing_its_configuration_exits_ex_config(lconf):
    class Refusing(service._GracefulService):
        def work(self):
            raise ConfigurationError("cannot work")

    worker = Refusing(0, lconf)
    with pytest.raises(SystemExit) as info:
        worker.run()
    assert info.value.code == service.EX_CONFIG
    assert worker.done.is_set()  # terminate() would not wait forever


def test_supervision_stops_the_master_once_on_ex_config(monkeypatch):
    sent = []
    monkeypatch.setattr(service.os, "kill", lambda pid, sig: sent.append(sig))
    s = service.Supervision()
    s.on_dead_worker("svc", 0, 1)  # an ordinary crash: cotyledon restarts it
    s.on_dead_worker("svc", 0, -9)
    assert not s.fatal and sent == []
    s.on_dead_worker("svc", 0, service.EX_CONFIG)
    s.on_dead_worker("svc", 1, service.EX_CONFIG)
    assert s.fatal and sent == [signal.SIGTERM]


def test_terminate_waits_for_the_batch_in_hand(lconf):
    finished = threading.Event()
    release = threading.Event()

    class Busy(service._GracefulService):
        def work(self):
            self.stop.wait()
            release.wait(5)
            finished.set()

    worker = Busy(0, lconf)
    runner = threading.Thread(target=worker.run)
    runner.start()
    stopper = threading.Thread(target=worker.terminate)
    stopper.start()
    stopper.join(0.2)
    assert stopper.is_alive() and not finished.is_set()  # still finishing its batch
    release.set()
    stopper.join(5)
    runner.join(5)
    assert finished.is_set() and not stopper.is_alive()


def test_reload_keeps_the_previous_rules_when_the_new_file_is_broken(lconf, tmp_path, caplog):
    rules = tmp_path / "rules.yaml"
    rules.write_text("")
    lconf.set_override("rules_file", str(rules), group="mapping")
    worker = service.ListenerService(0, lconf)

    class Pipe:
        swapped = []

        def set_catalogue(self, cat, rules):
            self.swapped.append(len(rules))

    worker.pipeline = Pipe()
    worker.reload()
    rules.write_text("- name: x\n  event_type: a.b\n  event_id: NOPE\n  fields: {}\n")
    worker.reload()
    assert len(Pipe.swapped) == 1  # the broken file changed nothing
    lconf.clear_override("rules_file", group="mapping")
    assert Pipe.swapped == [len(rulecheck.load(lconf, catalogue.sanctioned()))]
    assert "keeping the previous catalogue and mapping rules" in caplog.text


def test_check_values_names_the_bad_option(tmp_path):
    f = tmp_path / "herald.conf"
    f.write_text("[listener]\nworkers = two\n")
    c = config.make_conf()
    c(["--config-file", str(f)], project="herald", default_config_files=[])
    with pytest.raises(ConfigurationError, match="invalid configuration: .*workers"):
        config.check_values(c)


def test_observe_many_equals_one_observation_each():
    import prometheus_client as p

    from listener.prometheus import observe_many

    values = [0.0, 0.01, 0.011, 0.3, 2.5, 7.0, 99999.0, 0.25]
    one, many = (p.Histogram(f"h_{name}", "x", registry=p.CollectorRegistry(),
                             buckets=(0.01, 0.25, 2.5, 60.0)) for name in ("one", "many"))
    for v in values:
        one.observe(v)
    observe_many(many, values)

    def samples(h):
        return [(s.name.split("_", 2)[-1], s.labels, s.value) for metric in h.collect()
                for s in metric.samples if not s.name.endswith("_created")]
    assert samples(one) == samples(many)


def test_a_driverless_url_without_any_driver_installed_says_what_to_install(lconf, monkeypatch):
    """Where neither PyMySQL nor mysqlclient is installed, mysql:// fails
    at start with the driver SQLAlchemy would have used, and the fix."""
    from storage import engine

    monkeypatch.setattr(engine, "_installed", lambda driver: False)
    lconf.set_override("connection", "mysql://root@127.0.0.1/test", group="database")
    with pytest.raises(ConfigurationError) as info:
        service.preflight(lconf)
    assert str(info.value) == (
        "[database] connection: the mysql driver is not installed (No module named "
        "'MySQLdb'); install herald[mysql] (PyMySQL) and write mysql+pymysql://")
