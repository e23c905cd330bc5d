"""The answers of synchronous calls (execute, state update): WorkflowRun, and TaskRun for a blocking
task, both SignalResponse shapes that the SDKs read (docs/workflow-edits.md)."""

from __future__ import annotations

from typing import Any, cast

from podium.api.views import task_view, workflow_view
from podium.domain.errors import InvalidArgument
from podium.domain.model import Task
from podium.service.execution import Waited

TARGET_WORKFLOW = "TARGET_WORKFLOW"
BLOCKING_WORKFLOW = "BLOCKING_WORKFLOW"
BLOCKING_TASK = "BLOCKING_TASK"
BLOCKING_TASK_INPUT = "BLOCKING_TASK_INPUT"
RETURN_STRATEGIES = (TARGET_WORKFLOW, BLOCKING_WORKFLOW, BLOCKING_TASK, BLOCKING_TASK_INPUT)

_RUN_FIELDS = (
    "workflowId",
    "status",
    "input",
    "output",
    "tasks",
    "variables",
    "priority",
    "correlationId",
    "createTime",
    "updateTime",
    "createdBy",
    "reasonForIncompletion",
)


def return_strategy(value: str | None) -> str:
    """The strategy asked for (TARGET_WORKFLOW when none); a 400 for an unknown one."""
    if not value:
        return TARGET_WORKFLOW
    wanted = value.strip().upper()
    if wanted not in RETURN_STRATEGIES:
        raise InvalidArgument(f"Invalid returnStrategy: {value}; expected one of {', '.join(RETURN_STRATEGIES)}")
    return wanted


def workflow_run(
    wf: Any, request_id: str | None, *, target: Any = None, response_type: str = TARGET_WORKFLOW
) -> dict[str, Any]:
    """A WorkflowRun of ``wf`` (a stored workflow with its tasks); ``target`` is the workflow the
    caller started or changed, when ``wf`` is another (the sub-workflow that blocks it)."""
    view: dict[str, Any] = dict(workflow_view(wf))
    run: dict[str, Any] = {k: view[k] for k in _RUN_FIELDS if k in view}
    top = target if target is not None else wf
    run["targetWorkflowId"] = top["workflowId"]
    run["targetWorkflowStatus"] = top["status"]
    run["responseType"] = response_type
    if request_id:
        run["requestId"] = request_id
    return run


def task_run(task: Any, target: Any, request_id: str | None, response_type: str) -> dict[str, Any]:
    """A TaskRun: the blocking task's fields, as SignalResponse names them."""
    t: dict[str, Any] = dict(task_view(cast(Task, dict(task))))
    run: dict[str, Any] = {
        "responseType": response_type,
        "targetWorkflowId": target["workflowId"],
        "targetWorkflowStatus": target["status"],
        "workflowId": t.get("workflowInstanceId"),
        "taskType": t.get("taskType"),
        "taskId": t.get("taskId"),
        "referenceTaskName": t.get("referenceTaskName"),
        "retryCount": t.get("retryCount", 0),
        "taskDefName": t.get("taskDefName"),
        "workflowType": t.get("workflowType"),
        "status": t.get("status"),
        "input": t.get("inputData") or {},
        "priority": t.get("workflowPriority", 0),
        "createTime": t.get("scheduledTime"),
        "updateTime": t.get("updateTime"),
    }
    if response_type == BLOCKING_TASK:
        run["output"] = t.get("outputData") or {}
        if t.get("reasonForIncompletion"):
            run["reasonForIncompletion"] = t["reasonForIncompletion"]
        if t.get("retriedTaskId"):
            run["retriedTaskId"] = t["retriedTaskId"]
    if target.get("correlationId"):
        run["correlationId"] = target["correlationId"]
    if request_id:
        run["requestId"] = request_id
    return run


def sync_answer(waited: Waited, request_id: str | None, strategy: str) -> dict[str, Any]:
    """The answer for ``strategy``. With no task blocking (the workflow ended, or the wait ran out) the
    task strategies answer the target workflow, labelled TARGET_WORKFLOW so that a client reads it as
    the workflow shape it is; BLOCKING_WORKFLOW then answers the target itself."""
    target = waited.workflow
    if strategy in (BLOCKING_TASK, BLOCKING_TASK_INPUT) and waited.blocking_task is not None:
        run = task_run(waited.blocking_task, target, request_id, strategy)
    elif strategy == BLOCKING_WORKFLOW:
        shown = waited.blocking_workflow if waited.blocking_workflow is not None else target
        run = workflow_run(shown, request_id, target=target, response_type=BLOCKING_WORKFLOW)
    else:
        run = workflow_run(target, request_id, response_type=TARGET_WORKFLOW)
    if waited.timed_out:
        run["signalTimeout"] = True
    return run
