"""The worker hot path served without the general router.

Poll, update and start are most of a busy server's requests. Matching them against every route and
solving FastAPI dependencies costs more than the work itself, so this middleware answers those exact
paths directly with the same handler functions the documented routes use, holding each response until
the commit that covers it (as ``DurableResponses`` does for the rest); everything else passes through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from podium.api.durable import wait_durable
from podium.api.errors import error_response
from podium.api.routes import tasks as task_routes
from podium.api.routes import workflow as workflow_routes
from podium.domain.errors import InvalidArgument
from podium.service.durability import CommitBarrier

_POLL_BATCH = "/api/tasks/poll/batch/"
Handler = Callable[[Request], Awaitable[Response]]


def _int(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(f"Query parameter '{name}' must be an integer, got '{raw}'") from None


async def _batch_poll(request: Request) -> Response:
    params = dict(parse_qsl(request.scope["query_string"].decode("latin-1")))
    task_type = unquote(request.scope["path"][len(_POLL_BATCH) :])
    return await task_routes.batch_poll(
        request,
        task_type,
        params.get("workerid"),
        params.get("domain"),
        _int(params, "count", 1),
        _int(params, "timeout", 100),
    )


_EXACT: dict[tuple[str, str], Handler] = {
    ("POST", "/api/tasks"): task_routes.update_task,
    ("POST", "/api/tasks/update-v2"): task_routes.update_task_v2,
    ("POST", "/api/workflow"): workflow_routes.start_workflow,
}


class FastLane:
    """Serves the hot worker endpoints; passes every other request to ``app``."""

    def __init__(self, app: ASGIApp, routes_app: ASGIApp, barrier: CommitBarrier, instance: str) -> None:
        self.app = app
        self.routes_app = routes_app  # the application the handlers see as ``request.app``
        self.barrier = barrier
        self.instance = instance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method = scope["method"]
            path = scope["path"]
            handler = _EXACT.get((method, path))
            if (
                handler is None
                and method == "GET"
                and path.startswith(_POLL_BATCH)
                and "/" not in path[len(_POLL_BATCH) :]
            ):
                handler = _batch_poll
            if handler is not None:
                scope["app"] = self.routes_app
                request = Request(scope, receive)
                try:
                    response = await handler(request)
                except Exception as e:
                    response = error_response(e, self.instance)
                if await wait_durable(self.barrier, send, self.instance):
                    await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
