"""ASGI middleware: a response is sent only after the changes it acknowledges are committed."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.api.errors import error_body, status_of
from podium.domain.errors import BackendUnavailable
from podium.service.durability import CommitBarrier

log = logging.getLogger("podium.api")


class DurableResponses:
    """Holds each HTTP response start until the group commit covering the request is done."""

    def __init__(self, app: ASGIApp, barrier: CommitBarrier, instance: str) -> None:
        self.app = app
        self.barrier = barrier
        self.instance = instance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        failed = False
        answered = False
        status = 0

        async def durable_send(message: Message) -> None:
            nonlocal failed, answered, status
            if failed:
                return
            if message["type"] == "http.response.start":
                if not await wait_durable(self.barrier, send, self.instance):
                    failed = True
                    return
                status = message["status"]
            elif not message.get("more_body", False):
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, durable_send)
        except ClientDisconnect:
            pass  # nobody left to answer
        except Exception:
            # Starlette answers an unexpected error (our handler logs it and sends a 500), then raises it
            # again; uvicorn would then drop the connection after a response that did not say
            # "connection: close". Once the answer is whole the connection stays usable instead.
            if not answered:
                raise
            if status < 500:  # not the error's own answer, which was logged when it was made
                log.exception("error after a complete response")


async def wait_durable(barrier: CommitBarrier, send: Send, instance: str) -> bool:
    """Wait for the commit covering this request; False (after answering 503) if it failed."""
    try:
        await barrier.wait()
    except BackendUnavailable as e:
        await _send_error(send, status_of(e), error_body(e, instance))
        return False
    return True


async def _send_error(send: Send, status: int, body: dict[str, Any]) -> None:
    data = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
