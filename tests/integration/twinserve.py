"""One Podium app served twice over loopback HTTP: through the fast lane, and through the router only.

Both listeners share one store, one commit barrier and one event loop (a background thread), so a
test can put the same request to each way in and compare the answers byte for byte.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from podium.api.app import create_app
from podium.api.durable import DurableResponses
from podium.api.fastlane import FastLane
from podium.domain.settings import Settings


@dataclass(frozen=True)
class Twin:
    fast_url: str  # FastLane in front of the app, as `podium server` runs it
    routed_url: str  # the same app with every request through FastAPI's router


def _listen() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def twin_servers(db_path: Path, max_payload_bytes: int = 64 * 1024) -> Iterator[Twin]:
    settings = Settings(db=f"sqlite:///{db_path}", max_payload_bytes=max_payload_bytes, server_id="twin")
    settings.run_background = False
    app = create_app(settings)
    barrier = app.state.barrier
    routed = DurableResponses(app, barrier, settings.server_id)
    fast = FastLane(routed, app.state.services, settings, barrier)
    socks = [_listen(), _listen()]
    servers = [
        uvicorn.Server(uvicorn.Config(fast, lifespan="on", log_level="warning")),
        uvicorn.Server(uvicorn.Config(routed, lifespan="off", log_level="warning")),
    ]

    async def serve() -> None:
        await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in zip(servers, socks, strict=True)))

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not all(s.started for s in servers):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("twin servers did not start")
            time.sleep(0.01)
        ports = [sock.getsockname()[1] for sock in socks]
        yield Twin(f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
    finally:
        for s in servers:
            s.should_exit = True
        thread.join(20)
        for sock in socks:
            sock.close()
