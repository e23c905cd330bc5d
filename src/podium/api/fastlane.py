"""The worker hot path served without the general router.

Poll, update and start are most of a busy server's requests. Matching them against every route and
solving FastAPI dependencies costs more than the work itself, so this middleware answers those exact
paths itself: it parses the request the way the documented routes do (same validation, same error
bodies) and calls the same plain handlers (handlers.py), holding each response until the commit
that covers it (as ``DurableResponses`` does for the rest); everything else passes through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from podium.api import handlers
from podium.api.auth import stamp_start
from podium.api.body import parse_json, read_body
from podium.api.durable import wait_durable
from podium.api.errors import error_response, request_validation_failed
from podium.domain.settings import Settings
from podium.service.container import Services
from podium.service.durability import CommitBarrier

_POLL_BATCH = "/api/tasks/poll/batch/"
# The route declares these parameters ``int``; FastAPI validates them with pydantic in lax mode, so
# the same adapter accepts and refuses the same strings ("1.0", " 7 " and "1_0" pass; "", "1e3" fail).
_INT = TypeAdapter(int)

BodyHandler = Callable[[Services, Any], Response]

_WITH_BODY: dict[tuple[str, str], BodyHandler] = {
    ("POST", "/api/tasks"): handlers.handle_update_task,
    ("POST", "/api/tasks/update-v2"): handlers.handle_update_task_v2,
    ("POST", "/api/workflow"): handlers.handle_start_workflow,
}
_UPDATES = (handlers.handle_update_task, handlers.handle_update_task_v2)


def poll_task_type(method: str, path: str) -> str | None:
    """The task type of a batch-poll request, or None when the route would not match it."""
    if method != "GET" or not path.startswith(_POLL_BATCH):
        return None
    task_type = path[len(_POLL_BATCH) :]
    return task_type if task_type and "/" not in task_type else None


def query_params(scope: Scope) -> dict[str, str]:
    """The query string as the routes read it: blank values kept, the last of repeated names wins."""
    return dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))


def query_ints(params: dict[str, str], defaults: dict[str, int]) -> list[int]:
    """Integer query parameters in declaration order; a 400 naming every bad one, as the routes answer."""
    values: list[int] = []
    errors: list[dict[str, Any]] = []
    for name, default in defaults.items():
        raw = params.get(name)
        if raw is None:
            values.append(default)
            continue
        try:
            values.append(_INT.validate_python(raw))
        except ValidationError as e:
            errors.extend({"loc": ("query", name), "msg": err["msg"]} for err in e.errors())
    if errors:
        raise request_validation_failed(errors)
    return values


class FastLane:
    """Serves the hot worker endpoints; passes every other request to ``app``."""

    def __init__(self, app: ASGIApp, svc: Services, settings: Settings, barrier: CommitBarrier) -> None:
        self.app = app
        self.svc = svc
        self.limit = settings.max_payload_bytes
        self.depth = settings.limits.json_depth
        self.instance = settings.server_id
        self.barrier = barrier
        self.tasks = svc.tasks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method: str = scope["method"]
            path: str = scope["path"]
            work: Awaitable[Response] | None = None
            handler = _WITH_BODY.get((method, path))
            if handler is not None:
                work = self._with_body(handler, scope, receive)
            elif (task_type := poll_task_type(method, path)) is not None:
                work = self._batch_poll(task_type, scope)
            if work is not None:
                try:
                    response = await work
                except Exception as e:
                    response = error_response(e, self.instance)
                if await wait_durable(self.barrier, send, self.instance):
                    await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _with_body(self, handler: BodyHandler, scope: Scope, receive: Receive) -> Response:
        body = parse_json(await read_body(scope, receive, self.limit), max_depth=self.depth)
        if handler is handlers.handle_start_workflow:
            stamp_start(scope, body)
        elif handler in _UPDATES and isinstance(body, dict):
            wid = body.get("workflowInstanceId")
            if isinstance(wid, str) and self.tasks.expect_update(wid):
                await asyncio.sleep(0)  # the other requests parsed in this turn name theirs before any runs
        return handler(self.svc, body)

    async def _batch_poll(self, task_type: str, scope: Scope) -> Response:
        params = query_params(scope)
        count, timeout = query_ints(
            params, {"count": handlers.DEFAULT_POLL_COUNT, "timeout": handlers.DEFAULT_POLL_TIMEOUT_MS}
        )
        return await handlers.handle_batch_poll(
            self.svc, task_type, params.get("workerid"), params.get("domain"), count, timeout
        )
