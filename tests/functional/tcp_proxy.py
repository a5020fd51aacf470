"""A TCP relay of the test's own between herald and the real broker, that
the test can cut and restore.

"The broker is down" is tested without touching the machine's RabbitMQ,
which other tests (and helpers) share: cutting the relay closes every
relayed connection and stops listening, so herald sees exactly what a dead
broker looks like from its side (its connection lost, every reconnection
refused); restoring listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class TCPProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self.sessions = 0  # connections relayed so far
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy",
                                        daemon=True)

    def __enter__(self) -> TCPProxy:
        self._thread.start()
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()
        self._call(self._finish_sessions())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    def restore(self) -> None:
        """Listen (again, on the same port)."""
        self._call(self._listen())

    def cut(self) -> None:
        """Close every relayed connection and stop listening."""
        self._call(self._cut())

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()  # a reset, not a polite close
        self._writers.clear()

    async def _finish_sessions(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _session(self, client_r: asyncio.StreamReader,
                       client_w: asyncio.StreamWriter) -> None:
        self.sessions += 1
        try:
            broker_r, broker_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.transport.abort()
            return
        self._writers |= {client_w, broker_w}
        await asyncio.gather(self._pump(client_r, broker_w), self._pump(broker_r, client_w),
                             return_exceptions=True)
        self._writers -= {client_w, broker_w}

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()
