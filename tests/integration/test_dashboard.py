"""The Event Viewer in a real browser: Horizon 27 with herald's plugin, a real
Keystone 30, herald-api with ``auth_strategy = keystone``, headless Chromium.

``demo`` logs in and sees exactly demo's messages; filters by level and by
resource (server side); pages forward and back across three pages; opens a
detail page (parent, children, progress); deletes a message, which is then
gone from herald-api too. ``other`` sees none of demo's; ``admin`` sees both
projects' under Admin › Events. Screenshots are kept in the test's
directory (``shots/``) to be looked at.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from collector.model import StepReport, UserMessage, utcnow
from storage import get_connection
from tests import services
from tests.integration import venvs
from tests.integration.horizon import PAGE_SIZE, Browser, Horizon
from tests.integration.keystone import Keystone
from tests.integration.processes import Service, http_status

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BIN = Path(sys.executable).parent
VOL_A, VOL_B = str(uuid.uuid4()), str(uuid.uuid4())
CLUSTER = str(uuid.uuid4())
LEVELS = ("ERROR", "WARNING", "INFO")


@pytest.fixture(scope="module")
def horizon_venv():
    return venvs.HORIZON.ensure()


def rows_for(project: str, now: datetime.datetime) -> list[UserMessage]:
    """12 messages, 3 pages of 5: volumes, instances, and a cluster whose
    last event was caused by the one before it and reports its progress."""
    out = []
    for i in range(12):
        kind, resource = (("volume", VOL_A) if i < 3 else ("volume", VOL_B) if i < 6
                          else ("instance", str(uuid.uuid4())) if i < 9
                          else ("cluster", CLUSTER))
        step = (StepReport("LAUNCH_INSTANCES", "creating", i - 8, 3, None)
                if kind == "cluster" else None)
        out.append(UserMessage(
            id=str(uuid.uuid4()), message_id=f"{project}-{i}", project_id=project,
            user_id="u", request_id=f"req-{project[:6]}-{i}", event_id=f"EVENT_{i}",
            resource_type=kind.upper(), resource_uuid=resource, message_level=LEVELS[i % 3],
            user_message=f"Message {i} of this project about its {kind}.",
            publisher_id="host-a", session_id=None, claim=None,
            created_at=now - datetime.timedelta(minutes=60 - i),
            expires_at=now + datetime.timedelta(days=1), event_type=f"{kind}.x.failed",
            category="action", root_id=None, last_seen_at=now, step=step))
    out[11].parent_id = out[10].id
    return out


def other_rows(project: str, now: datetime.datetime) -> list[UserMessage]:
    """Three messages, the last one with its parameters stored: herald-api
    renders it in the reader's language."""
    rows = [UserMessage(
        id=str(uuid.uuid4()), message_id=f"other-{i}", project_id=project, user_id="o",
        request_id=f"req-other-{i}", event_id="EVENT_OTHER", resource_type="VOLUME",
        resource_uuid=str(uuid.uuid4()), message_level="ERROR",
        user_message=f"Other project's message {i}.", publisher_id="host-b",
        session_id=None, claim=None, created_at=now - datetime.timedelta(minutes=30 - i),
        expires_at=now + datetime.timedelta(days=1), event_type="volume.x.failed",
        category="action", root_id=None, last_seen_at=now) for i in range(3)]
    rows[-1].event_id = "VOLUME_EXTEND_FAILED"
    rows[-1].params = json.dumps({"volume_id": VOL_A, "new_size_gb": 20,
                                  "reason": "no_capacity"})
    return rows


class HeraldAPI:
    def __init__(self, tmp: Path, keystone: Keystone, conf) -> None:
        self.port = services.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = f"sqlite:///{tmp}/herald.sqlite"
        self.conf_path = tmp / "herald.conf"
        self.conf_path.write_text(textwrap.dedent(f"""\
            [database]
            connection = {self.db}
            [api]
            auth_strategy = keystone
            port = {self.port}
            [keystone_authtoken]
            www_authenticate_uri = {keystone.url}
            auth_url = {keystone.url}
            auth_type = password
            username = admin
            password = admin
            project_name = admin
            user_domain_id = default
            project_domain_id = default
            interface = public
            """))
        result = subprocess.run([str(BIN / "herald-manage"), "--config-file",
                                 str(self.conf_path), "db", "upgrade"], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        self.store = get_connection(conf, self.db)
        self.service: Service | None = None
        self.dir = tmp

    def start(self) -> HeraldAPI:
        self.service = Service("herald-api", [str(BIN / "herald-api"), "--config-file",
                                              str(self.conf_path)], self.dir)
        self.service.wait_for(lambda: http_status(self.base + "/") == 200, "answering GET /")
        return self

    def get(self, token: str, path: str) -> tuple[int, dict]:
        req = urllib.request.Request(self.base + path, headers={
            "X-Auth-Token": token, "OpenStack-API-Version": "volume 3.5"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
        self.store.close()


@pytest.fixture
def cloud(horizon_venv, tmp_path, conf):
    made = []
    try:
        keystone = Keystone(horizon_venv, tmp_path).start()
        made.append(keystone)
        api = HeraldAPI(tmp_path, keystone, conf)
        made.append(api)
        projects = keystone.provision(f"{api.base}/v3/$(project_id)s")
        now = utcnow()
        demo, other = rows_for(projects["demo"], now), other_rows(projects["other"], now)
        assert api.store.insert_messages(demo + other) == []
        api.start()
        horizon = Horizon(horizon_venv, tmp_path, keystone.url).start()
        made.append(horizon)
        browser = Browser(tmp_path / "shots")
        made.append(browser)
        yield keystone, api, horizon, browser, projects, demo, other
    finally:
        for thing in reversed(made):
            (thing.quit if isinstance(thing, Browser) else thing.stop)()


# -- the browser's view ------------------------------------------------------------
def by():
    from selenium.webdriver.common.by import By
    return By


def wait(browser, condition, what: str, timeout: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(browser.driver, timeout).until(condition)
    except Exception:
        browser.shot("failed")
        raise AssertionError(f"timed out waiting for {what} at {browser.driver.current_url}"
                             ) from None


def login(browser, horizon: Horizon, user: str, page: str) -> None:
    d = browser.driver
    d.delete_all_cookies()
    d.get(f"{horizon.url}/auth/login/?next={page}")
    wait(browser, lambda d: d.find_elements(by().ID, "id_username"), "the login form")
    d.find_element(by().ID, "id_username").send_keys(user)
    d.find_element(by().ID, "id_password").send_keys(user)
    d.find_element(by().ID, "loginBtn").click()
    wait(browser, lambda d: page in d.current_url and d.find_elements(by().ID, "events"),
         f"{user}'s {page}")


def row_ids(browser) -> list[str]:
    """The rows of the events table (the "no items" row has no object id)."""
    return [r.get_attribute("data-object-id") for r in browser.driver.find_elements(
        by().CSS_SELECTOR, "table#events tbody tr[data-object-id]")]


def follow(browser, text: str) -> list[str]:
    old = browser.driver.current_url
    browser.driver.find_element(by().PARTIAL_LINK_TEXT, text).click()
    wait(browser, lambda d: d.current_url != old, f"the {text} page")
    return row_ids(browser)


def filter_by(browser, field: str, value: str) -> list[str]:
    d = browser.driver
    d.find_element(by().CSS_SELECTOR, "#events .table_search button.dropdown-toggle").click()
    d.find_element(by().CSS_SELECTOR,
                   f"#events .table_search a[data-select-value='{field}']").click()
    box = d.find_element(by().NAME, "events__events_filter__q")
    box.clear()
    box.send_keys(value)
    old = d.find_element(by().ID, "events")
    d.find_element(by().ID, "events__action_events_filter").click()
    wait(browser, lambda d: not _alive(old), "the filtered page")
    return row_ids(browser)


def _alive(element) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException
    try:
        element.is_enabled()
        return True
    except StaleElementReferenceException:
        return False


def all_pages(browser) -> tuple[list[str], str]:
    """Every row id, following Next; and the text of every page."""
    ids, text = row_ids(browser), browser.driver.find_element(by().ID, "events").text
    while browser.driver.find_elements(by().PARTIAL_LINK_TEXT, "Next"):
        ids += follow(browser, "Next")
        text += browser.driver.find_element(by().ID, "events").text
    return ids, text


# -- the test -------------------------------------------------------------------------
def test_the_event_viewer(cloud):
    keystone, api, horizon, browser, projects, demo, other = cloud
    newest_first = [m.id for m in reversed(demo)]

    # herald-api itself accepts Keystone's tokens and scopes them
    demo_token = keystone.token("demo", "demo", "demo")
    status, body = api.get(demo_token, f"/v3/{projects['demo']}/messages")
    assert status == 200 and len(body["messages"]) == len(demo)
    assert api.get(demo_token, f"/v3/{projects['other']}/messages")[0] == 403

    login(browser, horizon, "demo", "/project/events/")
    page1 = row_ids(browser)
    browser.shot("1-demo-events")
    assert page1 == newest_first[:PAGE_SIZE]
    page2 = follow(browser, "Next")
    page3 = follow(browser, "Next")
    assert page2 + page3 == newest_first[PAGE_SIZE:]
    assert not browser.driver.find_elements(by().PARTIAL_LINK_TEXT, "Next")
    assert follow(browser, "Prev") == page2
    assert follow(browser, "Prev") == page1
    assert not browser.driver.find_elements(by().PARTIAL_LINK_TEXT, "Prev")

    # server-side filters: every match, not only those of the page in hand
    warnings = [m.id for m in reversed(demo) if m.message_level == "WARNING"]
    assert filter_by(browser, "message_level", "warning") == warnings
    browser.shot("2-demo-filtered-by-level")
    vol_b = [m.id for m in reversed(demo) if m.resource_uuid == VOL_B]
    assert filter_by(browser, "resource_uuid", VOL_B) == vol_b
    page = browser.driver.page_source
    assert f"Volume {VOL_B}" in page and f"/project/volumes/{VOL_B}/" in page
    assert filter_by(browser, "resource_uuid", "") == page1  # cleared

    # a detail page: every field, the parent, the children, the progress
    child, parent = demo[11], demo[10]
    browser.driver.get(f"{horizon.url}/project/events/{parent.id}/")
    wait(browser, lambda d: "herald-event" in d.page_source, "the detail page")
    text = browser.driver.find_element(by().CSS_SELECTOR, ".herald-event").text
    browser.shot("3-demo-detail")
    for expected in (parent.user_message, parent.event_id, parent.request_id, CLUSTER,
                     "cluster.x.failed", child.user_message, "LAUNCH_INSTANCES", "3 of 3"):
        assert expected in text, expected
    browser.driver.find_element(by().PARTIAL_LINK_TEXT, child.user_message).click()
    wait(browser, lambda d: f"/project/events/{child.id}/" in d.current_url, "the child")
    assert parent.user_message in browser.driver.find_element(
        by().CSS_SELECTOR, ".herald-event").text  # "Caused by"

    # delete one (on the last page): gone from the page and from herald-api
    victim = demo[0]
    browser.driver.get(f"{horizon.url}/project/events/")
    wait(browser, lambda d: row_ids(browser) == page1, "the first page")
    follow(browser, "Next")
    assert victim.id in follow(browser, "Next")
    row = browser.driver.find_element(by().CSS_SELECTOR,
                                      f"tr[data-object-id='{victim.id}']")
    row.find_element(by().CSS_SELECTOR, f"button[value$='__delete__{victim.id}']").click()
    wait(browser, lambda d: d.find_elements(by().CSS_SELECTOR, ".modal .btn-danger"),
         "the confirmation")
    browser.driver.find_element(by().CSS_SELECTOR, ".modal .btn-danger").click()
    wait(browser, lambda d: "Deleted Event" in d.page_source, "the deletion")
    browser.shot("4-demo-deleted")
    assert f"Deleted Event: {victim.user_message}" in browser.driver.page_source
    assert row_ids(browser) == [demo[1].id]  # the same page, without it
    assert api.get(demo_token, f"/v3/{projects['demo']}/messages/{victim.id}")[0] == 404

    # another project sees none of demo's
    login(browser, horizon, "other", "/project/events/")
    browser.shot("5-other-events")
    assert sorted(row_ids(browser)) == sorted(m.id for m in other)

    # a user whose Horizon language is Japanese (the language Horizon's settings
    # keep in its cookie): herald-api's text and the plugin's own strings
    browser.driver.add_cookie({"name": "horizon_language", "value": "ja"})
    browser.driver.get(f"{horizon.url}/project/events/")
    wait(browser, lambda d: d.find_elements(by().ID, "events"), "the Japanese events page")
    browser.shot("5b-other-events-ja")
    headers = [th.text for th in browser.driver.find_elements(
        by().CSS_SELECTOR, "table#events thead th")]
    for header in ("時刻", "レベル", "リソース", "メッセージ"):
        assert any(header in h for h in headers), headers
    table = browser.driver.find_element(by().ID, "events").text
    assert f"ボリューム {VOL_A} を 20 GB に拡張できませんでした" in table
    assert "Other project's message 0." in table  # stored before 0009: as stored

    # an administrator sees both projects'
    login(browser, horizon, "admin", "/admin/events/")
    browser.shot("6-admin-events")
    seen, text = all_pages(browser)
    assert sorted(seen) == sorted([m.id for m in demo[1:]] + [m.id for m in other])
    assert "Project" in text and projects["demo"] in text and projects["other"] in text
