"""``podium server``: uvicorn with Podium's logging, a start line once it listens and a stop line at the end."""

from __future__ import annotations

import logging
import socket
from types import FrameType
from typing import Any

import typer
import uvicorn

from podium import __version__
from podium.api.app import create_server
from podium.api.http_protocol import http_protocol
from podium.domain.errors import BackendUnavailable
from podium.domain.settings import Settings
from podium.logs import configure, start_line
from podium.store.postgres.migrations import SchemaUpgradeDenied

log = logging.getLogger("podium.server")


class TalkingServer(uvicorn.Server):
    """uvicorn's server that says when it listens (and where) and when it has stopped cleanly."""

    def __init__(self, config: uvicorn.Config, settings: Settings) -> None:
        super().__init__(config)
        self.settings = settings

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        view: dict[str, Any] = {
            "host": self.settings.host,
            "port": self._bound_port(),
            "db": self.settings.db,
            "auth": self.settings.auth,
        }
        log.info(start_line(__version__, view))

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Stop as uvicorn does on SIGINT/SIGTERM, without having it raise the signal again once stopped:
        raised again inside the event loop, a Ctrl-C ended a clean stop with a KeyboardInterrupt traceback."""
        super().handle_exit(sig, frame)
        self._captured_signals.clear()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        log.info("Podium stopped: every request answered, background loops ended, store closed")

    def _bound_port(self) -> int:
        for srv in self.servers:
            for sock in srv.sockets or ():
                name = sock.getsockname()
                if isinstance(name, tuple) and len(name) >= 2:
                    return int(name[1])
        return self.settings.port


def serve(settings: Settings) -> None:
    """Run the server until it is told to stop (Ctrl-C, SIGTERM)."""
    try:
        configure(settings.log_level, settings.log_format)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    try:
        served = create_server(settings)
    except (BackendUnavailable, SchemaUpgradeDenied) as e:  # the store cannot be opened: say why, once
        log.error("Podium cannot start: %s", e)
        raise typer.Exit(1) from None
    config = uvicorn.Config(
        served,
        host=settings.host,
        port=settings.port,
        log_config=None,  # logging is configured above (podium.logs), text or JSON
        loop="uvloop",
        # httptools, one socket write per response, slow-client deadlines (or uvicorn's own)
        http=http_protocol(limits=settings.limits),
        access_log=False,  # Podium's own access lines (api/access_log.py) when asked for
        # No per-request header rewriting (X-Forwarded-*) and no "server: uvicorn" on every response.
        proxy_headers=False,
        server_header=False,
    )
    TalkingServer(config, settings).run()
