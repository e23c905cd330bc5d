"""The access check in front of everything (installed only with auth on; see ``create_server``).

Each request's ``X-Authorization`` token is verified (once per token string: ``AuthService`` caches the
verdict), its route put in a family (``api/access.py``) and the key's role checked against it. A WORKER
key limited to task types may poll, update and log only tasks of those types; only for such a key is
the task looked up. The principal is left in the scope for the routes (``createdBy``/``updatedBy``).
Refusals are logged with the key id, never with the token or a secret.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.api.access import ALLOWED, Family, family_of
from podium.api.body import read_body
from podium.api.errors import error_response
from podium.domain.auth import Principal
from podium.domain.errors import Forbidden, PodiumError, Unauthorized
from podium.domain.settings import Settings
from podium.service.auth import AuthService

log = logging.getLogger("podium.auth")

PRINCIPAL = "podium.principal"  # the scope key the verified principal is kept under
_HEADER = b"x-authorization"
_POLL = ("/api/tasks/poll/batch/", "/api/tasks/poll/")


def principal_of(request: Request) -> Principal | None:
    """The key a request was made with (None with auth off)."""
    p: Principal | None = request.scope.get(PRINCIPAL)
    return p


def author(request: Request) -> str | None:
    """The name of the key a request was made with, recorded as createdBy/updatedBy (None with auth off)."""
    p: Principal | None = request.scope.get(PRINCIPAL)
    return None if p is None else p.name


def stamp_start(scope: Scope, body: Any) -> Any:
    """A StartWorkflowRequest without ``createdBy`` gets the key's name."""
    p: Principal | None = scope.get(PRINCIPAL)
    if p is not None and isinstance(body, dict) and not body.get("createdBy"):
        body["createdBy"] = p.name
    return body


class AuthGate:
    """ASGI middleware: 401 without a good token, 403 outside the key's role, else on to ``app``."""

    def __init__(self, app: ASGIApp, auth: AuthService, settings: Settings) -> None:
        self.app = app
        self.auth = auth
        self.open_metrics = settings.auth_open_metrics
        self.limit = settings.max_payload_bytes
        self.instance = settings.server_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        family = family_of(method, path)
        if family is None or family is Family.OPEN or (family is Family.METRICS and self.open_metrics):
            await self.app(scope, receive, send)
            return
        principal: Principal | None = None
        try:
            principal = self.auth.verify(_token(scope))
            if principal.role not in ALLOWED[family]:
                raise Forbidden(f"Role {principal.role.value} may not call {method} {path}")
            if principal.task_types and family in (Family.TASK_WORK, Family.TASK_COMPLETE):
                receive = await self._check_task_type(principal, method, path, scope, receive)
        except PodiumError as e:
            if isinstance(e, Forbidden) and principal is not None:
                log.warning("refused %s %s for key %s (%s)", method, path, principal.key_id, principal.role.value)
            elif isinstance(e, Unauthorized):
                log.info("refused %s %s: %s", method, path, e.message)
            await error_response(e, self.instance)(scope, receive, send)
            return
        scope[PRINCIPAL] = principal
        await self.app(scope, receive, send)

    async def _check_task_type(
        self, principal: Principal, method: str, path: str, scope: Scope, receive: Receive
    ) -> Receive:
        """Refuse a limited WORKER key a task of another type; returns the receive to pass on (the
        body, when it had to be read to find the task, replayed)."""
        parts = path.split("/")  # "", "api", "tasks"|"queue", ...
        task_type: str | None
        if path.startswith(_POLL):
            task_type = parts[-1]
        elif path in ("/api/tasks", "/api/tasks/update-v2"):
            body = await read_body(scope, receive, self.limit)
            receive = _replay(body, receive)
            task_id = _task_id_of(body)
            task_type = self.auth.task_type_of(task_id) if task_id else None
        elif path.endswith("/log"):
            task_type = self.auth.task_type_of(parts[3])
        elif parts[2] == "queue" and parts[5] == "task":  # /api/queue/update/{wf}/task/{id}/{status}
            task_type = self.auth.task_type_of(parts[6])
        elif parts[2] == "queue":  # /api/queue/update/{wf}/{ref}/{status}
            task_type = self.auth.task_type_by_ref(parts[4], parts[5])
        else:  # /api/tasks/{wf}/{ref}/{status}[/sync]
            task_type = self.auth.task_type_by_ref(parts[3], parts[4])
        if task_type is not None and not principal.may_work_on(task_type):
            raise Forbidden(f"This key may not work on tasks of type {task_type}")
        return receive


def _token(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _HEADER:
            token: str = value.decode("latin-1").strip()
            return token
    raise Unauthorized("Missing X-Authorization token")


def _task_id_of(body: bytes) -> str | None:
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # the route answers the 400
    task_id = doc.get("taskId") if isinstance(doc, dict) else None
    return task_id if isinstance(task_id, str) else None


def _replay(body: bytes, rest: Receive) -> Receive:
    """The body read already, then whatever the connection says next (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await rest()

    return receive
