"""Statement parameters for the rows both dialects store, named after their columns.

The SQL of ``insert_workflow``, ``update_workflow*``, ``upsert_task(s)`` and ``put_event_execution`` in
``sql/sqlite`` (``:name``) and ``sql/postgres`` (``%(name)s``) binds these by name, so no value can land
in another column's slot; a statement uses the names it needs and ignores the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from podium.domain.model import Task, Workflow
from podium.domain.payloads import EXTERNAL_INPUT, EXTERNAL_OUTPUT, stored_task, stored_workflow
from podium.domain.validation_limits import dumps_any

# A statement's parameters: positional, or named after the columns.
Params = Sequence[Any] | Mapping[str, Any]

_ABSENT: Any = object()


def workflow_body(wf: Workflow) -> bytes:
    """The workflow's JSON without its definition snapshot and task list (both are stored apart)."""
    d: dict[str, Any] = wf  # type: ignore[assignment]
    if EXTERNAL_INPUT in d or EXTERNAL_OUTPUT in d:  # the row keeps {} where a path holds the value
        d = stored_workflow(wf)  # type: ignore[assignment]
    wd = d.pop("workflowDefinition", _ABSENT)
    tasks = d.pop("tasks", _ABSENT)
    try:
        return dumps_any(d)  # never fails on a deep document (see domain.validation_limits)
    finally:
        if wd is not _ABSENT:
            d["workflowDefinition"] = wd
        if tasks is not _ABSENT:
            d["tasks"] = tasks


def workflow_row(wf: Workflow, next_check: int | None, def_hash: str, body: bytes) -> dict[str, Any]:
    """The named parameters of every workflow INSERT and UPDATE (each names the columns it writes)."""
    row = workflow_body_row(wf, next_check, def_hash, body)
    row.update(
        name=wf["workflowName"],
        version=wf["workflowVersion"],
        status=wf["status"],
        correlation_id=wf.get("correlationId"),
        parent_workflow_id=wf.get("parentWorkflowId"),
        start_time=wf["startTime"],
    )
    return row


def workflow_body_row(wf: Workflow, next_check: int | None, def_hash: str, body: bytes) -> dict[str, Any]:
    """The named parameters of the workflow UPDATEs that leave the indexed columns alone (the hot ones)."""
    return {
        "workflow_id": wf["workflowId"],
        "update_time": wf["updateTime"],
        "end_time": wf.get("endTime"),
        "next_check": next_check,
        "def_hash": def_hash,
        "json": body,
    }


def task_row(t: Task) -> dict[str, Any]:
    """The named parameters of a task upsert."""
    return {
        "task_id": t["taskId"],
        "workflow_id": t["workflowInstanceId"],
        "seq": t["seq"],
        "task_type": t["taskType"],
        "task_def_name": t.get("taskDefName"),
        "ref_name": t["referenceTaskName"],
        "status": t["status"],
        "update_time": t.get("updateTime", 0),
        "json": dumps_any(stored_task(t) if EXTERNAL_INPUT in t or EXTERNAL_OUTPUT in t else t),
    }


def event_execution_row(key: str, execution: dict[str, Any]) -> dict[str, Any]:
    """The named parameters of an event execution upsert."""
    return {
        "id": key,
        "handler_name": execution.get("name", ""),
        "event": execution.get("event", ""),
        "message_id": execution.get("messageId", ""),
        "created": execution.get("created", 0),
        "json": orjson.dumps(execution),
    }
