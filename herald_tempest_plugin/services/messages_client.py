"""herald-api's messages, with herald's own microversion (the event model's keys).

Every request says ``OpenStack-API-Version: volume 3.N, user-messages 1.M``;
the answer must name the same versions. The routes are Cinder's
(``/messages``, on the catalog endpoint, which names the project).
"""

from __future__ import annotations

from urllib.parse import urlencode

from oslo_serialization import jsonutils as json
from tempest.lib import exceptions as lib_exc
from tempest.lib.common import rest_client

HEADER = "OpenStack-API-Version"


class MessagesClient(rest_client.RestClient):
    volume_microversion = "3.5"
    herald_microversion = "1.0"

    def _version(self) -> str:
        return (f"volume {self.volume_microversion}, "
                f"user-messages {self.herald_microversion}")

    def get_headers(self, accept_type=None, send_type=None):
        headers = super().get_headers(accept_type, send_type)
        headers[HEADER] = self._version()
        return headers

    def request(self, method, url, extra_headers=False, headers=None, body=None,
                chunked=False):
        resp, body = super().request(method, url, extra_headers, headers, body, chunked)
        got = resp.get(HEADER.lower(), "")
        if f"user-messages {self.herald_microversion}" not in got:
            raise lib_exc.InvalidHTTPResponseHeader(
                f"{HEADER}: {got!r} does not name user-messages {self.herald_microversion}")
        return resp, body

    def list_messages(self, **params):
        url = "messages" + (f"?{urlencode(params)}" if params else "")
        resp, body = self.get(url)
        self.expected_success(200, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))

    def show_message(self, message_id):
        resp, body = self.get(f"messages/{message_id}")
        self.expected_success(200, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))

    def delete_message(self, message_id):
        resp, body = self.delete(f"messages/{message_id}")
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, body)

    def is_resource_deleted(self, id):
        try:
            self.show_message(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return "message"
