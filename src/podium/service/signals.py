"""Signals (Conductor OSS 3.32, Orkes): complete the task a workflow is blocked on, knowing only the workflow id.

``POST /api/tasks/{workflowId}/{status}/signal[/sync]`` finds the first pending WAIT or HUMAN task of the
workflow, in task order, searching into running sub-workflows, and updates it with the body merged into its
output. The synchronous form then waits until the target workflow ends or blocks again and answers a
SignalResponse shaped by ``returnStrategy``.
"""

from __future__ import annotations

import time
from typing import Any, Final

from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.errors import InvalidArgument, NotFound
from podium.domain.model import Task, Workflow
from podium.service import workflows as wfs
from podium.service.engine import Engine
from podium.service.tasks import TaskService
from podium.service.unit import workflow_channel

SIGNAL_STATUSES: Final = frozenset({st.COMPLETED, st.FAILED, st.FAILED_WITH_TERMINAL_ERROR, st.IN_PROGRESS})
RETURN_STRATEGIES: Final = ("TARGET_WORKFLOW", "BLOCKING_WORKFLOW", "BLOCKING_TASK", "BLOCKING_TASK_INPUT")
BLOCKING_TYPES: Final = frozenset({tt.WAIT, tt.HUMAN})
DEFAULT_TIMEOUT_MS: Final = 5000
MAX_TIMEOUT_MS: Final = 300_000
MAX_DEPTH: Final = 32  # sub-workflow nesting followed when looking for the blocking task


def blocking_task(engine: Engine, workflow_id: str) -> tuple[Workflow, Task] | None:
    """(the workflow holding it, the task) of the first pending WAIT/HUMAN, searching into sub-workflows."""
    return _find(engine, wfs.get_workflow(engine, workflow_id, True), 0)


def _find(engine: Engine, wf: Workflow, depth: int) -> tuple[Workflow, Task] | None:
    if st.workflow_terminal(wf["status"]):
        return None
    for task in wf.get("tasks", []):
        if st.task_terminal(task["status"]):
            continue
        if task.get("taskType") in BLOCKING_TYPES:
            return wf, task
        sub_id = task.get("subWorkflowId")
        if task.get("taskType") == tt.SUB_WORKFLOW and sub_id and depth < MAX_DEPTH:
            try:
                child = wfs.get_workflow(engine, sub_id, True)
            except NotFound:
                continue
            found = _find(engine, child, depth + 1)
            if found is not None:
                return found
    return None


def signal(engine: Engine, tasks: TaskService, workflow_id: str, status: str, output: Any) -> Task:
    """Update the blocking task with ``status`` and the body merged into its output; returns the task before."""
    if status not in SIGNAL_STATUSES:
        raise InvalidArgument(f"Invalid signal status: {status}; one of {', '.join(sorted(SIGNAL_STATUSES))}")
    if not isinstance(output, dict):
        raise InvalidArgument("The body must be a JSON object (the task output)")
    found = blocking_task(engine, workflow_id)
    if found is None:
        raise NotFound(f"No pending WAIT or HUMAN task to signal in workflow {workflow_id}")
    holder, task = found
    merged = {**(task.get("outputData") or {}), **output}
    tasks.update({"workflowInstanceId": holder["workflowId"], "taskId": task["taskId"], "status": status,
                  "outputData": merged})  # fmt: skip
    return task


def check_strategy(value: str | None) -> str:
    strategy = value or "TARGET_WORKFLOW"
    if strategy not in RETURN_STRATEGIES:
        raise InvalidArgument(f"Invalid returnStrategy: {strategy}; one of {', '.join(RETURN_STRATEGIES)}")
    return strategy


async def wait_settled(engine: Engine, workflow_id: str, timeout_ms: int) -> tuple[Workflow, bool]:
    """Wait until the workflow ends or blocks on a WAIT/HUMAN again (woken by commits of any workflow of its
    tree, never by polling); returns it and whether the wait timed out."""
    deadline = time.monotonic() + min(max(timeout_ms, 0), MAX_TIMEOUT_MS) / 1000
    notifier = engine.notifier
    while True:
        wf = wfs.get_workflow(engine, workflow_id, True)
        if st.workflow_terminal(wf["status"]) or blocking_task(engine, workflow_id) is not None:
            return wf, False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return wf, True
        channels = [workflow_channel(wid) for wid in _tree_ids(engine, wf, 0)]
        await notifier.wait_any(channels, remaining)


def _tree_ids(engine: Engine, wf: Workflow, depth: int) -> list[str]:
    ids = [wf["workflowId"]]
    for task in wf.get("tasks", []):
        sub_id = task.get("subWorkflowId")
        if sub_id and not st.task_terminal(task["status"]) and depth < MAX_DEPTH:
            try:
                ids += _tree_ids(engine, wfs.get_workflow(engine, sub_id, True), depth + 1)
            except NotFound:
                continue
    return ids


WORKFLOW_FIELDS: Final = ("workflowId", "status", "input", "output", "tasks", "variables", "priority",
                          "correlationId", "createTime", "updateTime", "createdBy", "reasonForIncompletion",
                          "workflowType", "version")  # fmt: skip
TASK_FIELDS: Final = ("taskId", "taskType", "taskDefName", "referenceTaskName", "status", "retryCount",
                      "workflowType", "correlationId", "createTime", "updateTime", "reasonForIncompletion")  # fmt: skip


def signal_response(
    engine: Engine, target: Workflow, strategy: str, timed_out: bool, request_id: str | None = None
) -> dict[str, Any]:
    """A SignalResponse: the target workflow, or the workflow/task it now blocks on, per ``strategy``."""
    out: dict[str, Any] = {
        "responseType": strategy,
        "targetWorkflowId": target["workflowId"],
        "targetWorkflowStatus": target["status"],
    }
    if request_id:
        out["requestId"] = request_id
    blocked = blocking_task(engine, target["workflowId"]) if strategy != "TARGET_WORKFLOW" else None
    if blocked is None:  # asked for the target, or nothing blocks any more: the target workflow answers
        out["responseType"] = "TARGET_WORKFLOW"
        out.update(_pick(target, WORKFLOW_FIELDS))
    elif strategy == "BLOCKING_WORKFLOW":
        out.update(_pick(blocked[0], WORKFLOW_FIELDS))
    else:
        holder, task = blocked
        out.update(_pick(task, TASK_FIELDS))
        out["workflowId"] = holder["workflowId"]
        out["workflowType"] = holder.get("workflowName")
        out["input"] = task.get("inputData") or {}
        out["output"] = task.get("outputData") or {}
    if timed_out:
        out["signalTimeout"] = True
    return out


def _pick(record: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: record[k] for k in keys if k in record}
