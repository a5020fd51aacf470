"""A real Horizon (PyPI) with herald's plugin, under uwsgi, and a real browser.

Horizon's settings module loads a top-level ``local.local_settings``: the
test's own, first on ``PYTHONPATH``. As an operator copies the plugin's
files into ``openstack_dashboard/local/enabled/`` and
``local/local_settings.d/``, the test's settings add the plugin's
``enabled/`` directory to that package and run its settings snippet; the
installed Horizon is left untouched. ``DEBUG`` lets uwsgi serve the static
files Horizon compresses on the first request.

The browser is Debian's headless Chromium, driven by selenium through
Debian's chromedriver (no driver download).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from pathlib import Path

from tests import services
from tests.integration.processes import Service, http_status
from tests.integration.venvs import ServiceVenv

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PAGE_SIZE = 5


def compile_translations(locale_dir: Path) -> None:
    """Every django.po to its .mo, as herald's setup.py does at build time."""
    from babel.messages import mofile, pofile

    for po in locale_dir.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as f:
            catalog = pofile.read_po(f, locale=po.parts[-3])
        with po.with_suffix(".mo").open("wb") as f:
            mofile.write_mo(f, catalog)


class Horizon:
    def __init__(self, venv: ServiceVenv, tmp: Path, keystone_url: str) -> None:
        self.venv = venv
        self.dir = tmp / "horizon"
        local = self.dir / "settings" / "local"
        local.mkdir(parents=True)
        (local / "__init__.py").write_text("")
        # the plugin alone on the path, not herald's other packages, with its
        # translations compiled as a build does (Django reads only .mo files)
        code = self.dir / "code"
        code.mkdir()
        shutil.copytree(REPO / "herald_dashboard", code / "herald_dashboard",
                        ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        compile_translations(code / "herald_dashboard" / "locale")
        plugin = REPO / "herald_dashboard"
        (local / "local_settings.py").write_text(textwrap.dedent(f"""\
            import os
            DEBUG = True
            SECRET_KEY = "herald-integration-test"
            ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
            OPENSTACK_KEYSTONE_URL = "{keystone_url}"
            OPENSTACK_API_VERSIONS = {{"identity": 3}}
            OPENSTACK_ENDPOINT_TYPE = "publicURL"
            SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
            CACHES = {{"default": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}}}
            STATIC_ROOT = "{self.dir}/static"
            MEDIA_ROOT = "{self.dir}/media"
            API_RESULT_PAGE_SIZE = {PAGE_SIZE}
            # what an operator does: the plugin's enabled files in local/enabled ...
            import openstack_dashboard.local.enabled as _enabled
            _enabled.__path__.append("{plugin}/enabled")
            # ... and its settings snippet in local/local_settings.d
            from openstack_dashboard.defaults import POLICY_FILES, DEFAULT_POLICY_FILES
            exec(open("{plugin}/local_settings.d/_90_herald.py").read())
            """))
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.service: Service | None = None

    def start(self) -> Horizon:
        self.service = Service("horizon", [
            self.venv.bin("uwsgi"), "--http", f"127.0.0.1:{self.port}",
            "--module", "openstack_dashboard.wsgi:application",
            "--pythonpath", str(self.dir / "settings"), "--pythonpath", str(self.dir / "code"),
            "--master", "--processes", "1", "--threads", "4", "--die-on-term", "--need-app",
            "--add-header", "Connection: close"], self.dir)
        self.service.wait_for(lambda: http_status(self.url + "/auth/login/") == 200,
                              "serving its login page", timeout=120)
        return self

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


class Browser:
    """Headless Chromium as root: no sandbox, no background networking (the
    machine's network is closed), a profile of its own."""

    def __init__(self, shots: Path) -> None:
        if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
            services.unavailable("Debian's chromium and chromium-driver (apt-get install "
                                 "chromium chromium-driver)")
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service as DriverService

        self.profile = tempfile.mkdtemp(prefix="herald-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1400,1000", f"--user-data-dir={self.profile}"):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)
