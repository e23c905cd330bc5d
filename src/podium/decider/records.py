"""Creating task records (Conductor's Task); their queues are named in ``podium.domain.queues``."""

from __future__ import annotations

from podium.domain import tasktypes as tt
from podium.domain.defaults import adhoc_task_def, with_task_def_defaults
from podium.domain.model import JSON, Task, TaskDef, Workflow, WorkflowTask


def effective_task_def(wt: WorkflowTask, registered: TaskDef | None) -> TaskDef:
    """Inline ``taskDefinition`` wins over the registry; else the ad-hoc default
    (docs/reference.md#task-definitions).
    """
    inline = wt.get("taskDefinition")
    if inline:
        return with_task_def_defaults(inline)
    if registered is not None:
        return registered
    return adhoc_task_def(wt.get("name", ""), tt.is_worker_type(wt.get("type", tt.SIMPLE)))


def new_task(
    wf: Workflow,
    wt: WorkflowTask,
    *,
    task_id: str,
    task_type: str,
    status: str,
    input_data: JSON,
    now: int,
    iteration: int = 0,
    ref: str | None = None,
    task_def_name: str | None = None,
    td: TaskDef | None = None,
) -> Task:
    """A fresh task record for a WorkflowTask node."""
    t: Task = {
        "taskType": task_type,
        "status": status,
        "inputData": input_data,
        "referenceTaskName": ref or wt.get("taskReferenceName", ""),
        "retryCount": 0,
        "seq": 0,
        "pollCount": 0,
        "taskDefName": task_def_name or wt.get("name", task_type),
        "scheduledTime": now,
        "startTime": 0,
        "endTime": 0,
        "updateTime": now,
        "startDelayInSeconds": wt.get("startDelay", 0) or 0,
        "retried": False,
        "executed": False,
        "callbackFromWorker": True,
        "responseTimeoutSeconds": (td or {}).get("responseTimeoutSeconds", 0),
        "workflowInstanceId": wf["workflowId"],
        "workflowType": wf["workflowName"],
        "taskId": task_id,
        "callbackAfterSeconds": 0,
        "outputData": {},
        "workflowTask": wt,
        "workflowPriority": wf.get("priority", 0),
        "iteration": iteration,
        "subworkflowChanged": False,
    }
    cid = wf.get("correlationId")
    if cid is not None:
        t["correlationId"] = cid
    if td is not None:
        if td.get("rateLimitPerFrequency"):
            t["rateLimitPerFrequency"] = td["rateLimitPerFrequency"]
            t["rateLimitFrequencyInSeconds"] = td.get("rateLimitFrequencyInSeconds") or 1
        if td.get("executionNameSpace"):
            t["executionNameSpace"] = td["executionNameSpace"]
        if td.get("isolationGroupId"):
            t["isolationGroupId"] = td["isolationGroupId"]
    return t
