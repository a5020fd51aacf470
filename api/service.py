"""Configuration and the development server of herald-api."""

from __future__ import annotations

import logging
import signal
import socketserver
import sys
from collections.abc import Sequence
from typing import Any
from wsgiref import simple_server

from oslo_config import cfg

import listener.cmd  # noqa: F401 - herald's own process: the threading backend
from api import app
from collector import rendering
from collector.exceptions import ConfigurationError
from listener import config

LOG = logging.getLogger(__name__)

DESCRIPTION = """\
Serve herald's messages to end users over HTTP, wire-compatible with Cinder's
messages API (python-cinderclient, openstacksdk and python-openstackclient
read it unchanged). This server is for development and tests; in production
run api.wsgi:application under uwsgi, gunicorn or mod_wsgi (docs/api.md).
"""


def make_conf(argv: Sequence[str] | None, config_files: Sequence[str] = ()) -> cfg.ConfigOpts:
    conf = config.make_conf()  # herald's options, [api] included
    files = [a for f in config_files for a in ("--config-file", f)]
    args = sys.argv[1:] if argv is None else list(argv)
    config.prepare([*files, *args], prog="herald-api", description=DESCRIPTION, conf=conf)
    return conf


def make_application(config_files: Sequence[str]) -> Any:
    """For a WSGI server: the configuration from files only (the server's
    own command line is not ours)."""
    return app.build(make_conf([], config_files))


class _ThreadingServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s %s", self.address_string(), format % args)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        conf = make_conf(argv)
        texts = rendering.Texts(conf)
        application = app.build(conf, texts=texts)
    except ConfigurationError as exc:
        print(f"herald-api: {exc}", file=sys.stderr)
        return 1
    server = simple_server.make_server(conf.api.host, conf.api.port, application,
                                       server_class=_ThreadingServer,
                                       handler_class=_QuietHandler)

    def reload(signum: int, frame: Any) -> None:
        """SIGHUP: the catalogue's overrides and translations read again (a
        WSGI server such as uwsgi reloads its workers, which read them anew)."""
        conf.reload_config_files()
        texts.reload()

    signal.signal(signal.SIGHUP, reload)
    LOG.info("herald-api serving on http://%s:%d/", conf.api.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0

