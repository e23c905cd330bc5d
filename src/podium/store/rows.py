"""Statement parameters for the rows both dialects store, in the column order their SQL shares.

The SQL of ``insert_workflow``, ``update_workflow``, ``upsert_task(s)`` and ``put_event_execution`` lists the
same columns in the same order in ``sql/sqlite`` and ``sql/postgres``; these functions are that order, once.
"""

from __future__ import annotations

from typing import Any

import orjson

from podium.domain.model import Task, Workflow

_ABSENT: Any = object()


def workflow_body(wf: Workflow) -> bytes:
    """The workflow's JSON without its definition snapshot and task list (both are stored apart)."""
    d: dict[str, Any] = wf  # type: ignore[assignment]
    wd = d.pop("workflowDefinition", _ABSENT)
    tasks = d.pop("tasks", _ABSENT)
    try:
        return orjson.dumps(d)
    finally:
        if wd is not _ABSENT:
            d["workflowDefinition"] = wd
        if tasks is not _ABSENT:
            d["tasks"] = tasks


def workflow_insert_args(wf: Workflow, next_check: int | None, def_hash: str, body: bytes) -> tuple[Any, ...]:
    """(workflow_id, name, version, status, correlation_id, parent_workflow_id, start_time, update_time,
    end_time, next_check, def_hash, json)."""
    return (
        wf["workflowId"],
        wf["workflowName"],
        wf["workflowVersion"],
        wf["status"],
        wf.get("correlationId"),
        wf.get("parentWorkflowId"),
        wf["startTime"],
        wf["updateTime"],
        wf.get("endTime"),
        next_check,
        def_hash,
        body,
    )


def workflow_update_args(wf: Workflow, next_check: int | None, def_hash: str, body: bytes) -> tuple[Any, ...]:
    """(status, correlation_id, update_time, end_time, next_check, def_hash, json, workflow_id)."""
    return (
        wf["status"],
        wf.get("correlationId"),
        wf["updateTime"],
        wf.get("endTime"),
        next_check,
        def_hash,
        body,
        wf["workflowId"],
    )


def task_args(t: Task) -> tuple[Any, ...]:
    """(task_id, workflow_id, seq, task_type, task_def_name, ref_name, status, update_time, json)."""
    return (
        t["taskId"],
        t["workflowInstanceId"],
        t["seq"],
        t["taskType"],
        t.get("taskDefName"),
        t["referenceTaskName"],
        t["status"],
        t.get("updateTime", 0),
        orjson.dumps(t),
    )


def event_execution_args(key: str, execution: dict[str, Any]) -> tuple[Any, ...]:
    """(id, handler_name, event, message_id, created, json)."""
    return (
        key,
        execution.get("name", ""),
        execution.get("event", ""),
        execution.get("messageId", ""),
        execution.get("created", 0),
        orjson.dumps(execution),
    )
