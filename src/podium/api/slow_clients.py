"""Deadlines for slow clients (slowloris): a request's headers, then its body, must arrive in time.

uvicorn closes a keep-alive connection that stays idle between requests (``timeout_keep_alive``) but
sets no limit while a request is arriving: a connection that never finishes its headers, or dribbles
its body a byte at a time, is held open forever. ``with_deadlines`` adds the missing limits to the
httptools protocol through its parser callbacks (``on_message_begin`` / ``on_headers_complete`` /
``on_message_complete``), which only store a deadline on the connection: no timer per request. One
periodic sweep per event loop closes the connections whose deadline has passed. A late body is
answered ``408 Request Timeout`` (with ``connection: close``) when no response has started yet.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Final, cast

PARSER_CALLBACKS: Final = ("on_message_begin", "on_headers_complete", "on_message_complete")
HEADERS: Final = 0
BODY: Final = 1


def _response_408() -> bytes:
    text = b"Request body not sent in time"
    return (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
    )


RESPONSE_408: Final = _response_408()


class Sweep:
    """The connections of one event loop that are waiting on their client, checked every ``period`` s."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float) -> None:
        self.loop = loop
        self.period = period
        self.open: set[Any] = set()
        self._handle: asyncio.TimerHandle | None = None

    def add(self, conn: Any) -> None:
        self.open.add(conn)
        if self._handle is None:
            self._handle = self.loop.call_later(self.period, self._run)

    def discard(self, conn: Any) -> None:
        self.open.discard(conn)

    def _run(self) -> None:
        now = self.loop.time()
        for conn in [c for c in self.open if c._deadline is not None and c._deadline <= now]:
            conn._deadline = None
            conn._expire()
        self._handle = self.loop.call_later(self.period, self._run) if self.open else None


def deadlines_unfit(stock: type) -> str | None:
    """Why deadlines cannot be added to ``stock``, or None: it needs httptools' parser callbacks."""
    for name in (*PARSER_CALLBACKS, "connection_lost"):
        method = getattr(stock, name, None)
        if method is None or not inspect.isfunction(method):
            return f"{stock.__qualname__}.{name} is not a plain method"
        want = 2 if name == "connection_lost" else 1
        if len(inspect.signature(method).parameters) != want:
            return f"{stock.__qualname__}.{name}{inspect.signature(method)} has an unexpected shape"
    return None


def with_deadlines(stock: type[asyncio.Protocol], header_timeout_s: float, body_timeout_s: float) -> dict[str, Any]:
    """Methods (a class namespace) that give ``stock`` header and body deadlines.

    Call only when ``deadlines_unfit(stock)`` is None. The namespace's ``connection_made`` must be
    called by the subclass's own ``connection_made`` after the stock one (it is named ``_arm``).
    """
    begin = cast(Any, stock).on_message_begin
    headers_done = cast(Any, stock).on_headers_complete
    message_done = cast(Any, stock).on_message_complete
    lost = stock.connection_lost
    period = min(max(min(header_timeout_s, body_timeout_s) / 4, 0.02), 1.0)
    sweeps: dict[asyncio.AbstractEventLoop, Sweep] = {}

    def _arm(self: Any) -> None:
        loop = asyncio.get_running_loop()
        sweep = sweeps.get(loop)
        if sweep is None:
            sweep = sweeps[loop] = Sweep(loop, period)
        self._sweep = sweep
        self._phase = HEADERS
        self._deadline = loop.time() + header_timeout_s  # a connection that never sends a byte, too
        sweep.add(self)

    def on_message_begin(self: Any) -> None:
        begin(self)
        if self._deadline is None:  # a fresh connection's first request keeps the deadline it has
            self._phase = HEADERS
            self._deadline = self._sweep.loop.time() + header_timeout_s

    def on_headers_complete(self: Any) -> None:
        headers_done(self)
        self._phase = BODY
        self._deadline = self._sweep.loop.time() + body_timeout_s

    def on_message_complete(self: Any) -> None:
        message_done(self)
        self._deadline = None

    def connection_lost(self: Any, exc: Exception | None) -> None:
        lost(self, exc)
        sweep = getattr(self, "_sweep", None)
        if sweep is not None:
            sweep.discard(self)

    def _expire(self: Any) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        cycle = getattr(self, "cycle", None)
        if self._phase == BODY and cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # the 408 is the answer: the app's own, if any, is dropped
            transport.write(RESPONSE_408)
        transport.close()

    return {
        "_arm": _arm,
        "_expire": _expire,
        "_deadline": None,
        "on_message_begin": on_message_begin,
        "on_headers_complete": on_headers_complete,
        "on_message_complete": on_message_complete,
        "connection_lost": connection_lost,
    }
