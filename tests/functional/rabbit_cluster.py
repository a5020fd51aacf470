"""A three-node RabbitMQ cluster of the test's own, from the installed server.

The machine's broker on 5672 is left alone: each node runs the Debian
package's own ``rabbitmq-server`` script directly (the wrapper on PATH
switches to the rabbitmq user and its HOME) as ``<name>@localhost`` with its
own ports, data, logs and pid file, an empty plugins file, and a HOME
holding the test's own Erlang cookie (mode 600) so that ``rabbitmqctl`` and
the nodes trust each other.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import subprocess
from pathlib import Path

from tests import services

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


@dataclasses.dataclass
class Node:
    name: str
    port: int
    dist_port: int
    base: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def nodename(self) -> str:
        return f"{self.name}@localhost"

    @property
    def url(self) -> str:
        return f"guest:guest@127.0.0.1:{self.port}"


class Cluster:
    def __init__(self, tmp: Path, size: int = 3) -> None:
        if not os.path.exists(SERVER):
            services.unavailable(f"the installed rabbitmq-server ({SERVER})")
        self.home = tmp / "home"
        self.home.mkdir(parents=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o600)
        token = secrets.token_hex(2)
        self.nodes = [Node(f"herald{token}n{i}", services.free_port(), services.free_port(),
                           tmp / f"n{i}") for i in range(1, size + 1)]
        #: more rabbitmq.conf lines, for every node's next start
        self.extra_config = ""

    def env(self, node: Node) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.home),
                "RABBITMQ_NODENAME": node.nodename,
                "RABBITMQ_NODE_PORT": str(node.port),
                "RABBITMQ_DIST_PORT": str(node.dist_port),
                "RABBITMQ_CONFIG_FILE": str(node.base / "rabbitmq.conf"),
                "RABBITMQ_MNESIA_BASE": str(node.base / "mnesia"),
                "RABBITMQ_LOG_BASE": str(node.base / "log"),
                "RABBITMQ_PID_FILE": str(node.base / "rabbit.pid"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.base / "enabled_plugins")}

    def ctl(self, node: Node, *args: str, timeout: float = 120) -> str:
        result = subprocess.run([CTL, "-n", node.nodename, *args], env=self.env(node),
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"rabbitmqctl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def start(self, node: Node) -> None:
        node.base.mkdir(parents=True, exist_ok=True)
        (node.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{node.port}\n{self.extra_config}")
        (node.base / "enabled_plugins").write_text("[].\n")
        log = open(node.base / "server.out", "ab")
        node.proc = subprocess.Popen([SERVER], env=self.env(node), stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_started(self, node: Node) -> None:
        services.wait_until(lambda: services.port_open(node.port), 120,
                            f"node {node.nodename} to listen")
        self.ctl(node, "await_startup")

    def up(self) -> Cluster:
        """All nodes, the second and later joined to the first."""
        for node in self.nodes:  # in parallel: each takes 13-21 s
            self.start(node)
        for node in self.nodes:
            self.wait_started(node)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.nodename)
            self.ctl(node, "start_app")
        running = self.ctl(first, "cluster_status", "--formatter", "json")
        assert all(n.nodename in running for n in self.nodes), running
        return self

    def kill(self, node: Node) -> None:
        """SIGKILL the node's Erlang VM: a crash, not a shutdown."""
        pid = int((node.base / "rabbit.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        services.wait_until(lambda: not services.port_open(node.port), 30,
                            f"node {node.nodename} to die")
        if node.proc is not None:
            node.proc.wait(30)

    def restart(self, node: Node) -> None:
        self.start(node)  # its data directory remembers the cluster
        self.wait_started(node)

    def transport_url(self, *order: Node) -> str:
        """herald's ``transport_url``: every node; ``order`` first (herald
        connects to the first one)."""
        nodes = list(order) + [n for n in self.nodes if n not in order]
        return "rabbit://" + ",".join(n.url for n in nodes) + "/"

    @staticmethod
    def amqp_url(node: Node) -> str:
        return f"amqp://{node.url}//"

    def leader(self, queue: str) -> str:
        """The node leading a quorum queue, asked of a node that is up."""
        for node in self.nodes:
            if services.port_open(node.port):
                out = self.ctl(node, "list_queues", "-q", "--no-table-headers", "name",
                               "leader")
                for line in out.splitlines():
                    name, _, leader = line.partition("\t")
                    if name == queue:
                        return leader.strip()
        raise AssertionError(f"no node knows queue {queue}")

    def members(self, queue: str) -> str:
        node = next(n for n in self.nodes if services.port_open(n.port))
        out = self.ctl(node, "list_queues", "-q", "--no-table-headers", "name", "members")
        return next(line for line in out.splitlines() if line.startswith(queue + "\t"))

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                try:
                    self.ctl(node, "stop", timeout=60)
                except (AssertionError, subprocess.TimeoutExpired):
                    pass
            pid_file = node.base / "rabbit.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            if node.proc is not None:
                try:
                    os.killpg(node.proc.pid, signal.SIGKILL)  # epmd stays: it is shared
                except ProcessLookupError:
                    pass
                node.proc.wait(30)
