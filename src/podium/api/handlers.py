"""The worker hot path as plain functions of already-parsed arguments.

The documented routes (routes/tasks.py, routes/workflow.py) and the fast lane (fastlane.py) both
parse a request their own way and then call these, so either way in gives the same answer.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from podium.api.responses import NO_CONTENT, empty, json_response, text_response
from podium.api.views import task_view
from podium.domain import statuses as st
from podium.domain.errors import InvalidArgument
from podium.service import starting
from podium.service.container import Services

MAX_POLL_TIMEOUT_MS = 5000
DEFAULT_POLL_COUNT = 1
DEFAULT_POLL_TIMEOUT_MS = 100


async def handle_batch_poll(
    svc: Services, task_type: str, worker_id: str | None, domain: str | None, count: int, timeout_ms: int
) -> Response:
    """GET /api/tasks/poll/batch/{tasktype}: up to ``count`` tasks, long-polling up to ``timeout_ms``."""
    if count < 1:
        raise InvalidArgument(f"count must be >= 1, got {count}")
    if timeout_ms > MAX_POLL_TIMEOUT_MS:
        raise InvalidArgument(f"Long Poll Timeout value cannot be more than {MAX_POLL_TIMEOUT_MS} ms")
    if timeout_ms < 0:
        raise InvalidArgument("timeout must be >= 0")
    tasks = await svc.queues.long_poll(task_type, worker_id, domain, count, timeout_ms)
    return json_response([task_view(t) for t in tasks])


def handle_update_task(svc: Services, body: Any) -> Response:
    """POST /api/tasks: apply a TaskResult; answers the task id."""
    task = svc.tasks.update(body)
    return text_response(task["taskId"])


def handle_update_task_v2(svc: Services, body: Any) -> Response:
    """POST /api/tasks/update-v2: apply a TaskResult; answers the worker's next task of that type, if any.

    No next task is a bare 204 (no Content-Type), as Conductor answers: conductor-python reads it as
    "none", and the JS SDK gets a ``null`` body (a 204 labelled JSON would become ``{}`` there)."""
    task = svc.tasks.update(body)
    if not st.task_terminal(task["status"]):
        return empty(NO_CONTENT)
    worker = body.get("workerId") if isinstance(body, dict) else None
    nxt = svc.tasks.poll(task["taskType"], worker, task.get("domain"), 1)
    return json_response(task_view(nxt[0])) if nxt else empty(NO_CONTENT)


def handle_start_workflow(svc: Services, body: Any) -> Response:
    """POST /api/workflow: start from a StartWorkflowRequest; answers the workflow id."""
    return text_response(starting.start(svc.engine, body))
