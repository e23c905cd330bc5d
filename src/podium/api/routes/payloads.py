"""External payload storage (docs/architecture.md#external-payloads): where
clients read and write payloads over the thresholds.

``GET /api/workflow/externalstoragelocation`` and ``GET /api/tasks/externalstoragelocation`` (also
spelt ``external-storage-location``) answer Conductor's ExternalStorageLocation ``{uri, path}``. The
URI is the payload store's own when it has one a client may use directly (an S3 pre-signed URL),
else Podium's ``/api/payloads/{path}?expires=&signature=``, which answers GET with the stored JSON
and takes PUT; its signature is its credential, so it needs no token (the gate lets it through) and
takes any Content-Type (Java's HttpURLConnection sends a form type by default).
This router comes before ``/api/workflow/{workflowId}`` and ``/api/tasks/{taskId}``.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from podium.api.body import read_body
from podium.api.deps import services
from podium.api.responses import empty, json_response
from podium.domain.payloads import parse_operation, parse_payload_type

router = APIRouter(tags=["external payloads"])

_LOCATION_SUMMARY = "Where to read or write an external payload → ExternalStorageLocation {uri, path}"


def _location(request: Request, path: str | None, operation: str, payload_type: str) -> Response:
    payloads = services(request).engine.payloads
    kind, op = parse_payload_type(payload_type), parse_operation(operation)
    return json_response(payloads.location(kind, op, path or None, str(request.base_url)))


@router.get("/api/workflow/externalstoragelocation", summary=_LOCATION_SUMMARY)
@router.get("/api/workflow/external-storage-location", include_in_schema=False)
@router.get("/api/tasks/externalstoragelocation", summary=_LOCATION_SUMMARY)
@router.get("/api/tasks/external-storage-location", include_in_schema=False)
async def payload_location(
    request: Request,
    path: str | None = Query(None),
    operation: str = Query(...),
    payloadType: str = Query(...),
) -> Response:
    return _location(request, path, operation, payloadType)


@router.get("/api/payloads/{path:path}", summary="An external payload (JSON), by the URI of a READ location")
async def get_payload(
    request: Request, path: str, expires: str | None = Query(None), signature: str | None = Query(None)
) -> Response:
    payloads = services(request).engine.payloads
    payloads.check_signature("GET", path, expires, signature)
    return Response(payloads.download(path), media_type="application/json")


@router.put("/api/payloads/{path:path}", summary="Store an external payload (JSON) by the URI of a WRITE location")
async def put_payload(
    request: Request, path: str, expires: str | None = Query(None), signature: str | None = Query(None)
) -> Response:
    payloads = services(request).engine.payloads
    payloads.check_signature("PUT", path, expires, signature)
    limit = max(request.app.state.settings.max_payload_bytes, payloads.largest_payload)
    body = await read_body(request.scope, request.receive, limit)
    payloads.upload(path, body)
    return empty(200)
