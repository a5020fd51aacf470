"""The test's own router: Cinder's messages routes to herald-api, the rest to cinder-api.

What an operator does with haproxy in front of cinder-api (docs/integration.md):
``/v3/{project}/messages…`` (and Cinder's 3.67 ``/v3/messages…``) go to
herald-api, every other path to cinder-api. Requests and answers pass
unchanged, one connection per request.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
import urllib.parse

MESSAGES = re.compile(r"^/v3/(?:[^/]+/)?messages(?:/|$)")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade",
              "te", "trailer"}


class Router:
    def __init__(self, messages_url: str, default_url: str) -> None:
        self.messages_url, self.default_url = messages_url, default_url
        self.routed: list[tuple[str, str, str]] = []  # (method, path, upstream)
        router = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                upstream = (router.messages_url if MESSAGES.match(path)
                            else router.default_url)
                router.routed.append((self.command, path, upstream))
                target = urllib.parse.urlsplit(upstream)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP_BY_HOP}
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Router:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
