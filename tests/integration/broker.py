"""A RabbitMQ virtual host per test on the machine's broker.

The services herald joins declare their exchanges (``openstack``, ``nova``)
with their own settings; a vhost of its own keeps each test from meeting
entities that the functional tests (or an earlier run) declared otherwise.
"""

from __future__ import annotations

import secrets
import subprocess
from typing import Any

import amqp
import kombu

from tests import services


def rabbitmqctl(*args: str) -> str:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class VirtualHost:
    def __init__(self) -> None:
        if not services.port_open(5672):
            services.unavailable("RabbitMQ on 127.0.0.1:5672")
        self.name = f"herald-it-{secrets.token_hex(4)}"
        rabbitmqctl("add_vhost", self.name)
        rabbitmqctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        base = services.RABBIT_URL.rstrip("/")
        self.transport_url = f"{base}/{self.name}"
        self.amqp_url = self.transport_url.replace("rabbit://", "amqp://", 1)

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)

    def entity(self, kind: str, name: str) -> dict[str, str] | None:
        """One exchange's or queue's ``rabbitmqctl list_*`` columns."""
        columns = (["name", "durable", "auto_delete", "type"] if kind == "exchanges" else
                   ["name", "durable", "type", "messages", "consumers"])
        out = rabbitmqctl(f"list_{kind}", "-p", self.name, "--no-table-headers", *columns)
        for line in out.splitlines():
            values = line.split("\t")
            if values[0] == name:
                return dict(zip(columns, values))
        return None

    def queue(self, name: str) -> Any | None:
        """(queue, message_count, consumer_count), or None if it does not exist."""
        try:
            with kombu.Connection(self.amqp_url) as conn:
                return conn.channel().queue_declare(name, passive=True)
        except amqp.exceptions.NotFound:
            return None

    def consumed(self, name: str) -> bool:
        q = self.queue(name)
        return q is not None and q.consumer_count > 0

    def drained(self, name: str) -> bool:
        """Nothing ready and nothing unacknowledged (rabbitmqctl's ``messages``)."""
        info = self.entity("queues", name)
        return info is not None and info["messages"] == "0"
