"""The coalescing HTTP protocol over real sockets: uvicorn serves wire_app.py on loopback, raw sockets talk.

Checks what write coalescing could break: responses in order on a pipelined keep-alive connection,
a multi-megabyte body, a chunked stream, a client that hangs up mid-response; and what it is for:
a small response reaches the client whole in its first read.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wire_app

from conftest import ServerProcess, free_port

HERE = Path(__file__).resolve().parent
SMALL = b"GET /small HTTP/1.1\r\nhost: t\r\n\r\n"


class Conn:
    """A raw HTTP/1.1 client connection that reads exactly one response at a time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._more()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int(self._line().split(b";")[0], 16):
                parts.append(self._take(size))
                assert self._take(2) == b"\r\n"
            assert self._line() == b""  # no trailers
            return int(status_line.split()[1]), headers, b"".join(parts)
        return int(status_line.split()[1]), headers, self._take(int(headers["content-length"]))

    def close(self) -> None:
        self.sock.close()


def start_wire_app(port: int, *extra: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "wire_app.py"), str(port), *extra],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])},
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"wire app did not start: {proc.communicate()[1].decode()[-2000:]}") from None
            time.sleep(0.02)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    port = free_port()
    proc = start_wire_app(port)
    yield port
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    # Nothing went wrong on the server side, and the coalescing protocol was in use (no fallback warning).
    assert b"Traceback" not in err and b"without write coalescing" not in err, err.decode()


def first_read(port: int, request: bytes, conn: socket.socket | None = None) -> bytes:
    """What one recv gives once the answer to ``request`` starts arriving."""
    sock = conn or socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(request)
    assert select.select([sock], [], [], 10)[0]
    data = sock.recv(65536)
    if conn is None:
        sock.close()
    return data


def test_pipelined_requests_on_one_keep_alive_connection_answer_in_order(port: int) -> None:
    c = Conn(port)
    try:
        c.sock.sendall(b"".join(f"GET /echo?i={i} HTTP/1.1\r\nhost: t\r\n\r\n".encode() for i in range(20)))
        for i in range(20):
            status, headers, body = c.response()
            assert (status, body) == (200, f"i={i}".encode())
            assert headers.get("connection") != "close"
        for i in range(3):  # still open, one request at a time
            c.sock.sendall(f"GET /echo?i=again{i} HTTP/1.1\r\nhost: t\r\n\r\n".encode())
            assert c.response()[::2] == (200, f"i=again{i}".encode())
        assert c.buf == b""
    finally:
        c.close()


def test_a_large_body_arrives_whole_and_the_connection_stays_usable(port: int) -> None:
    c = Conn(port)
    try:
        for _ in range(2):
            c.sock.sendall(b"GET /big HTTP/1.1\r\nhost: t\r\n\r\n" + SMALL)
            status, headers, body = c.response()
            assert status == 200 and int(headers["content-length"]) == len(body) == wire_app.BIG
            assert body == wire_app.BIG_BODY
            assert c.response()[::2] == (200, b"small")
    finally:
        c.close()


def test_a_chunked_stream_arrives_in_order(port: int) -> None:
    c = Conn(port)
    try:
        c.sock.sendall(b"GET /stream HTTP/1.1\r\nhost: t\r\n\r\n" + SMALL)
        status, headers, body = c.response()
        assert status == 200 and headers["transfer-encoding"] == "chunked"
        assert body == b"".join(wire_app.stream_part(i) for i in range(wire_app.STREAM_PARTS))
        assert c.response()[::2] == (200, b"small")
    finally:
        c.close()


@pytest.mark.parametrize("path", ["/big", "/stream"])
def test_a_client_that_hangs_up_mid_response_leaves_the_server_serving(port: int, path: str) -> None:
    for abort in (False, True):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(f"GET {path} HTTP/1.1\r\nhost: t\r\n\r\n".encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        if abort:  # a reset rather than an orderly close
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        c = Conn(port)
        try:
            c.sock.sendall(SMALL)
            assert c.response()[::2] == (200, b"small")
        finally:
            c.close()


def test_a_small_response_arrives_in_one_segment(port: int) -> None:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        for _ in range(50):  # one keep-alive connection, one read per response
            data = first_read(port, SMALL, conn)
            assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n\r\nsmall"), data
    finally:
        conn.close()


def test_each_small_response_is_one_socket_write(port: int) -> None:
    """Counted where the writes reach the event loop's transport: uvicorn alone makes two per response."""
    c = Conn(port)
    try:
        c.sock.sendall(b"GET /writes HTTP/1.1\r\nhost: t\r\n\r\n")
        before = int(c.response()[2])
        for _ in range(25):
            c.sock.sendall(SMALL)
            assert c.response()[::2] == (200, b"small")
        c.sock.sendall(b"GET /writes HTTP/1.1\r\nhost: t\r\n\r\n")
        after = int(c.response()[2])
        assert after - before == 25 + 1  # the small ones and the first /writes answer
    finally:
        c.close()


def test_the_podium_server_answers_small_requests_in_one_segment(server: ServerProcess) -> None:
    """`podium server` itself runs the coalescing protocol: health and an error answer come whole."""
    for request in (b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n", b"GET /api/tasks/nope HTTP/1.1\r\nhost: t\r\n\r\n"):
        for _ in range(10):
            data = first_read(server.port, request)
            head, sep, body = data.partition(b"\r\n\r\n")
            length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
            assert sep and len(body) == length > 0, data
    assert "without write coalescing" not in server.log_path.read_text()
