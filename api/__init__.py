"""herald-api: the read API, wire-compatible with Cinder's messages API.

A WSGI application (``api.wsgi.application`` for uwsgi, gunicorn or
mod_wsgi; ``herald-api`` serves it for development and tests) over the
same database as herald-listener. Every query is scoped to the caller's
project; see docs/api.md.
"""
