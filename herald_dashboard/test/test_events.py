"""The Event Viewer in Horizon's own test harness, herald-api mocked at the client.

``openstack_dashboard.test.helpers`` logs a fake user in and fails any test
that opens a real connection; herald-api is replaced at ``herald_dashboard.api``
(the views and tables) or at keystoneauth's session (the client itself).
tests/integration/test_dashboard.py runs the same pages against a real
Keystone and a real herald-api in a real browser.
"""

from __future__ import annotations

import types
from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from openstack_auth import policy as auth_policy
from openstack_dashboard.dashboards.project.instances import tabs as instance_tabs
from openstack_dashboard.test import helpers as test

from herald_dashboard import api
from herald_dashboard.dashboards.project.instance_messages import InstanceMessagesTab
from herald_dashboard.test import settings as test_settings

INDEX = reverse("horizon:project:events:index")
ADMIN_INDEX = reverse("horizon:admin:events:index")
VOL = "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"
USER_MESSAGES = {
    "type": "user-messages", "name": "herald", "endpoints_links": [],
    "endpoints": [
        {"region": "RegionOne", "interface": "public",
         "url": "http://public.herald.example.com:8787/v3/PROJECT"},
        {"region": "RegionOne", "interface": "internal",
         "url": "http://internal.herald.example.com:8787/v3/PROJECT"},
    ]}


def message(i: int, **fields: object) -> api.Message:
    data = {"id": f"m{i:02d}", "event_id": "VOLUME_NO_VALID_BACKEND", "message_level": "ERROR",
            "user_message": f"The creation of volume {VOL} failed ({i}).",
            "created_at": "2026-12-01T23:30:00.000000",
            "guaranteed_until": "2026-12-31T23:30:00.000000", "request_id": f"req-{i}",
            "resource_type": "VOLUME", "resource_uuid": VOL, "event_type": "volume.create.failed",
            "category": "action", "count": 1, "last_seen_at": "2026-12-01T23:30:00.000000",
            "parent_id": None, "root_id": None, "project_id": "p1"}
    data.update(fields)
    return api.Message(data)


AVAILABLE = {"available": True, "unavailable_since": None, "event_id": None,
             "message_level": None, "message": None}
OUTAGE_TEXT = ("The cloud's internal messaging service has been unavailable since "
               "2026-12-05 21:40 UTC: new requests may hang or stay in progress until it "
               "recovers.")
OUTAGE = {"available": False, "unavailable_since": "2026-12-05T21:40:07",
          "event_id": "MESSAGING_UNAVAILABLE", "message_level": "WARNING",
          "message": OUTAGE_TEXT}


#: the client function itself (test cases replace api.messaging_status)
MESSAGING_STATUS = api.messaging_status


def _messaging_available(case: test.TestCase) -> mock.Mock:
    """Every page asks herald-api whether the broker is down: it is not,
    unless a test says otherwise."""
    patcher = mock.patch.object(api, "messaging_status", return_value=dict(AVAILABLE))
    case.addCleanup(patcher.stop)
    return patcher.start()


class HeraldTestCase(test.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.messaging_status = _messaging_available(self)

    def _setup_test_data(self) -> None:
        super()._setup_test_data()
        self.service_catalog.append(USER_MESSAGES)  # the panel needs the service


class AdminTestCase(test.BaseAdminViewTests):
    def setUp(self) -> None:
        super().setUp()
        self.messaging_status = _messaging_available(self)

    def _setup_test_data(self) -> None:
        super()._setup_test_data()
        self.service_catalog.append(USER_MESSAGES)


@mock.patch.object(api, "message_list")
class EventsTests(HeraldTestCase):

    def test_a_page_of_events_with_every_column(self, message_list):
        message_list.return_value = ([message(1), message(2, resource_type="SHARE")], True,
                                     False)
        self.client.cookies["django_timezone"] = "Asia/Tokyo"  # the user's setting
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, "horizon/common/_data_table_view.html")
        table = res.context["table"]
        self.assertEqual("events", table.name)
        self.assertEqual(["m01", "m02"], [m.id for m in table.data])
        self.assertEqual(["Time", "Level", "Resource", "Event ID", "Request ID", "Message",
                          "Actions"],
                         [str(c.verbose_name) for c in table.columns.values()][1:])
        self.assertContains(res, "Dec. 2, 2026, 8:30 a.m.")  # 23:30 UTC, in Tokyo
        # the volume links to its own page; a share needs manila-ui, absent here
        self.assertContains(res, reverse("horizon:project:volumes:detail", args=[VOL]))
        self.assertContains(res, f"Share {VOL}")
        self.assertContains(res, "req-1")
        self.assertContains(res, reverse("horizon:project:events:detail", args=["m01"]))
        self.assertContains(res, "?marker=m02")  # Next: after the last row
        self.assertNotContains(res, "prev_marker=")
        message_list.assert_called_once_with(mock.ANY, marker=None, sort_dir="desc",
                                             filters={}, all_projects=False)

    def test_back_to_the_previous_page_asks_herald_api_ascending(self, message_list):
        message_list.return_value = ([message(3)], True, True)
        res = self.client.get(INDEX + "?prev_marker=m04")
        self.assertContains(res, "prev_marker=m03")
        self.assertContains(res, "marker=m03")
        message_list.assert_called_once_with(mock.ANY, marker="m04", sort_dir="asc",
                                             filters={}, all_projects=False)

    def test_filters_go_to_herald_api(self, message_list):
        message_list.return_value = ([], False, False)
        for field, typed, sent in (("message_level", "error", "ERROR"),
                                   ("resource_type", "Volume", "Volume"),  # any case
                                   ("resource_uuid", f" {VOL} ", VOL),
                                   ("created_since", "2026-12-01", "2026-12-01")):
            res = self.client.post(INDEX, {"events__events_filter__q_field": field,
                                           "events__events_filter__q": typed})
            self.assertRedirectsNoFollow(res, INDEX)  # kept in the session
            self.client.get(INDEX)
            message_list.assert_called_with(mock.ANY, marker=None, sort_dir="desc",
                                            filters={field: sent}, all_projects=False)

    def test_herald_api_down_shows_an_error_and_an_empty_table(self, message_list):
        for failure in (ks_exceptions.ConnectFailure("refused"),
                        ks_exceptions.InternalServerError()):
            message_list.side_effect = failure
            res = self.client.get(INDEX)
            self.assertEqual(200, res.status_code)
            self.assertEqual([], res.context["table"].data)
            self.assertMessageCount(res, error=1)

    def test_the_broker_outage_banner_in_herald_apis_words(self, message_list):
        message_list.return_value = ([message(1)], False, False)
        res = self.client.get(INDEX)
        self.assertMessageCount(res, warning=0)
        self.assertNotContains(res, "internal messaging service")
        self.messaging_status.return_value = dict(OUTAGE)
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertMessageCount(res, warning=1)
        self.assertContains(res, "The cloud&#x27;s internal messaging service has been "
                                 "unavailable since 2026-12-05 21:40 UTC")
        self.assertEqual(["m01"], [m.id for m in res.context["table"].data])

    def test_no_banner_when_herald_api_cannot_say(self, message_list):
        message_list.return_value = ([message(1)], False, False)
        self.messaging_status.side_effect = ks_exceptions.ConnectFailure("refused")
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertMessageCount(res, warning=0, error=0)

    @mock.patch.object(api, "message_delete")
    def test_delete(self, message_delete, message_list):
        message_list.return_value = ([message(1), message(2)], False, False)
        res = self.client.post(INDEX, {"action": "events__delete__m02"}, follow=True)
        message_delete.assert_called_once_with(mock.ANY, "m02")
        # the banner names the message by its text, not by its UUID
        self.assertContains(res, f"Deleted Event: The creation of volume {VOL} failed (2).")


class DetailTests(HeraldTestCase):

    @mock.patch.object(api, "children", return_value=[])
    @mock.patch.object(api, "progress", return_value=None)
    @mock.patch.object(api, "message_get")
    def test_the_broker_outage_banner_on_a_message_page(self, message_get, *_):
        message_get.return_value = message(5)
        self.messaging_status.return_value = dict(OUTAGE)
        res = self.client.get(reverse("horizon:project:events:detail", args=["m05"]))
        self.assertEqual(200, res.status_code)
        self.assertMessageCount(res, warning=1)
        self.assertContains(res, "unavailable since 2026-12-05 21:40 UTC")

    @mock.patch.object(api, "progress")
    @mock.patch.object(api, "children")
    @mock.patch.object(api, "message_get")
    def test_every_field_the_parent_the_children_and_the_progress(
            self, message_get, children, progress):
        shown = message(5, parent_id="m04", count=3, last_seen_at="2026-12-02T01:00:00.000000")
        message_get.side_effect = lambda request, mid: {"m05": shown, "m04": message(4)}[mid]
        children.return_value = [message(6, user_message="Instance i-6 is ready.")]
        progress.return_value = {"steps": [
            {"step_name": "LAUNCH_INSTANCES", "step_type": "creating", "completed": 2,
             "total": 3, "successful": None, "started_at": "2026-12-01T23:00:00.000000",
             "completed_at": None}], "events": []}
        res = self.client.get(reverse("horizon:project:events:detail", args=["m05"]))
        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, "herald_dashboard/events/detail.html")
        for text in (shown.user_message, "req-5", "volume.create.failed", "3 times", "Error",
                     "LAUNCH_INSTANCES", "2 of 3", "running", "Instance i-6 is ready.",
                     reverse("horizon:project:events:detail", args=["m04"]),
                     reverse("horizon:project:volumes:detail", args=[VOL])):
            self.assertContains(res, text)
        children.assert_called_once_with(mock.ANY, "m05")
        progress.assert_called_once_with(mock.ANY, VOL)

    @mock.patch.object(api, "message_get")
    def test_a_message_that_is_gone_returns_to_the_list(self, message_get):
        message_get.side_effect = ks_exceptions.NotFound()
        res = self.client.get(reverse("horizon:project:events:detail", args=["m09"]))
        self.assertRedirectsNoFollow(res, INDEX)


class AdminEventsTests(AdminTestCase):

    @mock.patch.object(api, "message_list")
    def test_every_project_with_a_project_column_and_filter(self, message_list):
        message_list.return_value = ([message(1, project_id="p1"),
                                      message(2, project_id="p2")], False, False)
        res = self.client.get(ADMIN_INDEX)
        self.assertEqual(200, res.status_code)
        self.assertEqual("Project", str(list(res.context["table"].columns.values())[1]
                                        .verbose_name))
        self.assertContains(res, "p2")
        message_list.assert_called_once_with(mock.ANY, marker=None, sort_dir="desc",
                                             filters={}, all_projects=True)
        self.client.post(ADMIN_INDEX, {"events__events_filter__q_field": "project_id",
                                       "events__events_filter__q": "p2"})
        self.client.get(ADMIN_INDEX)
        message_list.assert_called_with(mock.ANY, marker=None, sort_dir="desc",
                                        filters={"project_id": "p2"}, all_projects=True)


class InstanceTabTests(HeraldTestCase):

    def test_the_instance_page_gets_a_messages_tab(self):
        # a real InstanceDetailTabs builds every tab (the Interfaces tab calls
        # neutron): read only what Horizon adds from EXTRA_TABS
        group = instance_tabs.InstanceDetailTabs.__new__(instance_tabs.InstanceDetailTabs)
        self.assertEqual((InstanceMessagesTab,), group._load_tabs_from_config())

    @mock.patch.object(api, "message_list")
    def test_it_lists_the_instance_messages(self, message_list):
        message_list.return_value = ([message(1, resource_type="INSTANCE")], False, False)
        tab = types.SimpleNamespace(request=self.request, tab_group=types.SimpleNamespace(
            kwargs={"instance": types.SimpleNamespace(id="i-1")}))
        rows = InstanceMessagesTab.get_instance_messages_data(tab)
        self.assertEqual(["m01"], [m.id for m in rows])
        message_list.assert_called_once_with(mock.ANY, filters={"resource_uuid": "i-1"})


class Response:
    def __init__(self, body: dict) -> None:
        import json
        self.content = json.dumps(body).encode()
        self._body = body

    def json(self) -> dict:
        return self._body


@mock.patch.object(ks_session.Session, "request")
class ClientTests(HeraldTestCase):

    def test_the_catalog_endpoint_the_users_token_and_microversion_3_5(self, request):
        request.return_value = Response({"messages": [{"id": f"m{i}"} for i in range(3)]})
        with self.settings(API_RESULT_PAGE_SIZE=2):
            rows, more, prev = api.message_list(self.request, marker="m9",
                                                filters={"event_id": "X"})
        self.assertEqual((["m0", "m1"], True, True), ([m.id for m in rows], more, prev))
        (url, method), kwargs = request.call_args
        self.assertEqual(("http://public.herald.example.com:8787/v3/PROJECT/messages", "GET"),
                         (url, method))
        self.assertEqual({"sort": "created_at:desc", "limit": 3, "marker": "m9",
                          "event_id": "X"}, kwargs["params"])
        # herald's opt-in: the event model's keys (Cinder's bodies without it)
        self.assertEqual("volume 3.5, user-messages 1.0",
                         kwargs["headers"]["OpenStack-API-Version"])

    def test_the_users_horizon_language_is_sent(self, request):
        """herald-api renders messages in the language the user chose in
        Horizon (its settings cookie), else the one Django negotiated."""
        from django.conf import settings
        request.return_value = Response({"messages": []})
        self.request.LANGUAGE_CODE = "pt-br"
        api.message_list(self.request)
        self.assertEqual("pt-br", request.call_args.kwargs["headers"]["Accept-Language"])
        self.request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "ja"
        api.message_list(self.request)
        self.assertEqual("ja", request.call_args.kwargs["headers"]["Accept-Language"])

    def test_the_interface_horizon_is_set_to_use(self, request):
        request.return_value = Response({"messages": []})
        with self.settings(OPENSTACK_ENDPOINT_TYPE="internalURL"):
            api.message_list(self.request)
        self.assertTrue(request.call_args.args[0].startswith("http://internal.herald"))

    def test_paging_back_and_the_last_page(self, request):
        request.return_value = Response({"messages": [{"id": "m3"}, {"id": "m2"}]})
        with self.settings(API_RESULT_PAGE_SIZE=2):
            rows, more, prev = api.message_list(self.request, marker="m4", sort_dir="asc")
            self.assertEqual((["m2", "m3"], True, False), ([m.id for m in rows], more, prev))
            request.return_value = Response({"messages": [{"id": "m1"}]})
            rows, more, prev = api.message_list(self.request, marker="m2")
            self.assertEqual((["m1"], False, True), ([m.id for m in rows], more, prev))

    def test_every_project_for_administrators(self, request):
        request.return_value = Response({"messages": []})
        api.message_list(self.request, all_projects=True)
        self.assertEqual("1", request.call_args.kwargs["params"]["all_tenants"])
        api.message_list(self.request, all_projects=True, filters={"project_id": "p2"})
        self.assertNotIn("all_tenants", request.call_args.kwargs["params"])

    def test_messaging_status_is_read_from_the_project_endpoint(self, request):
        request.return_value = Response({"messaging_status": OUTAGE})
        self.assertEqual(OUTAGE, MESSAGING_STATUS(self.request))
        (url, method), _ = request.call_args
        self.assertEqual(("http://public.herald.example.com:8787/v3/PROJECT/messaging-status",
                          "GET"), (url, method))

    def test_no_progress_is_none(self, request):
        request.side_effect = ks_exceptions.NotFound()
        self.assertIsNone(api.progress(self.request, VOL))


def policy_file(tmp: str, rules: dict[str, str]) -> str:
    import os
    path = os.path.join(tmp, "user-messages_policy.yaml")
    with open(path, "w") as f:
        f.write("".join(f'"{k}": "{v}"\n' for k, v in rules.items()))
    return path


@mock.patch.object(api, "message_list")
class PolicyTests(HeraldTestCase):
    """Horizon's policy check on herald-api's default rules (and overrides)."""

    def check(self, rules: dict[str, str]):
        import tempfile
        tmp = tempfile.mkdtemp()
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)
        return override_settings(
            POLICY_CHECK_FUNCTION="openstack_auth.policy.check",
            POLICY_FILES={"user-messages": policy_file(tmp, rules)},
            DEFAULT_POLICY_FILES={"user-messages": test_settings.HERALD_DEFAULT_POLICY})

    def test_a_member_may_list_and_delete_by_default(self, message_list):
        message_list.return_value = ([message(1)], False, False)
        with self.check({}):
            res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "events__delete__m01")

    def test_delete_is_hidden_where_policy_denies_it(self, message_list):
        message_list.return_value = ([message(1)], False, False)
        with self.check({"message:delete": "role:admin"}):
            res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertNotContains(res, "events__delete__m01")

    def test_the_panel_is_hidden_where_policy_denies_listing(self, message_list):
        with self.check({"message:get_all": "role:admin"}):
            res = self.client.get(INDEX)
            nav = self.client.get(reverse("horizon:project:api_access:index"))
        self.assertNotEqual(200, res.status_code)
        self.assertNotContains(nav, INDEX)
        message_list.assert_not_called()
