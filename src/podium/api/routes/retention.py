"""Retention on demand (issue #16): what would be removed now, and a pass run now (``podium admin retention``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from podium.api.deps import services
from podium.api.responses import json_response
from podium.service.retention import RetentionService, run_batches

router = APIRouter(tags=["admin"])

# A pass run on demand removes at most this many batches (then call again), taking at most half the
# event loop's time meanwhile.
MAX_BATCHES = 500
SHARE = 0.5


def _service(request: Request) -> RetentionService:
    settings = request.app.state.settings
    return RetentionService(services(request).engine, settings.retention_seconds, settings.retention_batch)


@router.get("/api/admin/retention", summary="Ended workflows past their retention: how many, and a few of them")
async def retention_preview(request: Request, examples: int = Query(10, ge=0, le=1000)) -> Response:
    return json_response(_service(request).preview(examples))


@router.post("/api/admin/retention", summary="Remove ended workflows past their retention now")
async def retention_run(request: Request) -> Response:
    service = _service(request)
    removed = await run_batches(service, request.app.state.barrier, MAX_BATCHES, 0.0, SHARE)
    return json_response({"removed": len(removed), "workflowIds": removed[:100]})
