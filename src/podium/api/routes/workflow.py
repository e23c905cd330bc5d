"""/api/workflow: starting and steering executions (docs/compatibility.md#workflows-apiworkflow)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.auth import stamp_start
from podium.api.body import json_body
from podium.api.deps import services
from podium.api.handlers import handle_start_workflow
from podium.api.responses import empty, json_response, text_response
from podium.api.run_shapes import return_strategy, sync_answer
from podium.api.search_params import I64_MAX, I64_MIN, SearchParams, search_params, workflow_search_params
from podium.api.shapes import RERUN_REQUEST, SKIP_TASK_REQUEST, checked_object
from podium.api.views import workflow_view
from podium.domain.errors import FieldError, InvalidArgument, ValidationFailed
from podium.service import execution, reruns, starting, state_edits
from podium.service import workflows as wfs

router = APIRouter(prefix="/api/workflow", tags=["workflow"])


@router.post(
    "",
    summary="Start a workflow (StartWorkflowRequest) → workflow id",
    openapi_extra=B.json_body(B.START_WORKFLOW_REQUEST),
)
async def start_workflow(request: Request) -> Response:
    return handle_start_workflow(services(request), stamp_start(request.scope, await json_body(request)))


@router.get("/running/{name}", summary="Ids of running workflows of a definition")
async def running(
    request: Request,
    name: str,
    version: int = Query(1, ge=I64_MIN, le=I64_MAX),
    startTime: int | None = Query(None, ge=I64_MIN, le=I64_MAX),
    endTime: int | None = Query(None, ge=I64_MIN, le=I64_MAX),
) -> Response:
    ids = wfs.running_ids(services(request).engine, name, version, startTime, endTime)
    return json_response(ids)


@router.get("/search", summary="Search executions → SearchResult<WorkflowSummary>")
async def search_summaries(request: Request, p: SearchParams = Depends(workflow_search_params)) -> Response:
    return json_response(services(request).search.workflows(p.workflows(), summaries=True))


@router.get("/search-v2", summary="Search executions → SearchResult<Workflow>")
async def search_full(request: Request, p: SearchParams = Depends(workflow_search_params)) -> Response:
    return json_response(services(request).search.workflows(p.workflows(), summaries=False))


@router.get("/search-by-tasks", summary="Search executions by task fields → SearchResult<WorkflowSummary>")
async def search_by_tasks(request: Request, p: SearchParams = Depends(search_params)) -> Response:
    return json_response(services(request).search.workflows_by_tasks(p.tasks(), summaries=True))


@router.get("/search-by-tasks-v2", summary="Search executions by task fields → SearchResult<Workflow>")
async def search_by_tasks_v2(request: Request, p: SearchParams = Depends(search_params)) -> Response:
    return json_response(services(request).search.workflows_by_tasks(p.tasks(), summaries=False))


@router.put("/decide/{workflow_id}", summary="Run the decider on a workflow")
async def decide(request: Request, workflow_id: str) -> Response:
    services(request).engine.decide(workflow_id)
    return empty()


# -- correlation -------------------------------------------------------------------------------
def _correlated(request: Request, name: str, cid: str, include_closed: bool, include_tasks: bool) -> list[Any]:
    found = wfs.correlated(services(request).engine, name, cid, include_closed, include_tasks)
    return [workflow_view(wf) for wf in found]


@router.post(
    "/correlated/batch",
    summary="Executions for several correlation ids across definitions",
    openapi_extra=B.json_body(B.CORRELATED_BATCH),
)
async def correlated_batch(
    request: Request,
    includeClosed: bool = Query(False),
    includeTasks: bool = Query(False),
) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidArgument("Expected {correlationIds: [...], workflowNames: [...]}")
    cids = _strings(body, "correlationIds")
    names = _strings(body, "workflowNames")
    out: dict[str, list[Any]] = {}
    for cid in cids:
        out[cid] = [w for name in names for w in _correlated(request, name, cid, includeClosed, includeTasks)]
    return json_response(out)


def _strings(body: dict[str, Any], key: str) -> list[str]:
    """``body[key]`` as a list of strings (absent or null: none); a 400 naming the field otherwise."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValidationFailed([FieldError(key, f"{key} must be a list of strings", value)])
    return value


@router.get("/{name}/correlated/{correlationId}", summary="Executions of a definition with a correlation id")
async def correlated(
    request: Request,
    name: str,
    correlationId: str,
    includeClosed: bool = Query(False),
    includeTasks: bool = Query(False),
) -> Response:
    return json_response(_correlated(request, name, correlationId, includeClosed, includeTasks))


@router.post(
    "/{name}/correlated", summary="Executions for several correlation ids", openapi_extra=B.json_body(B.STRING_LIST)
)
async def correlated_many(
    request: Request,
    name: str,
    includeClosed: bool = Query(False),
    includeTasks: bool = Query(False),
) -> Response:
    body = await json_body(request)
    if not isinstance(body, list) or not all(isinstance(c, str) for c in body):
        raise InvalidArgument("Expected a JSON list of correlation ids")
    return json_response({cid: _correlated(request, name, cid, includeClosed, includeTasks) for cid in body})


@router.post(
    "/test",
    summary="Run a workflow with mocked worker outputs (WorkflowTestRequest) → Workflow; nothing is kept",
    openapi_extra=B.json_body(B.ANY_OBJECT),
)
async def test_workflow(request: Request) -> Response:
    import asyncio

    from podium.service.workflow_test import test_workflow as run_test

    body = await json_body(request)
    svc = services(request)
    wf = await asyncio.to_thread(run_test, svc.metadata, body, svc.engine.evaluator)
    return json_response(workflow_view(wf))


# -- one execution ---------------------------------------------------------------------------
@router.post(
    "/{name}",
    summary="Start a workflow by name (body: input) → workflow id",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="The workflow input"),
)
async def start_by_name(
    request: Request,
    name: str,
    version: int | None = Query(None, ge=I64_MIN, le=I64_MAX),
    correlationId: str | None = Query(None),
    priority: int = Query(0, ge=I64_MIN, le=I64_MAX),
) -> Response:
    body = await json_body(request, default={})
    req: dict[str, Any] = {"name": name, "input": body, "priority": priority}
    if version is not None:
        req["version"] = version
    if correlationId:
        req["correlationId"] = correlationId
    return text_response(starting.start(services(request).engine, stamp_start(request.scope, req)))


@router.get("/{workflow_id}", summary="An execution")
async def get_workflow(
    request: Request, workflow_id: str, includeTasks: bool = Query(True), summarize: bool = Query(False)
) -> Response:
    view = workflow_view(wfs.get_workflow(services(request).engine, workflow_id, includeTasks))
    if summarize:
        # Orkes' summary form: the workflow as is, its tasks without their (possibly large) payloads.
        for t in view.get("tasks", []):
            t.pop("inputData", None)
            t.pop("outputData", None)
    return json_response(view)


@router.get("/{workflow_id}/status", summary="Status of an execution")
async def workflow_status(
    request: Request,
    workflow_id: str,
    includeOutput: bool = Query(False),
    includeVariables: bool = Query(False),
) -> Response:
    return json_response(wfs.workflow_status(services(request).engine, workflow_id, includeOutput, includeVariables))


@router.get("/{workflow_id}/tasks", summary="Tasks of an execution, paged")
async def workflow_tasks(
    request: Request,
    workflow_id: str,
    start: int = Query(0, ge=I64_MIN, le=I64_MAX),
    count: int = Query(15, ge=I64_MIN, le=I64_MAX),
    status: list[str] | None = Query(None),
) -> Response:
    from podium.api.views import task_view

    wf = wfs.get_workflow(services(request).engine, workflow_id, True)
    # Case-insensitive, and ``status=a,b`` is a list of two (Spring's binding).
    wanted = {x.strip().upper() for v in status or [] for x in v.split(",") if x.strip()}
    tasks = [t for t in wf.get("tasks", []) if not wanted or t["status"] in wanted]
    page = tasks[start : start + count]
    return json_response({"totalHits": len(tasks), "results": [task_view(t) for t in page]})


@router.delete("/{workflow_id}", summary="Terminate an execution")
async def terminate(
    request: Request,
    workflow_id: str,
    reason: str | None = Query(None),
    triggerFailureWorkflow: bool = Query(False),
) -> Response:
    wfs.terminate(services(request).engine, workflow_id, reason, triggerFailureWorkflow)
    return empty()


@router.delete("/{workflow_id}/remove", summary="Remove an execution")
async def remove(request: Request, workflow_id: str, archiveWorkflow: bool = Query(True)) -> Response:
    wfs.remove(services(request).engine, workflow_id, archiveWorkflow)
    return empty()


@router.delete("/{workflow_id}/terminate-remove", summary="Terminate and remove an execution")
async def terminate_remove(
    request: Request,
    workflow_id: str,
    reason: str | None = Query(None),
    archiveWorkflow: bool = Query(True),
) -> Response:
    engine = services(request).engine
    wfs.terminate_quietly(engine, workflow_id, reason)
    wfs.remove(engine, workflow_id, archiveWorkflow)
    return empty()


@router.put("/{workflow_id}/pause", summary="Pause an execution")
async def pause(request: Request, workflow_id: str) -> Response:
    wfs.pause(services(request).engine, workflow_id)
    return empty()


@router.put("/{workflow_id}/resume", summary="Resume a paused execution")
async def resume(request: Request, workflow_id: str) -> Response:
    wfs.resume(services(request).engine, workflow_id)
    return empty()


@router.put(
    "/{workflow_id}/skiptask/{task_reference_name}",
    summary="Skip a task that has not run yet",
    openapi_extra=B.json_body(B.SKIP_TASK_REQUEST, required=False),
)
async def skip_task(
    request: Request,
    workflow_id: str,
    task_reference_name: str,
    skipTaskRequest: str | None = Query(None, include_in_schema=False),
) -> Response:
    body = await json_body(request, default={})
    if not body and skipTaskRequest:
        body = _python_repr(skipTaskRequest)  # conductor-python sends the request as a repr'd query param
    req = checked_object(body, "SkipTaskRequest", SKIP_TASK_REQUEST)
    wfs.skip_task(services(request).engine, workflow_id, task_reference_name, req)  # type: ignore[arg-type]
    return empty()


def _python_repr(text: str) -> Any:
    """A Python literal (dict repr) as sent by an SDK quirk; anything else is rejected."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InvalidArgument("skipTaskRequest query parameter is not a valid literal") from None


@router.post(
    "/{workflow_id}/rerun",
    summary="Re-run from the start or from a task → workflow id",
    openapi_extra=B.json_body(B.RERUN_REQUEST, required=False),
)
async def rerun(request: Request, workflow_id: str) -> Response:
    body = checked_object(await json_body(request, default={}), "RerunWorkflowRequest", RERUN_REQUEST)
    return text_response(reruns.rerun(services(request).engine, workflow_id, body))


@router.post("/{workflow_id}/restart", summary="Restart a terminal execution", status_code=204)
async def restart(request: Request, workflow_id: str, useLatestDefinitions: bool = Query(False)) -> Response:
    reruns.restart(services(request).engine, workflow_id, useLatestDefinitions)
    return empty(204)


@router.post("/{workflow_id}/retry", summary="Retry the failed tasks of an execution", status_code=204)
async def retry(request: Request, workflow_id: str, resumeSubworkflowTasks: bool = Query(False)) -> Response:
    reruns.retry(services(request).engine, workflow_id, resumeSubworkflowTasks)
    return empty(204)


@router.post("/{workflow_id}/resetcallbacks", summary="Make callback-delayed tasks pollable now", status_code=204)
async def reset_callbacks(request: Request, workflow_id: str) -> Response:
    wfs.reset_callbacks(services(request).engine, workflow_id)
    return empty(204)


# -- state edits (Orkes; docs/workflow-edits.md) -------------------------------------------------
@router.post(
    "/{workflow_id}/variables",
    summary="Merge values into an execution's variables → Workflow",
    openapi_extra=B.json_body(B.ANY_OBJECT, description="Variables to set"),
)
async def update_variables(request: Request, workflow_id: str) -> Response:
    svc = services(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidArgument("Workflow variables must be a JSON object")
    svc.tasks.update_state(workflow_id, body, None, None)
    return json_response(workflow_view(wfs.get_workflow(svc.engine, workflow_id, True)))


@router.post(
    "/{workflow_id}/state",
    summary="Set variables and one task's result, then wait like execute → WorkflowRun",
    openapi_extra=B.json_body(
        B.ANY_OBJECT, description="WorkflowStateUpdate {taskReferenceName, taskResult, variables}"
    ),
)
async def update_state(
    request: Request,
    workflow_id: str,
    requestId: str | None = Query(None),
    waitUntilTaskRef: str | None = Query(None),
    waitForSeconds: int = Query(10, ge=I64_MIN, le=I64_MAX),
    returnStrategy: str | None = Query(None),
) -> Response:
    svc = services(request)
    strategy = return_strategy(returnStrategy)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidArgument("WorkflowStateUpdate must be a JSON object")
    ref, result, variables = body.get("taskReferenceName"), body.get("taskResult"), body.get("variables")
    if ref is not None and not isinstance(ref, str):
        raise ValidationFailed([FieldError("taskReferenceName", "taskReferenceName must be a string", ref)])
    if result is not None and not isinstance(result, dict):
        raise ValidationFailed([FieldError("taskResult", "taskResult must be a TaskResult object", result)])
    if result is not None and not ref:
        raise ValidationFailed([FieldError("taskReferenceName", "taskReferenceName is required with a taskResult")])
    svc.tasks.update_state(workflow_id, variables, ref, result)
    waited = await execution.wait(svc.engine, workflow_id, _refs(waitUntilTaskRef), waitForSeconds)
    return json_response(sync_answer(waited, requestId, strategy))


@router.post(
    "/{workflow_id}/jump/{task_reference_name}",
    summary="Cancel the running tasks and go on from a top-level task",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="The task's input"),
)
async def jump_to_task(
    request: Request,
    workflow_id: str,
    task_reference_name: str,
    taskReferenceName: str | None = Query(None, include_in_schema=False),
) -> Response:
    # conductor-python sends the reference as a query parameter and leaves the path's placeholder as is.
    ref = (
        taskReferenceName if task_reference_name == "{taskReferenceName}" and taskReferenceName else task_reference_name
    )
    state_edits.jump_to(services(request).engine, workflow_id, ref, await json_body(request, default={}))
    return empty()


@router.post(
    "/{workflow_id}/upgrade",
    summary="Move a running execution to another definition version",
    openapi_extra=B.json_body(
        B.ANY_OBJECT, description="UpgradeWorkflowRequest {name, version, taskOutput, workflowInput}"
    ),
)
async def upgrade(request: Request, workflow_id: str) -> Response:
    state_edits.upgrade(services(request).engine, workflow_id, await json_body(request))
    return empty()


# -- synchronous execution (SDK WorkflowExecutor.execute) ----------------------------------------
@router.post(
    "/execute/{name}/{version}",
    summary="Start a workflow and wait until it ends or blocks",
    openapi_extra=B.json_body(B.START_WORKFLOW_REQUEST, required=False),
)
async def execute(
    request: Request,
    name: str,
    version: int = Path(ge=I64_MIN, le=I64_MAX),
    requestId: str | None = Query(None),
    waitUntilTaskRef: str | None = Query(None),
    waitForSeconds: int = Query(10, ge=I64_MIN, le=I64_MAX),
    returnStrategy: str | None = Query(None),
    consistency: str | None = Query(None),
) -> Response:
    svc = services(request)
    strategy = return_strategy(returnStrategy)
    body = await json_body(request, default={})
    if not isinstance(body, dict):
        raise InvalidArgument("StartWorkflowRequest must be a JSON object")
    body["name"] = name  # the path names the workflow, whatever the body says
    stamp_start(request.scope, body)
    if version and not body.get("workflowDef"):
        body.setdefault("version", version)
    waited = await execution.execute(svc.engine, body, _refs(waitUntilTaskRef), waitForSeconds)
    return json_response(sync_answer(waited, requestId, strategy))


def _refs(csv: str | None) -> set[str]:
    return {r.strip() for r in (csv or "").split(",") if r.strip()}
