import logging
import pathlib
import subprocess
import sys

import pytest

from listener import config, opts

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_herald_option_has_help():
    from listener.watch import credentials

    for group, options in opts.list_opts():
        for opt in options:
            if group == credentials.GROUP and opt not in credentials.OPTS:
                continue  # keystoneauth1's own options, worded by keystoneauth1
            assert opt.help and len(opt.help) > 20, (group, opt.name)


def test_sample_config_is_current(tmp_path):
    """etc/herald/herald.conf.sample is generated, never hand-edited.

    In a subprocess: the generator's defaults hook changes oslo's option
    objects, which is right in the generator and wrong in this process.
    """
    out = tmp_path / "sample"
    subprocess.run([sys.executable, "-c", "from oslo_config import generator; generator.main()",
                    "--config-file", str(ROOT / "etc/herald/herald-config-generator.conf"),
                    "--output-file", str(out)], check=True, cwd=ROOT, timeout=120)
    assert out.read_text() == (ROOT / "etc/herald/herald.conf.sample").read_text(), \
        "run: tox -e genconfig"


def test_sample_policy_is_current(tmp_path):
    """etc/herald/policy.yaml.sample is oslopolicy-sample-generator's output."""
    out = tmp_path / "policy"
    subprocess.run([sys.executable, "-c", "from oslo_policy import generator; "
                    "generator.generate_sample()",
                    "--config-file", str(ROOT / "etc/herald/herald-policy-generator.conf"),
                    "--output-file", str(out)], check=True, cwd=ROOT, timeout=120)
    assert out.read_text() == (ROOT / "etc/herald/policy.yaml.sample").read_text(), \
        "run: tox -e genpolicy"


def test_sample_shows_herald_defaults_for_library_options():
    sample = (ROOT / "etc/herald/herald.conf.sample").read_text()
    assert "#rabbit_qos_prefetch_count = 1000\n" in sample
    assert "#amqp_durable_queues = false\n" in sample  # oslo's, as the services have it


def test_daemon_defaults_do_not_touch_oslos_option_objects():
    from oslo_messaging._drivers import impl_rabbit
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    assert conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count == 1000
    original = [o for o in impl_rabbit.rabbit_opts if o.dest == "rabbit_qos_prefetch_count"]
    assert original[0].default == 0


def test_secrets_are_never_logged(caplog):
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    conf.set_override("transport_url", "rabbit://user:TOPSECRET1@h:5672/")
    conf.set_override("connection", "postgresql://u:TOPSECRET2@h/db", group="database")
    with caplog.at_level(logging.DEBUG):
        conf.log_opt_values(logging.getLogger("t"), logging.DEBUG)
    assert "TOPSECRET" not in caplog.text
    assert "transport_url" in caplog.text


@pytest.mark.parametrize("module", ["listener", "manage", "emit"])
def test_help_reads_like_a_man_page(module):
    out = subprocess.run([sys.executable, "-m", f"listener.cmd.{module}", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "exit status:\n  0 " in out.stdout  # sections keep their layout
    assert "Eventlet is deprecated" not in out.stderr
    if module == "listener":
        for section in ("processes:", "files:", "signals:", "  SIGTERM", "  SIGHUP"):
            assert section in out.stdout


def test_herald_commands_select_threading_and_never_patch():
    """What herald's own processes choose (importing listener alone chooses
    nothing: tests/functional/test_emitter.py)."""
    code = ("import listener.cmd, oslo_messaging, sys; "
            "from oslo_service import backend; "
            "ev = sys.modules.get('eventlet'); "
            "print(backend.get_backend_type().value, "
            "bool(ev and ev.patcher.is_monkey_patched('socket')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.split() == ["threading", "False"], out.stderr


def test_the_dashboards_default_policies_are_current():
    """Horizon decides what to show with herald-api's own defaults."""
    from herald_dashboard import default_policies
    assert default_policies.OUTPUT.read_text() == default_policies.dump(), "run: tox -e genpolicy"
