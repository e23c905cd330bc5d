"""Access lines: one info line a request (method, path, status, duration) on the ``podium.access`` logger.

Installed around the whole server only when asked for (``PODIUM_ACCESS_LOG=on``, ``podium server
--access-log``): a server without it runs no code of this module per request.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("podium.access")


class AccessLog:
    """ASGI wrapper that logs each HTTP request once its response is complete (or the request fails)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
            method, path = scope["method"], scope["path"]
            log.info(
                "%s %s %d %.1fms",
                method,
                path,
                status or 500,
                ms,
                extra={"method": method, "path": path, "status": status or 500, "durationMs": ms},
            )
