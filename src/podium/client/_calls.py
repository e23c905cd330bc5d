"""The REST calls, described once and sent by both the sync and the async client."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast
from urllib.parse import quote

import httpx

from podium.client._codec import decode, encode
from podium.client._errors import ApiError
from podium.domain.model import (
    PollData,
    StartWorkflowRequest,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    Workflow,
    WorkflowDef,
)

T = TypeVar("T")
Params = dict[str, str | int]
_JSON_HEADERS = {"content-type": "application/json"}
_TEXT_HEADERS = {"content-type": "text/plain"}


@dataclass(slots=True, frozen=True)
class Call(Generic[T]):
    """One HTTP request and how to read its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Params | None = None
    body: bytes | None = None
    headers: Mapping[str, str] | None = None
    timeout: float | None = None  # extra seconds beyond the client's timeout (long polls)


def api_base(url: str) -> str:
    """``http://host:port`` or ``http://host:port/api`` → ``http://host:port/api``."""
    url = url.rstrip("/")
    return url if url.endswith("/api") else url + "/api"


def check(resp: httpx.Response) -> None:
    """Raise ApiError for an error status, with the server's message when it sent one."""
    if resp.status_code < 400:
        return
    body: Any = resp.text
    message = body or resp.reason_phrase
    try:
        body = decode(resp.content)
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            message = body["message"]
    except Exception:  # not JSON: keep the text
        pass
    raise ApiError(resp.status_code, message, body)


def _json(resp: httpx.Response) -> Any:
    if resp.status_code == 204 or not resp.content:
        return None
    return decode(resp.content)


def _text(resp: httpx.Response) -> str:
    return resp.text


def _none(resp: httpx.Response) -> None:
    return None


def _list(resp: httpx.Response) -> Any:
    return _json(resp) or []


def _body(value: Any) -> bytes:
    return value if isinstance(value, bytes) else encode(value)


def _q(segment: str) -> str:
    return quote(segment, safe="")


def _params(**values: str | int | bool | None) -> Params:
    out: Params = {}
    for k, v in values.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else v
    return out


# -- tasks ------------------------------------------------------------------------------------
def batch_poll(
    task_type: str, worker_id: str | None, count: int, timeout_ms: int, domain: str | None
) -> Call[list[Task]]:
    params = _params(workerid=worker_id, count=count, timeout=timeout_ms, domain=domain or None)
    return Call(
        "GET",
        f"/tasks/poll/batch/{_q(task_type)}",
        cast(Callable[[httpx.Response], list[Task]], _list),
        params,
        timeout=timeout_ms / 1000.0,
    )


def poll(task_type: str, worker_id: str | None, domain: str | None) -> Call[Task | None]:
    params = _params(workerid=worker_id, domain=domain or None)
    return Call("GET", f"/tasks/poll/{_q(task_type)}", _json, params)


def update_task(result: TaskResult | bytes) -> Call[str]:
    return Call("POST", "/tasks", _text, body=_body(result), headers=_JSON_HEADERS)


def update_task_v2(result: TaskResult | bytes) -> Call[Task | None]:
    return Call("POST", "/tasks/update-v2", _json, body=_body(result), headers=_JSON_HEADERS)


def update_task_by_ref(
    workflow_id: str, ref: str, status: str, output: Mapping[str, Any] | None, worker_id: str | None
) -> Call[str]:
    path = f"/tasks/{_q(workflow_id)}/{_q(ref)}/{_q(status)}"
    return Call("POST", path, _text, _params(workerid=worker_id), _body(dict(output or {})), _JSON_HEADERS)


def external_storage_location(operation: str, payload_type: str, path: str | None = None) -> Call[dict[str, str]]:
    """Where a payload kept outside a record is read (READ) or written (WRITE): ``{uri, path}``."""
    resource = "workflow" if payload_type.upper().startswith("WORKFLOW") else "tasks"
    params: Params = {"operation": operation, "payloadType": payload_type}
    if path:
        params["path"] = path
    return Call("GET", f"/{resource}/externalstoragelocation", _json, params=params)


def is_own_uri(base_url: str, uri: str) -> bool:
    """A location on the server itself (sent with the client's headers) rather than a pre-signed store URL."""
    return uri.startswith(base_url.rstrip("/") + "/")


def get_task(task_id: str) -> Call[Task]:
    return Call("GET", f"/tasks/{_q(task_id)}", _json)


def add_task_log(task_id: str, text: str) -> Call[None]:
    return Call("POST", f"/tasks/{_q(task_id)}/log", _none, body=text.encode(), headers=_TEXT_HEADERS)


def get_task_logs(task_id: str) -> Call[list[TaskExecLog]]:
    return Call("GET", f"/tasks/{_q(task_id)}/log", cast(Callable[[httpx.Response], list[TaskExecLog]], _list))


def poll_data(task_type: str) -> Call[list[PollData]]:
    return Call(
        "GET", "/tasks/queue/polldata", cast(Callable[[httpx.Response], list[PollData]], _list), {"taskType": task_type}
    )


# -- metadata ---------------------------------------------------------------------------------
def register_task_defs(defs: list[TaskDef]) -> Call[None]:
    return Call("POST", "/metadata/taskdefs", _none, body=_body(defs), headers=_JSON_HEADERS)


def get_task_def(name: str) -> Call[TaskDef]:
    return Call("GET", f"/metadata/taskdefs/{_q(name)}", _json)


def register_workflow_def(definition: WorkflowDef, overwrite: bool) -> Call[None]:
    return Call("POST", "/metadata/workflow", _none, _params(overwrite=overwrite), _body(definition), _JSON_HEADERS)


def update_workflow_defs(defs: list[WorkflowDef]) -> Call[None]:
    return Call("PUT", "/metadata/workflow", _none, body=_body(defs), headers=_JSON_HEADERS)


def get_workflow_def(name: str, version: int | None) -> Call[WorkflowDef]:
    return Call("GET", f"/metadata/workflow/{_q(name)}", _json, _params(version=version))


# -- workflows --------------------------------------------------------------------------------
def start_workflow(request: StartWorkflowRequest) -> Call[str]:
    return Call("POST", "/workflow", _text, body=_body(request), headers=_JSON_HEADERS)


def get_workflow(workflow_id: str, include_tasks: bool) -> Call[Workflow]:
    return Call("GET", f"/workflow/{_q(workflow_id)}", _json, _params(includeTasks=include_tasks))


def terminate_workflow(workflow_id: str, reason: str | None) -> Call[None]:
    return Call("DELETE", f"/workflow/{_q(workflow_id)}", _none, _params(reason=reason))


def workflow_action(workflow_id: str, action: str, method: str = "PUT") -> Call[None]:
    """pause / resume (PUT), retry / restart (POST)."""
    return Call(method, f"/workflow/{_q(workflow_id)}/{action}", _none)


def health() -> Call[Any]:
    return Call("GET", "/health", _json)


def start_request(
    name: str,
    input: Mapping[str, Any] | None,
    version: int | None,
    correlation_id: str | None,
    priority: int | None,
    task_to_domain: Mapping[str, str] | None,
) -> StartWorkflowRequest:
    """A StartWorkflowRequest from keyword arguments (absent values omitted)."""
    req: StartWorkflowRequest = {"name": name, "input": dict(input or {})}
    if version is not None:
        req["version"] = version
    if correlation_id is not None:
        req["correlationId"] = correlation_id
    if priority is not None:
        req["priority"] = priority
    if task_to_domain:
        req["taskToDomain"] = dict(task_to_domain)
    return req
