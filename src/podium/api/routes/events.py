"""/api/event: event handler definitions; /api/queue: status-queue admin
(docs/compatibility.md#events-apievent-apiqueue)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.body import json_body, parse_bool
from podium.api.deps import services
from podium.api.responses import empty, json_response
from podium.domain.errors import InvalidArgument
from podium.service.events import STATUS_QUEUES, EventService

router = APIRouter(tags=["events"])


def _events(request: Request) -> EventService:
    svc = services(request)
    return EventService(svc.engine, svc.tasks)


@router.post(
    "/api/event", summary="Add an event handler (409 if the name exists)", openapi_extra=B.json_body(B.EVENT_HANDLER)
)
async def add_handler(request: Request) -> Response:
    _events(request).add(await json_body(request))
    return empty()


@router.put(
    "/api/event", summary="Update an event handler (404 if missing)", openapi_extra=B.json_body(B.EVENT_HANDLER)
)
async def update_handler(request: Request) -> Response:
    _events(request).update(await json_body(request))
    return empty()


@router.get("/api/event", summary="All event handlers")
async def list_handlers(request: Request) -> Response:
    return json_response(_events(request).all())


@router.get("/api/event/{event:path}", summary="Handlers registered for an exact event string")
async def handlers_for(request: Request, event: str, activeOnly: str | None = Query(None)) -> Response:
    return json_response(_events(request).for_event(event, parse_bool(activeOnly, True)))


@router.delete("/api/event/{name}", summary="Remove an event handler")
async def delete_handler(request: Request, name: str) -> Response:
    _events(request).delete(name)
    return empty()


@router.get("/api/queue/size", summary="Sizes of the task-status queues")
async def status_queue_sizes(request: Request) -> Response:
    return json_response(_events(request).queue_sizes())


@router.get("/api/queue", summary="Names of the task-status queues")
async def status_queue_names(request: Request) -> Response:
    return json_response(dict(STATUS_QUEUES))


async def _output(request: Request) -> dict[str, object]:
    output = await json_body(request, default={})
    if not isinstance(output, dict):
        raise InvalidArgument("The body must be a JSON object (the task output)")
    return output


@router.post(
    "/api/queue/update/{workflow_id}/task/{task_id}/{status}",
    summary="Complete/fail a task by id",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="The task output"),
)
async def update_by_id(request: Request, workflow_id: str, task_id: str, status: str) -> Response:
    _events(request).publish_status_update(workflow_id, status, await _output(request), task_id=task_id)
    return empty()


@router.post(
    "/api/queue/update/{workflow_id}/{task_ref}/{status}",
    summary="Complete/fail a task by reference",
    openapi_extra=B.json_body(B.ANY_OBJECT, required=False, description="The task output"),
)
async def update_by_ref(request: Request, workflow_id: str, task_ref: str, status: str) -> Response:
    _events(request).publish_status_update(workflow_id, status, await _output(request), ref=task_ref)
    return empty()
