"""The passive ``queue.declare``: a queue's ready messages and consumers.

On a connection and a channel of the watch's own. A passive declare creates
nothing and changes nothing on the queue; RabbitMQ answers 404 for a queue
that does not exist and closes the channel, so the next probe opens another.
The watch never consumes, binds or publishes: RPC messages carry their
caller's token, and herald must never read them.
"""

from __future__ import annotations

import logging
from typing import Any

import amqp
import kombu

from listener.rabbit import RabbitSettings
from listener.watch.decide import Reading

LOG = logging.getLogger(__name__)

#: the broker cannot be reached or dropped the connection: no reading
CONNECTION_ERRORS = (OSError, amqp.exceptions.ConnectionError,
                     amqp.exceptions.RecoverableConnectionError, kombu.exceptions.OperationalError)


class Prober:
    """One connection to the broker, opened on first use and re-opened
    (on the next host) after it fails."""

    def __init__(self, settings: RabbitSettings) -> None:
        self.settings = settings
        self._conn: kombu.Connection | None = None
        self._channel: Any = None
        self._attempt = 0

    def _open(self) -> Any:
        if self._conn is None:
            url = self.settings.pick(self._attempt)
            self._attempt += 1
            conn = self.settings.connection(url)
            conn.connect()
            self._conn = conn
            LOG.info("Watching the services' queues on %s", self.settings.display(url))
        if self._channel is None or not self._channel.is_open:
            self._channel = self._conn.channel()
        return self._channel

    def read(self, queue: str, now: Any) -> Reading:
        """One reading; raises one of :data:`CONNECTION_ERRORS` (the
        connection is then dropped, and re-opened by the next call)."""
        try:
            channel = self._open()
            try:
                _name, messages, consumers = channel.queue_declare(queue, passive=True)
            except amqp.exceptions.NotFound:
                self._channel = None  # the broker closed it
                return Reading(now, exists=False)
            return Reading(now, exists=True, messages=messages, consumers=consumers)
        except CONNECTION_ERRORS:
            self.close()
            raise

    def heartbeat(self) -> None:
        """Between rounds: answer the broker's heartbeats."""
        if self._conn is not None:
            try:
                self._conn.heartbeat_check()
            except CONNECTION_ERRORS:
                self.close()

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # already broken: nothing to release
                LOG.debug("closing the watch's connection", exc_info=True)
