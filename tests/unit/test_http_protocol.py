"""One socket write per response (api/http_protocol.py), on a real event loop with a recording transport;
the start-up check that falls back to uvicorn's own protocol when its internals are not as expected."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from podium.api.http_protocol import FALLBACK, CoalescingTransport, coalescing_unfit, http_protocol


class _Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.sent.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_writes_of_one_turn_go_out_together_in_order() -> None:
    async def scenario() -> list[list[bytes]]:
        real = _Recorder()
        t = CoalescingTransport(real, asyncio.get_running_loop())
        seen = []
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(memoryview(b"body-1"))
        seen.append(list(real.sent))  # nothing sent yet within the turn
        await asyncio.sleep(0)
        seen.append(list(real.sent))
        t.write(b"second")
        await asyncio.sleep(0)
        seen.append(list(real.sent))
        t.write(b"last words")
        t.close()  # flushes first
        seen.append(list(real.sent))
        await asyncio.sleep(0)
        seen.append(list(real.sent))  # the scheduled flush finds nothing left
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == []
    assert seen[1] == [b"HTTP/1.1 200 OK\r\n\r\nbody-1"]
    assert seen[2] == [b"HTTP/1.1 200 OK\r\n\r\nbody-1", b"second"]
    assert seen[3] == seen[4] == [b"HTTP/1.1 200 OK\r\n\r\nbody-1", b"second", b"last words"]


def test_nothing_is_written_to_a_closing_transport() -> None:
    async def scenario() -> list[bytes]:
        real = _Recorder()
        t = CoalescingTransport(real, asyncio.get_running_loop())
        t.write(b"late")
        real.closed = True  # the peer went away before the turn ended
        await asyncio.sleep(0)
        return real.sent

    assert asyncio.run(scenario()) == []


class _NoConnectionMade(asyncio.Protocol):
    def data_received(self, data: bytes) -> None:
        return None


class _OtherShape(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport, extra: int = 0) -> None:  # type: ignore[override]
        return None


class _Keeps(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport


def test_uvicorns_httptools_protocol_is_coalesced_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    chosen = http_protocol()
    assert isinstance(chosen, type) and issubclass(chosen, HttpToolsProtocol)
    assert coalescing_unfit(HttpToolsProtocol) is None
    assert not caplog.records


@pytest.mark.parametrize("stock", [_NoConnectionMade, _OtherShape, object, "httptools", len])
def test_an_unexpected_stock_protocol_falls_back_with_one_warning(
    stock: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="podium.api"):
        assert http_protocol(stock) == FALLBACK == "auto"
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert coalescing_unfit(stock) in caplog.records[0].getMessage()


def test_the_subclass_hands_the_stock_protocol_a_coalescing_transport() -> None:
    cls = http_protocol(_Keeps)
    assert isinstance(cls, type) and issubclass(cls, _Keeps)

    async def scenario() -> list[bytes]:
        real = _Recorder()
        proto = cls()
        proto.connection_made(real)
        assert isinstance(proto, _Keeps) and isinstance(proto.transport, CoalescingTransport)
        proto.transport.write(b"head;")
        proto.transport.write(b"body")
        await asyncio.sleep(0)
        return real.sent

    assert asyncio.run(scenario()) == [b"head;body"]


def test_httptools_protocol_gets_slow_client_deadlines_and_others_are_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from podium.api.slow_clients import deadlines_unfit

    assert deadlines_unfit(HttpToolsProtocol) is None
    chosen = http_protocol()
    assert isinstance(chosen, type) and "_expire" in vars(chosen)
    with caplog.at_level(logging.WARNING, logger="podium.api"):
        plain = http_protocol(_Keeps)
    assert isinstance(plain, type) and "_expire" not in vars(plain)
    assert "slow clients are not timed out" in caplog.records[0].getMessage()
    assert http_protocol(_Keeps, limits=None) is not None  # no limits asked for: no deadlines, no warning
