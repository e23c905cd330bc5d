"""/api/tasks: the worker protocol — poll, update, logs, queues (docs/compatibility.md#tasks-apitasks)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.body import json_body, text_body
from podium.api.deps import services
from podium.api.handlers import (
    DEFAULT_POLL_COUNT,
    DEFAULT_POLL_TIMEOUT_MS,
    handle_batch_poll,
    handle_update_task,
    handle_update_task_v2,
)
from podium.api.responses import NO_CONTENT, empty, json_response, text_response
from podium.api.search_params import SearchParams, search_params
from podium.api.views import task_view, workflow_view
from podium.domain.errors import InvalidArgument
from podium.domain.model import Task
from podium.service import signals

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.get("/poll/batch/{tasktype}", summary="Batch poll (long-poll up to `timeout` ms) → Task[]")
async def batch_poll(
    request: Request,
    tasktype: str,
    workerid: str | None = Query(None),
    domain: str | None = Query(None),
    count: int = Query(DEFAULT_POLL_COUNT),
    timeout: int = Query(DEFAULT_POLL_TIMEOUT_MS),
) -> Response:
    return await handle_batch_poll(services(request), tasktype, workerid, domain, count, timeout)


@router.get("/poll/{tasktype}", summary="Poll one task → Task, or 204 when none")
async def poll(
    request: Request,
    tasktype: str,
    workerid: str | None = Query(None),
    domain: str | None = Query(None),
) -> Response:
    tasks = await services(request).queues.long_poll(tasktype, workerid, domain, 1, 0)
    if not tasks:
        return empty(NO_CONTENT)
    return json_response(task_view(tasks[0]))


@router.post("", summary="Update a task (TaskResult) → task id", openapi_extra=B.json_body(B.TASK_RESULT))
async def update_task(request: Request) -> Response:
    return handle_update_task(services(request), await json_body(request))


@router.post(
    "/update-v2",
    summary="Update a task; returns the next task of the same type for this worker",
    openapi_extra=B.json_body(B.TASK_RESULT),
)
async def update_task_v2(request: Request) -> Response:
    return handle_update_task_v2(services(request), await json_body(request))


@router.get("/queue/sizes", summary="Queue depth per task type")
async def queue_sizes(request: Request, taskType: list[str] = Query([])) -> Response:
    # Spring binds ``taskType=a,b`` to a list of two, as it does repeated parameters.
    types = [t for v in taskType for t in v.split(",") if t]
    return json_response(services(request).queues.sizes(types))


@router.get("/queue/size", summary="Depth of one queue")
async def queue_size(
    request: Request,
    taskType: str = Query(...),
    domain: str | None = Query(None),
    isolationGroupId: str | None = Query(None),
    executionNamespace: str | None = Query(None),
) -> Response:
    return json_response(services(request).queues.size(taskType, domain, executionNamespace, isolationGroupId))


@router.get("/queue/all", summary="Depth of every queue")
async def queue_all(request: Request) -> Response:
    sizes = services(request).queues.all()
    return json_response({q: total for q, (total, _unacked) in sizes.items()})


@router.get("/queue/all/verbose", summary="Depth and unacked count of every queue")
async def queue_all_verbose(request: Request) -> Response:
    sizes = services(request).queues.all()
    return json_response({q: {"a": {"size": total - un, "uacked": un}} for q, (total, un) in sizes.items()})


@router.get("/queue/polldata", summary="Last poll per worker and domain for a task type")
async def poll_data(request: Request, taskType: str = Query(...)) -> Response:
    return json_response(services(request).poll_data.for_type(taskType))


@router.get("/queue/polldata/all", summary="Last poll of every queue")
async def poll_data_all(request: Request) -> Response:
    return json_response(services(request).poll_data.all())


@router.post("/queue/requeue/{taskType}", summary="Make every pending message of a type visible now")
async def requeue(request: Request, taskType: str) -> Response:
    return text_response(str(services(request).queues.requeue(taskType)))


@router.get("/search", summary="Search tasks → SearchResult<TaskSummary>")
async def search_tasks(request: Request, p: SearchParams = Depends(search_params)) -> Response:
    return json_response(services(request).search.tasks(p.tasks(), summaries=True))


@router.get("/search-v2", summary="Search tasks → SearchResult<Task>")
async def search_tasks_v2(request: Request, p: SearchParams = Depends(search_params)) -> Response:
    return json_response(services(request).search.tasks(p.tasks(), summaries=False))


@router.get("/{task_id}/log", summary="Logs of a task (204 when none)")
async def get_logs(request: Request, task_id: str) -> Response:
    logs = services(request).tasks.logs(task_id)
    if not logs:
        return empty(NO_CONTENT)
    return json_response(logs)


@router.post("/{task_id}/log", summary="Append a log line to a task (raw text body)", openapi_extra=B.TEXT_BODY)
async def add_log(request: Request, task_id: str) -> Response:
    services(request).tasks.add_log(task_id, await text_body(request))
    return empty()


@router.get("/{task_id}", summary="A task")
async def get_task(request: Request, task_id: str) -> Response:
    return json_response(task_view(services(request).tasks.get(task_id)))


@router.post(
    "/{workflow_id}/{status}/signal",
    summary="Signal: complete the first pending WAIT/HUMAN task (sub-workflows searched) with the body as output",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="Merged into the task output"),
)
async def signal_async(request: Request, workflow_id: str, status: str) -> Response:
    svc = services(request)
    signals.signal(svc.engine, svc.tasks, workflow_id, status, await json_body(request, default={}))
    return empty()


@router.post(
    "/{workflow_id}/{status}/signal/sync",
    summary="Signal, then wait until the workflow ends or blocks again → SignalResponse per returnStrategy",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="Merged into the task output"),
)
async def signal_sync(
    request: Request,
    workflow_id: str,
    status: str,
    returnStrategy: str | None = Query(None),
    timeoutMillis: int = Query(signals.DEFAULT_TIMEOUT_MS, ge=0, le=signals.MAX_TIMEOUT_MS),
    requestId: str | None = Query(None),
) -> Response:
    svc = services(request)
    strategy = signals.check_strategy(returnStrategy)
    signals.signal(svc.engine, svc.tasks, workflow_id, status, await json_body(request, default={}))
    wf, timed_out = await signals.wait_settled(svc.engine, workflow_id, timeoutMillis)
    return json_response(signals.signal_response(svc.engine, workflow_view(wf), strategy, timed_out, requestId))


async def _update_by_ref(request: Request, workflow_id: str, ref: str, status: str, worker: str | None) -> Task:
    output = await json_body(request, default={})
    if not isinstance(output, dict):
        raise InvalidArgument("The body must be a JSON object (the task output)")
    return services(request).tasks.update_by_ref(workflow_id, ref, status, output, worker)


@router.post(
    "/{workflow_id}/{task_ref}/{status}/sync",
    summary="Update a task by reference → Workflow",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="The task output"),
)
async def update_by_ref_sync(
    request: Request, workflow_id: str, task_ref: str, status: str, workerid: str | None = Query(None)
) -> Response:
    from podium.service.workflows import get_workflow

    await _update_by_ref(request, workflow_id, task_ref, status, workerid)
    return json_response(workflow_view(get_workflow(services(request).engine, workflow_id)))


@router.post(
    "/{workflow_id}/{task_ref}/{status}",
    summary="Update a task by reference → task id",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="The task output"),
)
async def update_by_ref(
    request: Request, workflow_id: str, task_ref: str, status: str, workerid: str | None = Query(None)
) -> Response:
    task = await _update_by_ref(request, workflow_id, task_ref, status, workerid)
    return text_response(task["taskId"])
