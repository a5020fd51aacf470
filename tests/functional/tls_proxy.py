"""A TLS front for the real RabbitMQ, for testing herald's TLS client side.

The machine's broker listens in plain AMQP only, and reconfiguring it for
a test would change it for everyone. This proxy terminates TLS (optionally
requiring a client certificate) on a free loopback port and relays the bytes
to the real broker, so what is tested is herald's handshake, verification
and AMQP over TLS against a real broker behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading


class TLSProxy:
    def __init__(self, context: ssl.SSLContext, upstream: tuple[str, int]) -> None:
        self.context = context
        self.upstream = upstream
        self.port = 0
        self.sessions = 0  # connections whose TLS handshake succeeded
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls-proxy", daemon=True)

    def __enter__(self) -> TLSProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("TLS proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        # handshake failures are the point of some tests: keep them out of stderr
        self._loop.set_exception_handler(lambda loop, ctx: None)
        server = self._loop.run_until_complete(asyncio.start_server(
            self._session, "127.0.0.1", 0, ssl=self.context))
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
        self.sessions += 1
        try:
            broker_r, broker_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(self._pump(client_r, broker_w), self._pump(broker_r, client_w),
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
