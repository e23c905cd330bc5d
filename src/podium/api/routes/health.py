"""Health, version and the admin resource (docs/compatibility.md#admin-health-auth)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from podium import __version__
from podium.api.deps import services
from podium.api.responses import json_response, text_response
from podium.api.search_params import I64_MAX, I64_MIN
from podium.api.views import task_view

router = APIRouter(tags=["health"])

HEALTHY = {"healthResults": [], "suppressedHealthResults": [], "healthy": True}


@router.get("/health", summary="Liveness and readiness")
async def health(request: Request) -> Response:
    services(request).admin.check_health()
    return json_response(HEALTHY)


@router.get("/api/health", summary="Liveness and readiness")
async def api_health(request: Request) -> Response:
    return await health(request)


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus_metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from podium.service import metrics

    svc = services(request)
    metrics.QUEUE_DEPTH.clear()
    for queue, (total, _unacked) in svc.queues.all().items():
        metrics.QUEUE_DEPTH.labels(queue).set(total)
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/version", summary="Server version")
async def version() -> Response:
    return text_response(__version__)


@router.get("/api/admin/config", tags=["admin"], summary="Server configuration")
async def admin_config(request: Request) -> Response:
    s = request.app.state.settings
    return json_response(
        {
            "version": __version__,
            "db": s.db.split("@")[-1],
            "maxPayloadBytes": s.max_payload_bytes,
            "sweepIntervalMs": s.sweep_interval_ms,
            "serverId": s.server_id,
        }
    )


@router.get("/api/admin/task/{tasktype}", tags=["admin"], summary="Pending tasks of a type")
async def admin_pending(
    request: Request,
    tasktype: str,
    start: int = Query(0, ge=I64_MIN, le=I64_MAX),
    count: int = Query(100, ge=I64_MIN, le=I64_MAX),
) -> Response:
    tasks = services(request).admin.pending_tasks(tasktype, start, count)
    return json_response([task_view(t) for t in tasks])


@router.get("/api/admin/queues", tags=["admin"], summary="Internal event queues and their depth")
async def admin_queues(request: Request, verbose: bool = Query(False)) -> Response:
    sizes = services(request).queues.event_queue_sizes()
    if verbose:
        return json_response({"conductor": {q: {"size": n} for q, n in sizes.items()}})
    return json_response({f"conductor:{q}": n for q, n in sizes.items()})


@router.post("/api/admin/sweep/requeue/{workflow_id}", tags=["admin"], summary="Decide a workflow now")
async def admin_requeue(request: Request, workflow_id: str) -> Response:
    return text_response("true" if services(request).admin.sweep(workflow_id) else "false")


@router.post("/api/admin/consistency/verifyAndRepair/{workflow_id}", tags=["admin"], summary="Re-check a workflow")
async def admin_repair(request: Request, workflow_id: str) -> Response:
    return await admin_requeue(request, workflow_id)
