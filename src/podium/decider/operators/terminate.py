"""TERMINATE: end the workflow from inside it with a chosen status (docs/reference.md#terminate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.decider.operators.base import Operator, register
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass

TERMINATION_STATUSES = frozenset({st.COMPLETED, st.FAILED, st.TERMINATED})


def termination_output(input_data: JSON) -> JSON:
    """``workflowOutput`` as the task's (and workflow's) output: a map as is, anything else wrapped."""
    value = input_data.get("workflowOutput")
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    return {"output": value}


@register(tt.TERMINATE)
class TerminateOperator(Operator):
    """IN_PROGRESS when scheduled; its step COMPLETES it and ends the workflow with
    ``terminationStatus``: remaining tasks are CANCELED, the output is ``workflowOutput``, and the
    failure workflow runs for FAILED / TERMINATED."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        p.new_record(wt, task_type=tt.TERMINATE, status=st.IN_PROGRESS, iteration=iteration)

    def step(self, p: Pass, task: Task) -> bool:
        from podium.decider.lifecycle import cancel_pending, end_workflow

        data = task.get("inputData", {})
        status = data.get("terminationStatus")
        if not isinstance(status, str) or status not in TERMINATION_STATUSES:
            p.finish(
                task,
                st.FAILED,
                reason=f"Invalid terminationStatus {status!r}: expected one of COMPLETED, FAILED, TERMINATED",
            )
            return True
        output = termination_output(data)
        p.finish(task, st.COMPLETED, output)
        task["executed"] = True
        raw = data.get("terminationReason")
        reason = f"Workflow is {status} by TERMINATE task: {task['taskId']}" if raw is None or raw == "" else str(raw)
        cancel_pending(p)
        end_workflow(p, status, reason, output=output, failed_task_id=task["taskId"])
        return True

    def continues(self, p: Pass, task: Task) -> bool:
        return False
