"""Ending a workflow: completion, failure and termination (docs/reference.md#the-workflow-definition)."""

from __future__ import annotations

from podium.decider.operators.base import operator_for
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON
from podium.domain.payloads import EXTERNAL_OUTPUT, PayloadType, forget_external
from podium.domain.validation_limits import payload_size


def workflow_output(p: Pass) -> JSON:
    """outputParameters resolved, else the output of the last task record
    (docs/reference.md#the-workflow-definition).
    """
    params = p.wf["workflowDefinition"].get("outputParameters") or {}
    if params:
        out = p.resolve(params)
        return out if isinstance(out, dict) else {}
    for t in reversed(p.state.tasks):
        if t["status"] != st.SKIPPED or t.get("outputData"):
            return dict(t.get("outputData") or {})
    return {}


def cancel_pending(p: Pass) -> None:
    """CANCEL every non-terminal record, running operator cancel hooks."""
    for t in p.state.tasks:
        if not st.task_terminal(t["status"]):
            op = operator_for(t.get("workflowTask", {}).get("type", tt.SIMPLE))
            op.cancel(p, t)
            p.remove_from_queue(t)
            p.finish(t, st.CANCELED)


def _failed_names(p: Pass) -> None:
    refs = list(p.wf.get("failedReferenceTaskNames") or [])
    names = list(p.wf.get("failedTaskNames") or [])
    for t in p.state.tasks:
        if t["status"] in (st.FAILED, st.FAILED_WITH_TERMINAL_ERROR):
            if t["referenceTaskName"] not in refs:
                refs.append(t["referenceTaskName"])
            name = t.get("taskDefName", "")
            if name not in names:
                names.append(name)
    p.wf["failedReferenceTaskNames"] = refs
    p.wf["failedTaskNames"] = names


def end_workflow(
    p: Pass,
    status: str,
    reason: str | None = None,
    *,
    failure_workflow: bool = True,
    output: JSON | None = None,
    failed_task_id: str | None = None,
) -> None:
    """Move the workflow to a terminal status and ask for the follow-up effects.

    An output over ``Limits.workflow_output_bytes`` is not kept: the workflow FAILS with Conductor's
    payload reason instead of completing.
    """
    wf = p.wf
    if output is None:
        p.invalidate()
        output = workflow_output(p)
    size = payload_size(output) if output else 0
    if size > p.env.limits.workflow_output_bytes:
        status = st.FAILED if status == st.COMPLETED else status
        reason = (
            f"The workflow output payload size: {size} bytes is greater than the permissible limit: "
            f"{p.env.limits.workflow_output_bytes} bytes (PODIUM_LIMIT_WORKFLOW_OUTPUT_BYTES)"
        )
        output, size = {}, 0
    if status != st.COMPLETED:
        cancel_pending(p)
    wf["status"] = status
    wf["endTime"] = p.now
    wf["updateTime"] = p.now
    if reason:
        wf["reasonForIncompletion"] = reason
    else:
        wf.pop("reasonForIncompletion", None)
    p.invalidate()
    wf["output"] = output
    forget_external(wf, EXTERNAL_OUTPUT)
    if size > p.env.limits.workflow_output_threshold_bytes:
        p.externalize(wf, EXTERNAL_OUTPUT, PayloadType.WORKFLOW_OUTPUT, output, size)
    _failed_names(p)
    p.ended = True
    p.out.workflow_changed = True
    p.out.next_check = None
    if status != st.COMPLETED and failure_workflow and wf["workflowDefinition"].get("failureWorkflow"):
        p.effect("start_failure_workflow", reason=reason or "", status=status, failed_task_id=failed_task_id)
    if wf.get("parentWorkflowId"):
        p.effect("notify_parent", parent_id=wf["parentWorkflowId"])
