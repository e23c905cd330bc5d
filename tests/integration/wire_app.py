"""A tiny ASGI app served by uvicorn with Podium's HTTP protocol, for wire-level tests.

Run as ``python wire_app.py PORT [stock]``: ``stock`` serves with uvicorn's own httptools protocol
instead, to compare. Routes: /small, /echo?i=N, /big (BIG bytes), /stream (chunked, STREAM_PARTS parts),
/writes (how many writes reached the event loop's socket transports so far).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

BIG = 3 * 2**20 + 17
STREAM_PARTS = 40


def big_body() -> bytes:
    return bytes(i % 251 for i in range(BIG))


def stream_part(i: int) -> bytes:
    return f"part {i:03d};".encode() * (i + 1)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for i in range(STREAM_PARTS):
            await send({"type": "http.response.body", "body": stream_part(i), "more_body": True})
            await asyncio.sleep(0)  # each part in a later loop turn
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/big":
        body = BIG_BODY
    elif path == "/writes":
        body = str(WRITES[0]).encode()
    elif path == "/echo":
        body = scope["query_string"]
    else:
        body = b"small"
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


BIG_BODY = big_body()
WRITES = [0]


class CountingTransport:
    """Stands between the event loop's transport and the protocol, counting the writes that reach it."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        WRITES[0] += 1
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def counting(protocol: Any) -> Any:
    class Counting(protocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(CountingTransport(transport))

    return Counting


if __name__ == "__main__":
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from podium.api.http_protocol import http_protocol

    stock = sys.argv[2:] == ["stock"]
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http=counting(HttpToolsProtocol if stock else http_protocol()),
        log_level="warning",
        access_log=False,
    )
