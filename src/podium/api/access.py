"""Who may call what: every API route in an endpoint family, and the roles each family allows.

One table, read by the auth middleware (``api/auth.py``) and by the table-driven test that calls one
route of every family with a key of every role. The first row whose method and path match wins;
a path under ``/api/`` that no row names needs a token of any role (the router then answers 404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from podium.domain.auth import Role


class Family(StrEnum):
    OPEN = "open"  # no token: /health, POST /api/token
    ANY_ROLE = "any-role"  # any valid token: who am I, server version, unknown /api paths
    METRICS = "metrics"
    SERVER_READ = "server-read"
    SERVER_ADMIN = "server-admin"
    METADATA_READ = "metadata-read"
    METADATA_WRITE = "metadata-write"
    WORKFLOW_READ = "workflow-read"
    WORKFLOW_CONTROL = "workflow-control"
    WORKFLOW_REMOVE = "workflow-remove"
    TASK_WORK = "task-work"  # poll, update by task id, add a log
    TASK_COMPLETE = "task-complete"  # complete a task by workflow id and reference (WAIT, HUMAN, ...)
    TASK_READ = "task-read"
    QUEUE_ADMIN = "queue-admin"
    EVENT_READ = "event-read"
    EVENT_WRITE = "event-write"
    KEYS = "keys"
    SECRET_NAMES = "secret-names"  # list secret names, ask whether one exists (never a value)
    SECRETS = "secrets"  # read a secret's value, create, replace or delete a secret
    ENV_READ = "env-read"
    ENV_WRITE = "env-write"
    SCHEDULE_READ = "schedule-read"
    SCHEDULE_WRITE = "schedule-write"  # create, change, pause, resume, delete, tag a schedule
    SCHEDULE_ADMIN = "schedule-admin"  # pause, resume or requeue every schedule

    PAYLOAD_LOCATION = "payload-location"  # where an external payload is read or written (a signed URI)


_ALL = frozenset(Role)
_READERS = frozenset({Role.ADMIN, Role.OPERATOR, Role.VIEWER})
_STEERERS = frozenset({Role.ADMIN, Role.OPERATOR})
_ADMIN = frozenset({Role.ADMIN})

ALLOWED: Final[dict[Family, frozenset[Role]]] = {
    Family.OPEN: _ALL,
    Family.ANY_ROLE: _ALL,
    Family.METRICS: _READERS,
    Family.SERVER_READ: _READERS,
    Family.SERVER_ADMIN: _ADMIN,
    Family.METADATA_READ: _READERS,
    Family.METADATA_WRITE: _ADMIN,
    Family.WORKFLOW_READ: _READERS,
    Family.WORKFLOW_CONTROL: _STEERERS,
    Family.WORKFLOW_REMOVE: _ADMIN,
    Family.TASK_WORK: frozenset({Role.ADMIN, Role.WORKER}),
    Family.TASK_COMPLETE: frozenset({Role.ADMIN, Role.OPERATOR, Role.WORKER}),
    Family.TASK_READ: _READERS,
    Family.QUEUE_ADMIN: _STEERERS,
    Family.EVENT_READ: _READERS,
    Family.EVENT_WRITE: _ADMIN,
    Family.KEYS: _ADMIN,
    Family.SECRET_NAMES: _STEERERS,
    Family.SECRETS: _ADMIN,
    Family.ENV_READ: _READERS,
    Family.ENV_WRITE: _ADMIN,
    Family.SCHEDULE_READ: _READERS,
    Family.SCHEDULE_WRITE: _STEERERS,
    Family.SCHEDULE_ADMIN: _ADMIN,
    Family.PAYLOAD_LOCATION: _ALL,
}

_S = "[^/]+"  # one path segment
# (methods, path pattern, family); {x} is one segment, {x:path} the rest of the path.
ROUTES: Final[list[tuple[str, str, Family]]] = [
    ("GET", "/health", Family.OPEN),
    ("GET", "/api/health", Family.OPEN),
    ("POST", "/api/token", Family.OPEN),
    ("GET", "/api/token/userInfo", Family.ANY_ROLE),
    ("GET", "/api/version", Family.ANY_ROLE),
    ("GET", "/metrics", Family.METRICS),
    ("GET", "/api/keys", Family.KEYS),
    ("POST", "/api/keys", Family.KEYS),
    ("DELETE", "/api/keys/{key}", Family.KEYS),
    # admin
    ("GET", "/api/admin/config", Family.SERVER_READ),
    ("GET", "/api/admin/queues", Family.SERVER_READ),
    ("GET", "/api/admin/task/{type}", Family.SERVER_READ),
    ("POST", "/api/admin/sweep/requeue/{id}", Family.QUEUE_ADMIN),
    ("POST", "/api/admin/consistency/verifyAndRepair/{id}", Family.SERVER_ADMIN),
    ("GET", "/api/admin/retention", Family.SERVER_READ),
    ("POST", "/api/admin/retention", Family.SERVER_ADMIN),
    # definitions
    ("GET", "/api/metadata/tags", Family.METADATA_READ),
    ("GET", "/api/metadata/workflow/{name}/tags", Family.METADATA_READ),
    ("GET", "/api/metadata/task/{name}/tags", Family.METADATA_READ),
    ("PUT POST DELETE", "/api/metadata/workflow/{name}/tags", Family.METADATA_WRITE),
    ("PUT POST DELETE", "/api/metadata/task/{name}/tags", Family.METADATA_WRITE),
    ("GET", "/api/metadata/{rest:path}", Family.METADATA_READ),
    ("POST", "/api/metadata/workflow/validate", Family.METADATA_READ),
    ("POST", "/api/metadata/taskdefs/validate", Family.METADATA_READ),
    ("POST PUT DELETE", "/api/metadata/{rest:path}", Family.METADATA_WRITE),
    # external payloads (before the workflow and task rows, whose {id} would take these paths)
    ("GET", "/api/workflow/externalstoragelocation", Family.PAYLOAD_LOCATION),
    ("GET", "/api/workflow/external-storage-location", Family.PAYLOAD_LOCATION),
    ("GET", "/api/tasks/externalstoragelocation", Family.PAYLOAD_LOCATION),
    ("GET", "/api/tasks/external-storage-location", Family.PAYLOAD_LOCATION),
    ("GET PUT", "/api/payloads/{rest:path}", Family.OPEN),  # the signed URI is the credential
    # workflows
    ("POST", "/api/workflow/bulk/search", Family.WORKFLOW_READ),
    ("DELETE", "/api/workflow/bulk/remove", Family.WORKFLOW_REMOVE),
    ("DELETE", "/api/workflow/bulk/terminate-remove", Family.WORKFLOW_REMOVE),
    ("PUT POST", "/api/workflow/bulk/{op}", Family.WORKFLOW_CONTROL),
    ("POST", "/api/workflow/correlated/batch", Family.WORKFLOW_READ),
    ("POST", "/api/workflow/test", Family.WORKFLOW_CONTROL),  # runs on a private in-memory engine
    ("POST", "/api/workflow/{name}/correlated", Family.WORKFLOW_READ),
    ("DELETE", "/api/workflow/{id}/remove", Family.WORKFLOW_REMOVE),
    ("DELETE", "/api/workflow/{id}/terminate-remove", Family.WORKFLOW_REMOVE),
    ("GET", "/api/workflow/{rest:path}", Family.WORKFLOW_READ),
    ("POST PUT DELETE", "/api/workflow", Family.WORKFLOW_CONTROL),
    ("POST PUT DELETE", "/api/workflow/{rest:path}", Family.WORKFLOW_CONTROL),
    # tasks
    ("GET", "/api/tasks/poll/batch/{type}", Family.TASK_WORK),
    ("GET", "/api/tasks/poll/{type}", Family.TASK_WORK),
    ("POST", "/api/tasks", Family.TASK_WORK),
    ("POST", "/api/tasks/update-v2", Family.TASK_WORK),
    ("POST", "/api/tasks/queue/requeue/{type}", Family.QUEUE_ADMIN),
    ("POST", "/api/tasks/{id}/log", Family.TASK_WORK),
    ("POST", "/api/tasks/{wf}/{status}/signal", Family.TASK_COMPLETE),
    ("POST", "/api/tasks/{wf}/{status}/signal/sync", Family.TASK_COMPLETE),
    ("POST", "/api/tasks/{wf}/{ref}/{status}", Family.TASK_COMPLETE),
    ("POST", "/api/tasks/{wf}/{ref}/{status}/sync", Family.TASK_COMPLETE),
    ("GET", "/api/tasks/{rest:path}", Family.TASK_READ),
    # events and the internal event queue
    ("GET", "/api/event", Family.EVENT_READ),
    ("GET", "/api/event/{rest:path}", Family.EVENT_READ),
    ("POST PUT DELETE", "/api/event", Family.EVENT_WRITE),
    ("POST PUT DELETE", "/api/event/{rest:path}", Family.EVENT_WRITE),
    ("GET", "/api/queue", Family.EVENT_READ),
    ("GET", "/api/queue/size", Family.EVENT_READ),
    ("POST", "/api/queue/update/{wf}/task/{id}/{status}", Family.TASK_COMPLETE),
    ("POST", "/api/queue/update/{wf}/{ref}/{status}", Family.TASK_COMPLETE),
    # secrets and environment values (issue #14)
    ("GET POST", "/api/secrets", Family.SECRET_NAMES),
    ("GET", "/api/secrets-v2", Family.SECRET_NAMES),
    ("GET", "/api/secrets/{key}/exists", Family.SECRET_NAMES),
    ("GET PUT DELETE", "/api/secrets/{key}", Family.SECRETS),
    ("GET", "/api/environment", Family.ENV_READ),
    ("GET", "/api/environment/{key}", Family.ENV_READ),
    ("PUT POST DELETE", "/api/environment/{key}", Family.ENV_WRITE),
    # workflow schedules (issue #15); per-schedule pause and resume are also GETs (Orkes' dialect)
    ("GET", "/api/scheduler/schedules/{name}/pause", Family.SCHEDULE_WRITE),
    ("GET", "/api/scheduler/schedules/{name}/resume", Family.SCHEDULE_WRITE),
    ("GET", "/api/scheduler/admin/{op}", Family.SCHEDULE_ADMIN),
    ("GET", "/api/scheduler/{rest:path}", Family.SCHEDULE_READ),
    ("POST PUT DELETE", "/api/scheduler/{rest:path}", Family.SCHEDULE_WRITE),
]


@dataclass(frozen=True, slots=True)
class _Row:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    family: Family


def _compile(path: str) -> re.Pattern[str]:
    out = re.sub(r"\{[^}:]+:path\}", ".+", path)
    out = re.sub(r"\{[^}]+\}", _S, out)
    return re.compile(out + "$")


_ROWS = [_Row(frozenset(m.split()), _compile(p), f) for m, p, f in ROUTES]
_EXACT: dict[tuple[str, str], Family] = {}
for _m, _p, _f in ROUTES:
    if "{" not in _p:
        for _one in _m.split():
            _EXACT.setdefault((_one, _p), _f)


def family_of(method: str, path: str) -> Family | None:
    """The family of a request, or None for a path that needs no token at all (the UI, the API docs)."""
    if method == "HEAD":
        method = "GET"
    exact = _EXACT.get((method, path))
    if exact is not None:
        return exact
    if method == "GET" and path.startswith("/api/tasks/poll/"):  # the hot path: no pattern walk
        return Family.TASK_WORK
    for row in _ROWS:
        if method in row.methods and row.pattern.match(path):
            return row.family
    if path.startswith("/api/") or path == "/api":
        return Family.ANY_ROLE
    return None
