"""uvicorn's httptools protocol, sending each response in one socket write instead of two.

uvicorn writes a response's status line and headers, then its body, as two ``transport.write``
calls, and uvloop sends each at once. On loopback a send also runs the peer's TCP receive path, so
two sends per response cost the server twice that. ``CoalescingTransport`` holds the writes one
event-loop turn makes to a connection and sends them together at the end of the turn (before the
connection closes, if it does), in order.

The protocol class that installs it subclasses uvicorn's ``HttpToolsProtocol``, which is not public
API, so ``http_protocol`` checks at start-up that the class still has the shape the subclass relies
on and otherwise falls back, with one warning, to uvicorn's own protocol. The same class carries the
slow-client deadlines of ``slow_clients``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, cast

from podium.api.slow_clients import deadlines_unfit, with_deadlines
from podium.domain.limits import DEFAULT_LIMITS, Limits

log = logging.getLogger("podium.api")

FALLBACK = "auto"  # uvicorn's own choice: httptools when installed, else h11


class CoalescingTransport(asyncio.Transport):
    """A transport whose writes within one loop turn go out as one send."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._pending)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()


def coalescing_unfit(stock: object) -> str | None:
    """Why the coalescing protocol cannot be built on ``stock``, or None when it can.

    The subclass only overrides ``connection_made(self, transport)`` to hand the stock protocol a
    wrapped transport, which works while the stock class is an asyncio protocol that defines that
    method with that shape (and so keeps the transport it is given for its writes).
    """
    if not (isinstance(stock, type) and issubclass(stock, asyncio.Protocol)):
        return f"{stock!r} is not an asyncio protocol class"
    made = getattr(stock, "connection_made", None)
    if made is None or made is asyncio.BaseProtocol.connection_made:
        return f"{stock.__qualname__} does not define connection_made"
    if not inspect.isfunction(made):
        return f"{stock.__qualname__}.connection_made is not a plain method"
    params = list(inspect.signature(made).parameters.values())
    if len(params) != 2 or any(p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params):
        return f"{stock.__qualname__}.connection_made{inspect.signature(made)} is not (self, transport)"
    return None


def coalescing_protocol(stock: type[asyncio.Protocol], limits: Limits | None = None) -> type[asyncio.Protocol]:
    """``stock`` over a ``CoalescingTransport`` (call only when ``coalescing_unfit(stock)`` is None), with
    the slow-client deadlines of ``limits`` when ``stock`` has httptools' parser callbacks."""
    stock_made = stock.connection_made
    namespace: dict[str, Any] = {"__module__": __name__}
    arm = None
    if limits is not None:
        problem = deadlines_unfit(stock)
        if problem is None:
            namespace.update(
                with_deadlines(stock, limits.http_header_timeout_ms / 1000.0, limits.http_body_timeout_ms / 1000.0)
            )
            arm = namespace["_arm"]
        else:
            log.warning("slow clients are not timed out (no header/body deadlines): %s", problem)

    def connection_made(self: asyncio.Protocol, transport: asyncio.BaseTransport) -> None:
        wrapped = CoalescingTransport(cast(asyncio.Transport, transport), asyncio.get_running_loop())
        stock_made(self, wrapped)
        if arm is not None:
            arm(self)

    namespace["connection_made"] = connection_made
    namespace["__doc__"] = f"{stock.__qualname__} over a CoalescingTransport: one socket write per response."
    return cast(type[asyncio.Protocol], type("PodiumHttpProtocol", (stock,), namespace))


def http_protocol(stock: object = None, limits: Limits | None = DEFAULT_LIMITS) -> type[asyncio.Protocol] | str:
    """uvicorn's ``http`` setting: the coalescing protocol on ``stock`` (default: uvicorn's httptools
    protocol) with the header/body deadlines of ``limits``, or ``FALLBACK`` after one warning when that
    class is missing or has changed shape (uvicorn's own protocol then has no such deadlines)."""
    if stock is None:
        try:
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
        except ImportError as e:
            return _fallback(f"uvicorn's httptools protocol cannot be imported ({e})")
        stock = HttpToolsProtocol
    problem = coalescing_unfit(stock)
    if problem is not None:
        return _fallback(problem)
    return coalescing_protocol(cast(type[asyncio.Protocol], stock), limits)


def _fallback(reason: str) -> str:
    log.warning(
        "serving HTTP with uvicorn's %r protocol, without write coalescing or slow-client deadlines: %s",
        FALLBACK,
        reason,
    )
    return FALLBACK
