"""The buffered transport returns exactly py-amqp's frames, whatever the
chunking, and keeps py-amqp's timeout semantics for partial frames."""

import socket
import struct
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.amqp_transport import BufferedTCPTransport


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    t = BufferedTCPTransport.__new__(BufferedTCPTransport)
    t.sock = a
    t.raise_on_initial_eintr = True
    t._setup_transport()
    t.connected = True
    yield t, b
    a.close()
    b.close()


@settings(max_examples=50, deadline=None)
@given(payloads=st.lists(st.binary(min_size=0, max_size=3000), min_size=1, max_size=20),
       cut=st.integers(min_value=1, max_value=700))
def test_frames_survive_any_chunking(payloads, cut):
    a, b = socket.socketpair()
    try:
        t = BufferedTCPTransport.__new__(BufferedTCPTransport)
        t.sock, t.raise_on_initial_eintr, t.connected = a, True, True
        t._setup_transport()
        wire = b"".join(frame(1, i % 7, p) for i, p in enumerate(payloads))

        def send():
            for i in range(0, len(wire), cut):
                b.sendall(wire[i:i + cut])

        sender = threading.Thread(target=send)
        sender.start()
        got = []
        for _ in payloads:
            with t.having_timeout(5):
                got.append(t.read_frame())
        sender.join()
        assert [(f[1], bytes(f[2])) for f in got] == [
            (i % 7, p) for i, p in enumerate(payloads)]
    finally:
        a.close()
        b.close()


def test_partial_frame_times_out_then_completes(pair):
    t, peer = pair
    whole = frame(3, 1, b"x" * 100)
    peer.sendall(whole[:50])
    with pytest.raises(TimeoutError):
        with t.having_timeout(0.05):
            t.read_frame()
    peer.sendall(whole[50:])
    with t.having_timeout(1):
        kind, channel, payload = t.read_frame()
    assert (kind, channel, bytes(payload)) == (3, 1, b"x" * 100)


def test_buffered_frame_does_not_touch_the_socket_timeout(pair):
    t, peer = pair
    peer.sendall(frame(1, 1, b"a") + frame(1, 2, b"b"))
    with t.having_timeout(1):
        t.read_frame()
    t.sock.settimeout(123.0)
    with t.having_timeout(0.01):  # the second frame is already buffered
        assert t.read_frame()[1] == 2
    assert t.sock.gettimeout() == 123.0


def test_server_closing_mid_frame_is_an_error(pair):
    t, peer = pair
    peer.sendall(frame(1, 1, b"abc")[:5])
    peer.close()
    with pytest.raises(OSError, match="unexpectedly closed"), t.having_timeout(1):
        t.read_frame()
