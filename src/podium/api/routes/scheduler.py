"""``/api/scheduler``: workflow schedules (docs/scheduler.md; issue #15), Conductor's and Orkes' shapes.

Per-schedule pause and resume answer PUT (Conductor OSS) and GET (Orkes, which conductor-python falls back
to on a 405 and the JS SDK calls directly).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.auth import author
from podium.api.body import json_body, parse_bool
from podium.api.deps import services
from podium.api.responses import empty, json_response
from podium.api.search_params import I64_MAX
from podium.service.scheduler import SchedulerService

router = APIRouter(prefix="/api/scheduler", tags=["scheduler"])

SCHEDULE = B.json_body(B.ANY_OBJECT, description="A SaveScheduleRequest (WorkflowSchedule)")
NAMES = B.json_body(B.STRING_LIST, description="Schedule names")
TAGS = B.json_body(B.ANY_OBJECT, description="A list of TagObject {key, value, type}")


def _scheduler(request: Request) -> SchedulerService:
    return services(request).scheduler


@router.post("/schedules", summary="Create or update a schedule", openapi_extra=SCHEDULE)
async def save_schedule(request: Request) -> Response:
    return json_response(_scheduler(request).save(await json_body(request), author(request)))


@router.get("/schedules", summary="Every schedule (of one workflow, with workflowName)")
async def get_all_schedules(request: Request, workflowName: str | None = None) -> Response:
    return json_response(_scheduler(request).all(workflowName))


@router.get("/schedules/search", summary="Search schedules → SearchResult")
async def search_schedules(
    request: Request,
    workflowName: str | None = None,
    scheduleName: str | None = None,
    paused: str | None = None,
    freeText: str | None = None,
    start: int = Query(0, ge=0, le=I64_MAX),
    size: int = Query(100, ge=0, le=I64_MAX),
    sort: str | None = None,
) -> Response:
    flag = None if paused in (None, "") else parse_bool(paused, False)
    result = _scheduler(request).search(workflowName, scheduleName, flag, freeText, start, size, sort)
    return json_response(result)


@router.get("/schedules/tags", summary="Schedules with a tag (tag=key:value)")
async def get_schedules_by_tag(request: Request, tag: str | None = None) -> Response:
    return json_response(_scheduler(request).by_tag(tag))


@router.get("/schedules/{name}", summary="One schedule (404 if unknown)")
async def get_schedule(request: Request, name: str) -> Response:
    return json_response(_scheduler(request).get(name))


@router.delete("/schedules/{name}", summary="Delete a schedule (404 if unknown)")
async def delete_schedule(request: Request, name: str) -> Response:
    _scheduler(request).delete(name)
    return empty()


@router.api_route("/schedules/{name}/pause", methods=["PUT", "GET"], summary="Pause a schedule, with a reason")
async def pause_schedule(request: Request, name: str, reason: str | None = None) -> Response:
    _scheduler(request).pause(name, reason, author(request))
    return empty()


@router.api_route("/schedules/{name}/resume", methods=["PUT", "GET"], summary="Resume a paused schedule")
async def resume_schedule(request: Request, name: str) -> Response:
    _scheduler(request).resume(name, author(request))
    return empty()


@router.get("/schedules/{name}/tags", summary="Tags of a schedule")
async def get_tags_for_schedule(request: Request, name: str) -> Response:
    return json_response(_scheduler(request).get_tags(name))


@router.put("/schedules/{name}/tags", summary="Set the tags of a schedule", openapi_extra=TAGS)
async def put_tag_for_schedule(request: Request, name: str) -> Response:
    _scheduler(request).put_tags(name, await json_body(request))
    return empty()


@router.delete("/schedules/{name}/tags", summary="Remove tags from a schedule", openapi_extra=TAGS)
async def delete_tag_for_schedule(request: Request, name: str) -> Response:
    _scheduler(request).delete_tags(name, await json_body(request))
    return empty()


@router.get("/nextFewSchedules", summary="The next fire times (epoch ms) of a cron expression")
async def get_next_few_schedules(
    request: Request,
    cronExpression: str,
    scheduleStartTime: int | None = Query(None, ge=0, le=I64_MAX),
    scheduleEndTime: int | None = Query(None, ge=0, le=I64_MAX),
    limit: int = Query(5, ge=-(2**31), le=2**31),
    zoneId: str | None = Query(None, max_length=64, description="A Podium addition: the zone (default UTC)"),
) -> Response:
    times = _scheduler(request).next_few(cronExpression, scheduleStartTime, scheduleEndTime, limit, zoneId)
    return json_response(times)


@router.get("/search/executions", summary="Search schedule executions → SearchResult")
async def search_executions(
    request: Request,
    query: str | None = None,
    freeText: str | None = None,
    start: int = Query(0, ge=0, le=I64_MAX),
    size: int = Query(100, ge=0, le=I64_MAX),
    sort: str | None = None,
) -> Response:
    return json_response(_scheduler(request).search_executions(query, freeText, start, size, sort))


@router.get("/admin/pause", summary="Pause every schedule")
async def pause_all_schedules(request: Request) -> Response:
    return json_response(_scheduler(request).pause_all(True, author(request)))


@router.get("/admin/resume", summary="Resume every schedule")
async def resume_all_schedules(request: Request) -> Response:
    return json_response(_scheduler(request).pause_all(False, author(request)))


@router.get("/admin/requeue", summary="Recompute every schedule's next run and wake the scheduler")
async def requeue_all_execution_records(request: Request) -> Response:
    return json_response(_scheduler(request).requeue())


@router.put("/bulk/pause", summary="Pause the named schedules → BulkResponse", openapi_extra=NAMES)
async def bulk_pause(request: Request) -> Response:
    return json_response(_scheduler(request).bulk(await json_body(request), True, author(request)))


@router.put("/bulk/resume", summary="Resume the named schedules → BulkResponse", openapi_extra=NAMES)
async def bulk_resume(request: Request) -> Response:
    return json_response(_scheduler(request).bulk(await json_body(request), False, author(request)))
