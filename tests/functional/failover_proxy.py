"""A TCP failover proxy in front of the Galera nodes that plays HAProxy as
kolla-ansible configures it for MariaDB.

- The first node is the active server, the others ``backup``: every new
  connection goes to the first node that is up, in that order (HAProxy
  without ``allbackups``).
- Each node is checked every ``inter`` seconds, as kolla's clustercheck
  does, by asking whether it is Synced (``wsrep_local_state`` 4 and
  ``wsrep_ready``); ``fall`` failed checks in a row mark it down, ``rise``
  good ones up again (kolla: ``inter 2000 rise 2 fall 5``).
- A connection to a node that refuses it is closed; connections already
  open stay on their node when it is marked down (no
  ``on-marked-down shutdown-sessions``), and are closed when it closes them.

Every change of state is recorded with its time (monotonic), for figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Sequence

from tests.functional.galera_cluster import Node

#: kolla-ansible's check of each MariaDB server
INTER, RISE, FALL = 2.0, 2, 5


class FailoverProxy:
    def __init__(self, nodes: Sequence[Node], inter: float = INTER, rise: int = RISE,
                 fall: int = FALL) -> None:
        self.nodes = list(nodes)
        self.inter, self.rise, self.fall = inter, rise, fall
        self.up = {n.name: True for n in self.nodes}
        self._streak = {n.name: 0 for n in self.nodes}  # checks against the current state
        #: (monotonic time, what happened): "n1 down", "n2 up"...
        self.events: list[tuple[float, str]] = []
        #: new connections sent to each node
        self.sessions = {n.name: 0 for n in self.nodes}
        self.port = 0
        self._stop = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._threads = [threading.Thread(target=self._serve, name="galera-proxy", daemon=True),
                         threading.Thread(target=self._check, name="galera-check", daemon=True)]

    def __enter__(self) -> FailoverProxy:
        self._threads[0].start()
        if not self._ready.wait(10):
            raise RuntimeError("failover proxy did not start")
        self._threads[1].start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._loop.call_soon_threadsafe(self._loop.stop)
        for t in self._threads:
            t.join(10)

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def active(self) -> Node | None:
        """Where a new connection goes now."""
        return next((n for n in self.nodes if self.up[n.name]), None)

    def when(self, event: str, after: float = 0.0) -> float | None:
        """The first time ``event`` happened after ``after``."""
        return next((t for t, e in self.events if e == event and t >= after), None)

    # -- health checks --------------------------------------------------------
    def _check(self) -> None:
        while not self._stop.wait(self.inter):
            for node in self.nodes:
                healthy = node.synced()
                name = node.name
                if healthy == self.up[name]:
                    self._streak[name] = 0
                    continue
                self._streak[name] += 1
                if self._streak[name] >= (self.rise if healthy else self.fall):
                    self.up[name] = healthy
                    self._streak[name] = 0
                    self.events.append((time.monotonic(), f"{name} {'up' if healthy else 'down'}"))

    # -- relaying ---------------------------------------------------------------
    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.set_exception_handler(lambda loop, ctx: None)
        server = self._loop.run_until_complete(asyncio.start_server(
            self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def _session(self, client_r: asyncio.StreamReader,
                       client_w: asyncio.StreamWriter) -> None:
        node = self.active()
        if node is None:
            client_w.close()
            return
        self.sessions[node.name] += 1
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", node.port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(self._pump(client_r, server_w), self._pump(server_r, client_w),
                             return_exceptions=True)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()
