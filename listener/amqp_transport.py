"""A read-buffered AMQP transport for the kombu intake.

py-amqp reads each frame with three exact-size ``recv`` calls (header,
payload, end byte) and sets the socket timeout twice per frame; a delivery
is three frames. Profiling herald's consumer showed 9 ``recv`` and 6
``settimeout`` calls per notification, most of the intake's CPU. This
transport reads up to 64 KiB at a time into py-amqp's own read buffer and
skips the timeout dance when a complete frame is already buffered, so a
burst of deliveries costs one system call per few dozen notifications.
Frames are still parsed by py-amqp; only TCP is changed (TLS keeps
py-amqp's transport).
"""

from __future__ import annotations

import contextlib
import errno
import struct
from collections.abc import Iterator
from typing import Any

import amqp
from amqp import transport as amqp_transport
from kombu.transport import pyamqp

CHUNK = 65536
_HEADER = struct.Struct(">BHI")


class BufferedTCPTransport(amqp_transport.TCPTransport):
    """py-amqp's TCP transport with chunked reads into an offset buffer.

    ``_read_buffer`` stays available as py-amqp uses it (``read_frame``
    puts a partial frame back into it on timeout); reads advance an offset
    instead of copying the rest of the buffer each time.
    """

    _buf = b""
    _pos = 0

    @property
    def _read_buffer(self) -> bytes:
        return self._buf[self._pos:] if self._pos else self._buf

    @_read_buffer.setter
    def _read_buffer(self, value: bytes) -> None:
        self._buf, self._pos = value, 0

    def _read(self, n: int, initial: bool = False,
              _errnos: tuple[int, ...] = (errno.EAGAIN, errno.EINTR)) -> bytes:
        buf, pos = self._buf, self._pos
        end = pos + n
        if end <= len(buf):  # the common case: no system call
            self._pos = end
            return buf[pos:end]
        rbuf = buf[pos:]
        recv = self._quick_recv
        try:
            while len(rbuf) < n:
                try:
                    s = recv(max(n - len(rbuf), CHUNK))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise TimeoutError() from None
                        continue
                    raise
                if not s:
                    raise OSError("Server unexpectedly closed connection")
                rbuf += s
        except BaseException:  # keep what was read, as py-amqp does
            self._buf, self._pos = rbuf, 0
            raise
        self._buf, self._pos = rbuf, n
        return rbuf[:n]

    def _frame_buffered(self) -> bool:
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 7:
            return False
        return len(buf) - pos >= 8 + _HEADER.unpack_from(buf, pos)[2]

    @contextlib.contextmanager
    def having_timeout(self, timeout: float | None) -> Iterator[Any]:
        if timeout is None or self._frame_buffered():
            # nothing will block: leave the socket's timeout alone
            yield self.sock
            return
        with super().having_timeout(timeout) as sock:
            yield sock


class _AmqpConnection(pyamqp.Connection):
    def Transport(self, host: str, connect_timeout: float | None,  # noqa: N802 - py-amqp API
                  ssl: Any = False, read_timeout: float | None = None,
                  write_timeout: float | None = None, socket_settings: Any = None,
                  **kwargs: Any) -> Any:
        if ssl:
            return super().Transport(host, connect_timeout, ssl=ssl, read_timeout=read_timeout,
                                     write_timeout=write_timeout,
                                     socket_settings=socket_settings, **kwargs)
        return BufferedTCPTransport(host, connect_timeout=connect_timeout,
                                    read_timeout=read_timeout, write_timeout=write_timeout,
                                    socket_settings=socket_settings, **kwargs)


class Transport(pyamqp.Transport):
    """kombu transport class: pass as ``kombu.Connection(transport=...)``."""

    Connection = _AmqpConnection


__all__ = ["BufferedTCPTransport", "Transport", "amqp"]
