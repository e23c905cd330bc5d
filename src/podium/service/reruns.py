"""Re-opening ended workflows: restart, retry and rerun (docs/compatibility.md#retry-restart-rerun-and-skip),
and the parents they re-open."""

from __future__ import annotations

import copy
from typing import Any, cast

from podium.decider import WorkflowState
from podium.decider.passes import Pass
from podium.decider.rerun import refollow
from podium.decider.transitions import next_attempt, reopen, rerun_from, reschedule_in_place
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.errors import Conflict, InvalidArgument, NotFound
from podium.domain.model import RerunWorkflowRequest, Task, Workflow
from podium.domain.payloads import EXTERNAL_INPUT, EXTERNAL_OUTPUT, forget_external
from podium.domain.queues import task_queue
from podium.service.engine import Engine
from podium.service.unit import Unit


def _reset_for_rerun(unit: Unit, state: WorkflowState) -> None:
    wf = state.workflow
    now = unit.clock.now()
    for t in state.tasks:
        unit.store.queue_remove(task_queue(t), t["taskId"])
    unit.store.delete_workflow_tasks(wf["workflowId"])
    state.tasks.clear()
    wf["status"] = st.RUNNING
    wf["output"] = {}
    forget_external(wf, EXTERNAL_OUTPUT)
    wf["endTime"] = 0
    wf["updateTime"] = now
    wf["lastRetriedTime"] = now
    wf.pop("reasonForIncompletion", None)
    wf["failedReferenceTaskNames"] = []
    wf["failedTaskNames"] = []
    wf["variables"] = copy.deepcopy(wf["workflowDefinition"].get("variables") or {})


def restart(engine: Engine, workflow_id: str, use_latest_definitions: bool = False) -> None:
    """Re-run a terminal workflow from its first task, same id and input (Conductor's restart)."""
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        wf = state.workflow
        if not st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow is still running. status={wf['status']}, workflowId={workflow_id}")
        if wf["status"] == st.COMPLETED and not wf["workflowDefinition"].get("restartable", True):
            raise NotFound(f"Workflow {workflow_id} is not restartable (restartable=false)")
        if use_latest_definitions:
            latest = unit.engine.metadata.workflow_def(wf["workflowName"])
            if latest is not None:
                wf["workflowDefinition"] = latest
                wf["workflowVersion"] = latest.get("version", 1)
        _reset_for_rerun(unit, state)
        unit.decide(state)
        reopen_parents(unit, state.workflow)


def retry(engine: Engine, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
    """Retry the failed tasks of a terminal workflow (Conductor's retry)."""
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        retry_in_tx(unit, state, resume_subworkflow_tasks)


def retry_in_tx(
    unit: Unit, state: WorkflowState, resume_subworkflow_tasks: bool = False, reopen_parent: bool = True
) -> None:
    wf = state.workflow
    wid = wf["workflowId"]
    if not st.workflow_terminal(wf["status"]):
        raise NotFound(f"Workflow is still running. status={wf['status']}, workflowId={wid}")
    now = unit.clock.now()
    latest: dict[str, Task] = {}
    for t in state.tasks:
        latest[t["referenceTaskName"]] = t
    failed = [
        t
        for t in latest.values()
        if t["status"] in (st.FAILED, st.FAILED_WITH_TERMINAL_ERROR, st.TIMED_OUT, st.CANCELED) and not t.get("retried")
    ]
    if not failed:
        if wf["status"] == st.TIMED_OUT:
            _reopen(state, now)
            unit.decide(state)
            if reopen_parent:
                reopen_parents(unit, wf)
            return
        raise Conflict(
            "There are no retryable tasks! Use restart if you want to attempt entire workflow execution again. "
            f"workflowId={wid}"
        )
    failed.sort(key=lambda t: t["seq"])
    p = Pass(state, unit.engine.env, now)
    resumed: list[WorkflowState] = []
    for t in failed:
        ttype = t.get("workflowTask", {}).get("type", tt.SIMPLE)
        if ttype in (tt.JOIN, tt.DO_WHILE, tt.FORK, tt.EXCLUSIVE_JOIN):
            reopen(t, now)
            p.touch(t)
            continue
        if ttype == tt.SUB_WORKFLOW and resume_subworkflow_tasks and t.get("subWorkflowId"):
            child = unit.load(t["subWorkflowId"])
            if st.workflow_terminal(child.workflow["status"]) and child.workflow["status"] != st.COMPLETED:
                reopen(t, now)
                p.touch(t)
                resumed.append(child)  # retried once this workflow is stored as RUNNING
                continue
        # As Conductor: the new attempt's input is its parameters resolved again, with its own task id.
        wt = t.get("workflowTask")
        new_id = unit.engine.new_id()
        fresh = p.resolve_input(wt, new_id, p.task_def(wt)) if wt else None
        new = next_attempt(t, new_id=new_id, now=now, carry_reason=False, fresh_input=fresh)
        p.touch(t)
        p.add(new)
        from podium.decider.operators import operator_for

        if operator_for(ttype).worker:
            p.push(new)
    _reopen(state, now)
    unit.persist(state, p.out)
    unit.decide(state)
    for child in resumed:
        retry_in_tx(unit, child, True, reopen_parent=False)
    if reopen_parent:
        reopen_parents(unit, wf)


def _reopen(state: WorkflowState, now: int) -> None:
    wf = state.workflow
    wf["status"] = st.RUNNING
    wf["lastRetriedTime"] = now
    wf["endTime"] = 0
    wf.pop("reasonForIncompletion", None)


def reopen_parents(unit: Unit, child: Workflow) -> None:
    """After retry/restart/rerun of a child, put its parent chain back to RUNNING (Conductor re-opens parents)."""
    parent_id = child.get("parentWorkflowId")
    task_id = child.get("parentWorkflowTaskId")
    while parent_id:
        parent = unit.store.get_workflow(parent_id)
        if parent is None:
            return
        state = WorkflowState(parent, unit.store.get_tasks(parent_id))
        unit.engine.payloads.materialise(state.workflow, state.tasks)
        task = state.task(task_id) if task_id else None
        if task is None or task.get("workflowTask", {}).get("optional"):
            return
        now = unit.clock.now()
        p = Pass(state, unit.engine.env, now)
        reopen(task, now)
        p.touch(task)
        was_terminal = st.workflow_terminal(parent["status"])
        parent["status"] = st.RUNNING
        parent.pop("reasonForIncompletion", None)
        parent["failedReferenceTaskNames"] = []
        parent["failedTaskNames"] = []
        parent["lastRetriedTime"] = now
        parent["endTime"] = 0
        for t in state.tasks:
            if t is task or t["status"] != st.CANCELED:
                continue
            ttype = t.get("workflowTask", {}).get("type", tt.SIMPLE)
            if ttype in (tt.JOIN, tt.DO_WHILE):
                reopen(t, now)
            else:
                reschedule_in_place(t, now)
                t["retryCount"] = t.get("retryCount", 0) + 1
                from podium.decider.operators import operator_for

                if operator_for(ttype).worker:
                    p.push(t)
            p.touch(t)
        unit.persist(state, p.out)
        unit.decide(state)
        if not was_terminal:
            return
        parent_id = parent.get("parentWorkflowId")
        task_id = parent.get("parentWorkflowTaskId")


def rerun(engine: Engine, workflow_id: str, raw: Any) -> str:
    """Re-run a terminal workflow from the start or from a given task (Conductor's rerun)."""
    if raw is not None and not isinstance(raw, dict):
        raise InvalidArgument("RerunWorkflowRequest must be a JSON object")
    req = cast(RerunWorkflowRequest, raw or {})
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        wf = state.workflow
        if not st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow is still running. status={wf['status']}, workflowId={workflow_id}")
        from_task = req.get("reRunFromTaskId")
        if not from_task:
            _reset_for_rerun(unit, state)
            if req.get("workflowInput") is not None:
                wf["input"] = dict(req.get("workflowInput") or {})
                forget_external(wf, EXTERNAL_INPUT)
            if req.get("correlationId"):
                wf["correlationId"] = req["correlationId"]
            unit.decide(state)
            reopen_parents(unit, wf)
        else:
            _rerun_from_task(unit, state, from_task, req)
    return workflow_id


def _rerun_from_task(unit: Unit, state: WorkflowState, task_id: str, req: RerunWorkflowRequest) -> None:
    wf = state.workflow
    target = state.task(task_id)
    if target is None:
        for t in state.tasks:
            child_id = t.get("subWorkflowId")
            if child_id:
                child = unit.load(child_id)
                if child.task(task_id) is not None:
                    _rerun_from_task(unit, child, task_id, req)
                    return
        raise NotFound(f"Task {task_id} not found in workflow {wf['workflowId']}")
    now = unit.clock.now()
    removed = [t for t in state.tasks if t["seq"] > target["seq"]]
    for t in removed:
        unit.store.queue_remove(task_queue(t), t["taskId"])
    unit.store.delete_tasks([t["taskId"] for t in removed])
    state.tasks[:] = [t for t in state.tasks if t["seq"] <= target["seq"]]
    p = Pass(state, unit.engine.env, now)
    task_input = req.get("taskInput")
    rerun_from(target, now, None if task_input is None else dict(task_input or {}))
    p.touch(target)
    from podium.decider.operators import operator_for

    if operator_for(target.get("workflowTask", {}).get("type", tt.SIMPLE)).worker:
        p.push(target)
    refollow(p, target)
    wf["status"] = st.RUNNING
    wf["endTime"] = 0
    wf["lastRetriedTime"] = now
    wf.pop("reasonForIncompletion", None)
    wf["failedReferenceTaskNames"] = []
    wf["failedTaskNames"] = []
    if req.get("workflowInput") is not None:
        wf["input"] = dict(req.get("workflowInput") or {})
        forget_external(wf, EXTERNAL_INPUT)
    unit.persist(state, p.out)
    unit.decide(state)
    reopen_parents(unit, wf)
