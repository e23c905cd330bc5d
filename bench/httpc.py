"""A minimal HTTP/1.1 keep-alive client on an asyncio protocol.

The benchmark's workers and load generator share two cores with the server, so their own cost per
request must stay small: one write per request, one header scan per response, no header objects.
It speaks just enough HTTP for Podium's API (Content-Length or chunked bodies, keep-alive).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

import orjson

JSON = b"application/json"
T = TypeVar("T")


class ConnectionLost(ConnectionError):
    """The server closed the connection or could not be reached."""


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's class is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buf += data
        w = self.waiter
        if w is not None and not w.done():
            parsed = _parse(self.buf)
            if parsed is not None:
                self.waiter = None
                w.set_result(parsed)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        w = self.waiter
        if w is not None and not w.done():
            w.set_exception(ConnectionLost(str(exc) if exc else "connection closed"))
        self.waiter = None


def _parse(buf: bytearray) -> tuple[int, bytes] | None:
    """Take one complete response off the front of ``buf``; None while it is incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    status = int(buf[9:12])
    length = -1
    chunked = False
    for line in bytes(buf[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    start = end + 4
    if chunked:
        return _parse_chunked(buf, status, start)
    if length < 0:
        length = 0  # 204/304 or a body-less answer
    if len(buf) < start + length:
        return None
    body = bytes(buf[start : start + length])
    del buf[: start + length]
    return status, body


def _parse_chunked(buf: bytearray, status: int, pos: int) -> tuple[int, bytes] | None:
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            tail = buf.find(b"\r\n", pos)
            if tail < 0:
                return None
            del buf[: tail + 2]
            return status, b"".join(parts)
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, host: str, port: int, proto: _Protocol) -> None:
        self.host = host
        self.port = port
        self._proto = proto
        self._host_header = f"Host: {host}:{port}\r\n".encode()

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            _, proto = await loop.create_connection(_Protocol, host, port)
        except OSError as e:
            raise ConnectionLost(str(e)) from e
        return cls(host, port, proto)

    @property
    def closed(self) -> bool:
        return self._proto.closed

    async def request(
        self, method: str, path: str, body: bytes | None = None, content_type: bytes = JSON
    ) -> tuple[int, bytes]:
        """Send one request and wait for its response: (status, body)."""
        proto = self._proto
        if proto.closed or proto.transport is None:
            raise ConnectionLost("connection closed")
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._host_header
        if body is None:
            msg = head + b"\r\n" if method == "GET" else head + b"Content-Length: 0\r\n\r\n"
        else:
            msg = b"%sContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (head, content_type, len(body), body)
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        parsed = _parse(proto.buf) if proto.buf else None
        if parsed is not None:  # pragma: no cover - a response never arrives unasked
            raise ConnectionLost("unexpected response data")
        proto.waiter = fut
        proto.transport.write(msg)
        return await fut

    async def json(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        """A request with an optional JSON body; a JSON answer is decoded (text answers stay str)."""
        body = None if payload is None else orjson.dumps(payload)
        status, raw = await self.request(method, path, body)
        if not raw:
            return status, None
        try:
            return status, orjson.loads(raw)
        except orjson.JSONDecodeError:
            return status, raw.decode("utf-8", "replace")

    def close(self) -> None:
        t = self._proto.transport
        if t is not None:
            with contextlib.suppress(Exception):
                t.close()


async def connect_retry(host: str, port: int, deadline: float) -> Connection:
    """Open a connection, retrying every 20 ms until ``deadline`` (loop time) passes."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            return await Connection.open(host, port)
        except ConnectionLost:
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(0.02)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop when it is installed (it is, with the server extra)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    return uvloop.run(coro)
