"""Effects the decider asks for: sub-workflows, parents, failure workflows, terminations."""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any, cast

from podium.decider import WorkflowState
from podium.decider.outcome import Effect
from podium.domain import statuses as st
from podium.domain.errors import BackendUnavailable, PodiumError
from podium.domain.model import StartWorkflowRequest, Task, Workflow, WorkflowDef
from podium.domain.payloads import EXTERNAL_OUTPUT, forget_external
from podium.expr import ResolutionContext, resolve
from podium.logs import about
from podium.service.engine import Engine
from podium.service.unit import Unit

log = logging.getLogger("podium.effects")

# Child workflow status → the parent's SUB_WORKFLOW task status (docs/reference.md#sub_workflow).
CHILD_TO_TASK = {
    st.RUNNING: st.IN_PROGRESS,
    st.PAUSED: st.IN_PROGRESS,
    st.COMPLETED: st.COMPLETED,
    st.FAILED: st.FAILED,
    st.TIMED_OUT: st.TIMED_OUT,
    st.TERMINATED: st.CANCELED,
}


def install(engine: Engine) -> None:
    """Register the effect handlers on an engine."""
    engine.effect_handlers.update(
        {
            "start_failure_workflow": start_failure_workflow,
            "notify_parent": notify_parent,
            "start_sub_workflow": start_sub_workflow,
            "terminate_workflow": terminate_workflow,
            "start_workflow": start_workflow_task,
        }
    )


def full_json(state: WorkflowState) -> Workflow:
    """The workflow with its tasks, as the API returns it."""
    wf = cast(Workflow, dict(state.workflow))
    wf["tasks"] = state.tasks
    return wf


def start_failure_workflow(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    """Start the definition's failureWorkflow with the failed run's details
    (docs/reference.md#the-workflow-definition).
    """
    from podium.service.starting import new_workflow

    wf = state.workflow
    name_expr = wf["workflowDefinition"].get("failureWorkflow", "")
    ctx = ResolutionContext(wf, state.tasks)
    name = resolve(name_expr, ctx)
    output = wf.setdefault("output", {})
    try:
        if not isinstance(name, str) or not name:
            raise PodiumError(f"Invalid failure workflow name: {name!r}")
        version = wf["workflowDefinition"].get("failureWorkflowVersion")
        wd = unit.engine.metadata.workflow_def(name, version)
        if wd is None:
            raise PodiumError(f"No such workflow found by name: {name}")
        inp = dict(wf.get("input") or {})
        inp.update(
            {
                "workflowId": wf["workflowId"],
                "reason": eff.data.get("reason", ""),
                "failureStatus": eff.data.get("status", st.FAILED),
                "failedWorkflow": copy.deepcopy(full_json(state)),
            }
        )
        if eff.data.get("failed_task_id"):
            inp["failureTaskId"] = eff.data["failed_task_id"]
        req: StartWorkflowRequest = {"name": name, "input": inp, "taskToDomain": wf.get("taskToDomain") or {}}
        if wf.get("correlationId"):
            req["correlationId"] = wf["correlationId"]
        child = new_workflow(unit, wd, req)
        output["conductor.failure_workflow"] = child.workflow_id
    except BackendUnavailable:
        raise  # the unit is lost: never record a database failure as the task's outcome
    except PodiumError as e:
        wid = wf["workflowId"]
        log.warning("failure workflow of %s not started: %s", wid, e.message, extra=about(wid))
        output["conductor.failure_workflow"] = f"Error starting failure workflow: {e.message}"


def apply_child_result(task: Task, child: Workflow, now: int) -> bool:
    """Copy a child's status and output onto its SUB_WORKFLOW task; True if the task changed."""
    status = CHILD_TO_TASK.get(child["status"], st.IN_PROGRESS)
    if st.task_terminal(task["status"]):
        return False
    out = dict(task.get("outputData") or {})
    out.update(child.get("output") or {})
    out["subWorkflowId"] = child["workflowId"]
    task["outputData"] = out
    forget_external(task, EXTERNAL_OUTPUT)
    task["subWorkflowId"] = child["workflowId"]
    if status != task["status"]:
        task["status"] = status
        if st.task_terminal(status):
            task["endTime"] = now
            if status != st.COMPLETED:
                wd = child.get("workflowDefinition") or {}
                task["reasonForIncompletion"] = (
                    f"Sub workflow {wd.get('name', child.get('workflowName'))}.{wd.get('version', 1)}/"
                    f"{child['workflowId']} failure reason: {child.get('reasonForIncompletion', '')}"
                )
    task["updateTime"] = now
    return True


def notify_parent(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    """A child ended: update the parent's SUB_WORKFLOW task and decide the parent (docs/reference.md#sub_workflow)."""
    child = state.workflow
    parent_id = eff.data["parent_id"]
    unit.with_workflow(parent_id, lambda parent: _apply_to_parent(unit, parent, child))


def _apply_to_parent(unit: Unit, parent: WorkflowState, child: Workflow) -> list[Task]:
    task_id = child.get("parentWorkflowTaskId")
    for t in parent.tasks:
        if t["taskId"] == task_id or (task_id is None and t.get("subWorkflowId") == child["workflowId"]):
            return [t] if apply_child_result(t, child, unit.clock.now()) else []
    return []


def child_id_for(parent_id: str, task: Task) -> str:
    """Deterministic child id so a repeated launch attaches to the same child (as Conductor does
    for SUB_WORKFLOW launches).

    ``scheduledTime`` is part of the key: a rerun resets the task in place (same id and retry count)
    and must launch a new child rather than attach to the one that ended.
    """
    key = f"subworkflow:{parent_id}:{task['taskId']}:{task.get('retryCount', 0)}:{task.get('scheduledTime', 0)}"
    return str(uuid.uuid3(uuid.NAMESPACE_OID, key))


def start_sub_workflow(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    """Launch the child of a SUB_WORKFLOW task (or attach to it when it exists)."""
    from podium.service.starting import new_workflow

    task = eff.task
    assert task is not None
    inp = task.get("inputData") or {}
    child_id = child_id_for(state.workflow_id, task)
    existing = unit.store.get_workflow(child_id)
    try:
        if existing is None:
            wd = _child_definition(unit.engine, inp)
            req: StartWorkflowRequest = {
                "name": wd["name"],
                "version": wd.get("version", 1),
                "input": inp.get("workflowInput") or {k: v for k, v in inp.items() if not k.startswith("subWorkflow")},
                "taskToDomain": inp.get("subWorkflowTaskToDomain") or state.workflow.get("taskToDomain") or {},
                "priority": int(inp.get("priority") or state.workflow.get("priority", 0) or 0),
            }
            if state.workflow.get("correlationId"):
                req["correlationId"] = state.workflow["correlationId"]
            child = new_workflow(
                unit, wd, req, workflow_id=child_id, parent_id=state.workflow_id, parent_task_id=task["taskId"]
            ).workflow
        else:
            child = existing
    except BackendUnavailable:
        raise  # the unit is lost: never record a database failure as the task's outcome
    except PodiumError as e:
        task["status"] = st.FAILED
        task["reasonForIncompletion"] = e.message
        task["endTime"] = unit.clock.now()
        unit.redecide(state.workflow_id)
        return
    task["subWorkflowId"] = child["workflowId"]
    task.setdefault("outputData", {})["subWorkflowId"] = child["workflowId"]
    if task["status"] == st.SCHEDULED:
        task["status"] = st.IN_PROGRESS
        task["startTime"] = unit.clock.now()
    if apply_child_result(task, child, unit.clock.now()) and st.task_terminal(task["status"]):
        unit.redecide(state.workflow_id)


def _child_definition(engine: Engine, inp: dict[str, Any]) -> WorkflowDef:
    inline = inp.get("subWorkflowDefinition")
    if isinstance(inline, dict) and inline:
        return engine.metadata.prepare_workflow_def(inline)
    name = inp.get("subWorkflowName")
    version = inp.get("subWorkflowVersion")
    if not isinstance(name, str) or not name:
        raise PodiumError("SUB_WORKFLOW task has no subWorkflowName")
    wd = engine.metadata.workflow_def(name, version if isinstance(version, int) and version > 0 else None)
    if wd is None:
        raise PodiumError(f"No such workflow found by name: {name}, version: {version}")
    return wd


def terminate_workflow(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    """Terminate another workflow (a cancelled SUB_WORKFLOW's child)."""
    from podium.service.workflows import terminate_in_tx

    target = eff.data["workflow_id"]
    try:
        terminate_in_tx(unit, target, eff.data.get("reason") or "Parent workflow ended", notify_parent=False)
    except BackendUnavailable:
        raise  # the unit is lost: never record a database failure as the task's outcome
    except PodiumError as e:
        log.info("terminate of %s skipped: %s", target, e.message)


def start_workflow_task(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    """START_WORKFLOW: launch an independent workflow and complete the task (docs/reference.md#start_workflow)."""
    from podium.service.starting import (
        check_start_request,
        claim_idempotency_key,
        new_workflow,
        resolve_definition,
    )

    task = eff.task
    assert task is not None
    now = unit.clock.now()
    try:
        raw = (task.get("inputData") or {}).get("startWorkflow")
        req = check_start_request(raw)
        req.setdefault("correlationId", state.workflow.get("correlationId", ""))
        if not req.get("taskToDomain"):
            req["taskToDomain"] = state.workflow.get("taskToDomain") or {}
        if not req.get("correlationId"):
            req.pop("correlationId", None)
        wd = resolve_definition(unit.engine, req)
        child_id = unit.engine.new_id()
        existing = claim_idempotency_key(unit, wd["name"], req, child_id)
        if existing is None:
            child_id = new_workflow(unit, wd, req, workflow_id=child_id).workflow_id
        task["status"] = st.COMPLETED
        task["outputData"] = {"workflowId": existing or child_id}
    except BackendUnavailable:
        raise  # the unit is lost: never record a database failure as the task's outcome
    except PodiumError as e:
        task["status"] = st.FAILED
        task["reasonForIncompletion"] = e.message
    task["endTime"] = now
    unit.redecide(state.workflow_id)
