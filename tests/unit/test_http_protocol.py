"""One socket write per response (api/http_protocol.py), on a real event loop with a recording transport."""

from __future__ import annotations

import asyncio
from typing import Any

from podium.api.http_protocol import CoalescingTransport


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
