"""``/api/secrets`` and ``/api/environment`` (Orkes' shapes;
docs/architecture.md#secrets-and-environment-values-issue-14).

A value is sent as the request body: a JSON string (the JS SDK) or its bare text (conductor-python strips
the quotes), labelled ``application/json`` by both SDKs. No answer but ``GET /api/secrets/{key}`` (ADMIN
only, ``api/access.py``) ever carries a secret's value.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.body import raw_body
from podium.api.deps import services
from podium.api.responses import empty, json_response, text_response
from podium.service.values import ValuesService, parse_value

router = APIRouter(tags=["secrets and environment"])

_VALUE = B.json_body({"type": "string"})


def _values(request: Request) -> ValuesService:
    return services(request).values


@router.get("/api/secrets", summary="Names of every secret (never a value)")
async def list_secret_names(request: Request) -> Response:
    return json_response(_values(request).secret_names())


@router.post("/api/secrets", summary="Names of every secret (Orkes' spelling: what the caller may grant)")
async def list_secret_names_post(request: Request) -> Response:
    return json_response(_values(request).secret_names())


@router.get("/api/secrets-v2", summary="Every secret as {name, tags} (never a value)")
async def list_secrets_v2(request: Request) -> Response:
    return json_response([{"name": n, "tags": []} for n in _values(request).secret_names()])


@router.get("/api/secrets/{key}/exists", summary="Whether a secret exists")
async def secret_exists(request: Request, key: str) -> Response:
    return json_response(_values(request).secret_exists(key))


@router.get("/api/secrets/{key}", summary="A secret's value (ADMIN only)")
async def get_secret(request: Request, key: str) -> Response:
    return json_response(_values(request).get_secret(key))


@router.put("/api/secrets/{key}", summary="Create or replace a secret", openapi_extra=_VALUE)
async def put_secret(request: Request, key: str) -> Response:
    value = parse_value(await raw_body(request), "secret")
    _values(request).put_secret(key, value)
    return empty()


@router.delete("/api/secrets/{key}", summary="Delete a secret")
async def delete_secret(request: Request, key: str) -> Response:
    _values(request).delete_secret(key)
    return empty()


@router.get("/api/environment", summary="Every environment value, {name: value}")
async def environment(request: Request) -> Response:
    return json_response(_values(request).environment())


@router.get("/api/environment/{key}", summary="One environment value (text)")
async def env_value(request: Request, key: str) -> Response:
    return text_response(_values(request).env_value(key))


@router.put("/api/environment/{key}", summary="Create or replace an environment value", openapi_extra=_VALUE)
async def put_env_value(request: Request, key: str) -> Response:
    value = parse_value(await raw_body(request), "environment value")
    _values(request).put_env_value(key, value)
    return empty()


@router.post("/api/environment/{key}", summary="Create or replace an environment value", openapi_extra=_VALUE)
async def post_env_value(request: Request, key: str) -> Response:
    return await put_env_value(request, key)


@router.delete("/api/environment/{key}", summary="Delete an environment value")
async def delete_env_value(request: Request, key: str) -> Response:
    _values(request).delete_env_value(key)
    return empty()
