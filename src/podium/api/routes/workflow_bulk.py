"""Bulk workflow operations: /api/workflow/bulk/* (docs/compatibility.md#workflows-apiworkflow).
Each id succeeds or fails on its own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.body import json_body
from podium.api.deps import services
from podium.api.responses import json_response
from podium.api.views import workflow_view
from podium.domain.errors import InvalidArgument, PodiumError
from podium.service import reruns
from podium.service import workflows as wfs

# Included before the /api/workflow router, whose /{workflow_id}/... routes would match these paths.
router = APIRouter(prefix="/api/workflow/bulk", tags=["workflow bulk"])
BULK_LIMIT = 1000
_IDS = B.json_body({"type": "array", "items": B.STRING, "maxItems": BULK_LIMIT}, description="Workflow ids")


async def _ids(request: Request) -> list[str]:
    body = await json_body(request)
    if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
        raise InvalidArgument("Expected a JSON list of workflow ids")
    if len(body) > BULK_LIMIT:
        raise InvalidArgument(f"Cannot process more than {BULK_LIMIT} workflows. Please use multiple requests.")
    return body


def _bulk(ids: list[str], action: Any) -> Response:
    ok: list[str] = []
    errors: dict[str, str] = {}
    for wid in ids:
        try:
            action(wid)
            ok.append(wid)
        except PodiumError as e:
            errors[wid] = e.message
    return json_response(
        {"bulkErrorResults": errors, "bulkSuccessfulResults": ok, "message": "Bulk Request has been processed."}
    )


@router.put("/pause", summary="Pause many workflows", openapi_extra=_IDS)
async def bulk_pause(request: Request) -> Response:
    engine = services(request).engine
    return _bulk(await _ids(request), lambda w: wfs.pause(engine, w))


@router.put("/resume", summary="Resume many workflows", openapi_extra=_IDS)
async def bulk_resume(request: Request) -> Response:
    engine = services(request).engine
    return _bulk(await _ids(request), lambda w: wfs.resume(engine, w))


@router.post("/restart", summary="Restart many workflows", openapi_extra=_IDS)
async def bulk_restart(request: Request, useLatestDefinitions: bool = Query(False)) -> Response:
    engine = services(request).engine
    return _bulk(await _ids(request), lambda w: reruns.restart(engine, w, useLatestDefinitions))


@router.post("/retry", summary="Retry many workflows", openapi_extra=_IDS)
async def bulk_retry(request: Request) -> Response:
    engine = services(request).engine
    return _bulk(await _ids(request), lambda w: reruns.retry(engine, w))


@router.post("/terminate", summary="Terminate many workflows", openapi_extra=_IDS)
async def bulk_terminate(
    request: Request, reason: str | None = Query(None), triggerFailureWorkflow: bool = Query(False)
) -> Response:
    engine = services(request).engine
    return _bulk(await _ids(request), lambda w: wfs.terminate(engine, w, reason, triggerFailureWorkflow))


@router.delete("/remove", summary="Remove many workflows", openapi_extra=_IDS)
async def bulk_remove(request: Request, archiveWorkflow: bool = Query(True)) -> Response:
    engine = services(request).engine
    return _bulk(await _ids(request), lambda w: wfs.remove(engine, w, archiveWorkflow))


@router.delete("/terminate-remove", summary="Terminate and remove many workflows", openapi_extra=_IDS)
async def bulk_terminate_remove(
    request: Request, reason: str | None = Query(None), archiveWorkflow: bool = Query(True)
) -> Response:
    engine = services(request).engine

    def act(w: str) -> None:
        wfs.terminate_quietly(engine, w, reason)
        wfs.remove(engine, w, archiveWorkflow)

    return _bulk(await _ids(request), act)


@router.post("/search", summary="Fetch many workflows", openapi_extra=_IDS)
async def bulk_search(request: Request, includeTasks: bool = Query(True)) -> Response:
    engine = services(request).engine
    ids = await _ids(request)
    found: list[Any] = []
    errors: dict[str, str] = {}
    for wid in ids:
        try:
            found.append(workflow_view(wfs.get_workflow(engine, wid, includeTasks)))
        except PodiumError as e:
            errors[wid] = e.message
    return json_response(
        {"bulkErrorResults": errors, "bulkSuccessfulResults": found, "message": "Bulk Request has been processed."}
    )
