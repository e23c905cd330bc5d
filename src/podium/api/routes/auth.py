"""/api/token (Orkes' key-for-token exchange, docs/architecture.md#access-control) and the admin's key API (issue #13).

With auth off every route here answers 404: that is how the SDKs learn to run without a token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.auth import principal_of
from podium.api.body import json_body
from podium.api.deps import services
from podium.api.responses import empty, json_response
from podium.domain.auth import KeyRecord, parse_role
from podium.domain.errors import InvalidArgument, NotFound, Unauthorized
from podium.service.auth import AuthService

router = APIRouter(tags=["access control"])

_KEY_REQUEST = B.json_body({"type": "object"})


def _auth(request: Request) -> AuthService:
    auth = services(request).auth
    if not request.app.state.settings.auth:
        raise NotFound("Authentication is not enabled on this server")
    return auth


def _text(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a string")
    return value


@router.post("/api/token", summary="Exchange an application key for a token", openapi_extra=_KEY_REQUEST)
async def token(request: Request) -> Response:
    auth = _auth(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Unauthorized("Expected {keyId, keySecret}")
    key_id, secret = body.get("keyId"), body.get("keySecret")
    if not isinstance(key_id, str) or not isinstance(secret, str):
        raise Unauthorized("Expected {keyId, keySecret}")
    return json_response({"token": auth.issue_token(key_id, secret)})


@router.get("/api/token/userInfo", summary="The key this request's token was issued for")
async def user_info(request: Request) -> Response:
    _auth(request)
    p = principal_of(request)
    if p is None:  # the gate lets no request without a token through; kept for safety
        raise Unauthorized("Missing X-Authorization token")
    return json_response({"id": p.key_id, "name": p.name, "roles": [{"name": p.role.value}], "applicationUser": True})


def _key_view(k: KeyRecord) -> dict[str, Any]:
    view: dict[str, Any] = {"keyId": k.key_id, "name": k.name, "role": k.role.value, "createdTime": k.created_time}
    if k.task_types:
        view["taskTypes"] = k.task_types
    if k.revoked_time is not None:
        view["revokedTime"] = k.revoked_time
    return view


@router.get("/api/keys", summary="Every application key (never a secret)")
async def list_keys(request: Request) -> Response:
    return json_response([_key_view(k) for k in _auth(request).list_keys()])


@router.post("/api/keys", summary="Make a key; its secret is shown only here", openapi_extra=_KEY_REQUEST)
async def create_key(request: Request) -> Response:
    auth = _auth(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidArgument("Expected {name, role, taskTypes?}")
    role = parse_role(_text(body, "role") or "")
    types = body.get("taskTypes")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
        raise InvalidArgument("taskTypes must be a list of task type names")
    key = auth.create_key(role, _text(body, "name", required=False), types)
    return json_response({"keyId": key.key_id, "keySecret": key.key_secret, "role": key.role.value, "name": key.name})


@router.delete("/api/keys/{key_id}", summary="Revoke a key: its tokens stop working at once, on every node")
async def revoke_key(request: Request, key_id: str) -> Response:
    _auth(request).revoke_key(key_id)
    return empty()
