"""``tox -e dashboard``: a newcomer's one command opens the Event Viewer.

Runs ``tools/eventviewer.py`` as the tox env does, logs in as ``demo`` in
headless Chromium, reads the quick start's messages in Project › Events, and
stops it with Ctrl-C (SIGINT): every process it started is gone. The
screenshot in the README (``docs/event-viewer.png``) is this test's: set
``HERALD_TEST_SCREENSHOTS`` to a directory to keep it there.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from tests.integration.horizon import Browser
from tests.integration.test_dashboard import by, row_ids, wait

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_one_command_opens_the_event_viewer(tmp_path):
    proc = subprocess.Popen([sys.executable, str(REPO / "tools" / "eventviewer.py"),
                             "--workdir", str(tmp_path / "ev")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                ready.set()
    threading.Thread(target=read, daemon=True).start()
    browser = None
    try:
        assert ready.wait(900), "".join(lines)
        out = "".join(lines)
        url = re.search(r"The Event Viewer: (\S+)", out).group(1)
        count = int(re.search(r"Project > Events: (\d+) messages", out).group(1))
        assert count > 0
        assert "log in as demo / demo" in out
        children = psutil.Process(proc.pid).children(recursive=True)
        commands = [" ".join(c.cmdline()) for c in children]
        for name in ("uwsgi", "herald-api", "herald-listener"):
            assert any(name in command for command in commands), (name, commands)

        browser = Browser(tmp_path / "shots")
        d = browser.driver
        d.get(url.replace("/project/events/", "/auth/login/?next=/project/events/"))
        wait(browser, lambda d: d.find_elements(by().ID, "id_username"), "the login form")
        d.find_element(by().ID, "id_username").send_keys("demo")
        d.find_element(by().ID, "id_password").send_keys("demo")
        d.find_element(by().ID, "loginBtn").click()
        wait(browser, lambda d: "/project/events/" in d.current_url
             and d.find_elements(by().ID, "events"), "demo's events")
        rows = row_ids(browser)
        assert rows, "the quick start's messages are not listed"
        text = d.find_element(by().ID, "events").text
        assert "Volume" in text or "Instance" in text or "Share" in text, text
        shot = browser.shot("event-viewer")
        keep = os.environ.get("HERALD_TEST_SCREENSHOTS")
        if keep:
            shutil.copy(shot, Path(keep) / "event-viewer.png")
    finally:
        if browser is not None:
            browser.quit()
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert code == 0, "".join(lines)
    assert "stopped Horizon, herald-api, herald-listener and Keystone" in "".join(lines)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, alive
