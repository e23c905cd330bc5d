"""Re-opening ended workflows: restart, retry and rerun (SPEC §4.12), and the parents they re-open."""


from __future__ import annotations

import copy
from typing import Any, cast

from podium.decider import WorkflowState
from podium.decider.passes import Pass
from podium.decider.rerun import refollow
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.errors import Conflict, InvalidArgument, NotFound
from podium.domain.model import RerunWorkflowRequest, Task, Workflow
from podium.domain.queues import task_queue
from podium.service.engine import Engine


def _locked(engine: Engine, workflow_id: str) -> WorkflowState:
    return engine.load(workflow_id)


def _reset_for_rerun(engine: Engine, state: WorkflowState) -> None:
    wf = state.workflow
    now = engine.clock.now()
    for t in state.tasks:
        engine.store.queue_remove(task_queue(t), t["taskId"])
    engine.store.delete_workflow_tasks(wf["workflowId"])
    state.tasks.clear()
    wf["status"] = st.RUNNING
    wf["output"] = {}
    wf["endTime"] = 0
    wf["updateTime"] = now
    wf["lastRetriedTime"] = now
    wf.pop("reasonForIncompletion", None)
    wf["failedReferenceTaskNames"] = []
    wf["failedTaskNames"] = []
    wf["variables"] = copy.deepcopy(wf["workflowDefinition"].get("variables") or {})


def restart(engine: Engine, workflow_id: str, use_latest_definitions: bool = False) -> None:
    """Re-run a terminal workflow from its first task, same id and input (SPEC §4.12)."""
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        wf = state.workflow
        if not st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow is still running. status={wf['status']}, workflowId={workflow_id}")
        if wf["status"] == st.COMPLETED and not wf["workflowDefinition"].get("restartable", True):
            raise NotFound(f"Workflow {workflow_id} is not restartable (restartable=false)")
        if use_latest_definitions:
            latest = engine.metadata.workflow_def(wf["workflowName"])
            if latest is not None:
                wf["workflowDefinition"] = latest
                wf["workflowVersion"] = latest.get("version", 1)
        _reset_for_rerun(engine, state)
        engine.decide_state(state)
        reopen_parents(engine, state.workflow)
    engine.flush_notifications()


def retry(engine: Engine, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
    """Retry the failed tasks of a terminal workflow (SPEC §4.12)."""
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        retry_in_tx(engine, state, resume_subworkflow_tasks)
    engine.flush_notifications()


def retry_in_tx(
    engine: Engine, state: WorkflowState, resume_subworkflow_tasks: bool = False, reopen_parent: bool = True
) -> None:
    wf = state.workflow
    wid = wf["workflowId"]
    if not st.workflow_terminal(wf["status"]):
        raise NotFound(f"Workflow is still running. status={wf['status']}, workflowId={wid}")
    now = engine.clock.now()
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
            _reopen(engine, state, now)
            engine.decide_state(state)
            if reopen_parent:
                reopen_parents(engine, wf)
            return
        raise Conflict(
            "There are no retryable tasks! Use restart if you want to attempt entire workflow execution again. "
            f"workflowId={wid}"
        )
    failed.sort(key=lambda t: t["seq"])
    p = Pass(state, engine.env, now)
    resumed: list[WorkflowState] = []
    for t in failed:
        ttype = t.get("workflowTask", {}).get("type", tt.SIMPLE)
        if ttype in (tt.JOIN, tt.DO_WHILE, tt.FORK, tt.EXCLUSIVE_JOIN):
            t["status"] = st.IN_PROGRESS
            t["executed"] = False
            t["endTime"] = 0
            t.pop("reasonForIncompletion", None)
            p.touch(t)
            continue
        if ttype == tt.SUB_WORKFLOW and resume_subworkflow_tasks and t.get("subWorkflowId"):
            child = engine.load(t["subWorkflowId"])
            if st.workflow_terminal(child.workflow["status"]) and child.workflow["status"] != st.COMPLETED:
                t["status"] = st.IN_PROGRESS
                t["executed"] = False
                t["endTime"] = 0
                t.pop("reasonForIncompletion", None)
                p.touch(t)
                resumed.append(child)  # retried once this workflow is stored as RUNNING
                continue
        new = cast(Task, dict(t))
        new.update(
            {
                "taskId": engine.new_id(),
                "retriedTaskId": t["taskId"],
                "retryCount": t.get("retryCount", 0) + 1,
                "status": st.SCHEDULED,
                "pollCount": 0,
                "scheduledTime": now,
                "startTime": 0,
                "endTime": 0,
                "updateTime": now,
                "outputData": {},
                "retried": False,
                "executed": False,
                "callbackAfterSeconds": 0,
                "startDelayInSeconds": 0,
            }
        )
        for k in ("workerId", "subWorkflowId", "reasonForIncompletion"):
            new.pop(k, None)  # type: ignore[misc]
        t["retried"] = True
        p.touch(t)
        p.add(new)
        from podium.decider.operators import operator_for

        if operator_for(ttype).worker:
            p.push(new)
    _reopen(engine, state, now)
    engine.persist(state, p.out)
    engine.decide_state(state)
    for child in resumed:
        retry_in_tx(engine, child, True, reopen_parent=False)
    if reopen_parent:
        reopen_parents(engine, wf)


def _reopen(engine: Engine, state: WorkflowState, now: int) -> None:
    wf = state.workflow
    wf["status"] = st.RUNNING
    wf["lastRetriedTime"] = now
    wf["endTime"] = 0
    wf.pop("reasonForIncompletion", None)


def reopen_parents(engine: Engine, child: Workflow) -> None:
    """After retry/restart/rerun of a child, put its parent chain back to RUNNING (SPEC §4.12)."""
    parent_id = child.get("parentWorkflowId")
    task_id = child.get("parentWorkflowTaskId")
    while parent_id:
        parent = engine.store.get_workflow(parent_id)
        if parent is None:
            return
        state = WorkflowState(parent, engine.store.get_tasks(parent_id))
        task = state.task(task_id) if task_id else None
        if task is None or task.get("workflowTask", {}).get("optional"):
            return
        now = engine.clock.now()
        p = Pass(state, engine.env, now)
        task["status"] = st.IN_PROGRESS
        task["executed"] = False
        task["endTime"] = 0
        task.pop("reasonForIncompletion", None)
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
            t["executed"] = False
            t["endTime"] = 0
            if ttype in (tt.JOIN, tt.DO_WHILE):
                t["status"] = st.IN_PROGRESS
            else:
                t["status"] = st.SCHEDULED
                t["retryCount"] = t.get("retryCount", 0) + 1
                from podium.decider.operators import operator_for

                if operator_for(ttype).worker:
                    p.push(t)
            p.touch(t)
        engine.persist(state, p.out)
        engine.decide_state(state)
        if not was_terminal:
            return
        parent_id = parent.get("parentWorkflowId")
        task_id = parent.get("parentWorkflowTaskId")


def rerun(engine: Engine, workflow_id: str, raw: Any) -> str:
    """Re-run a terminal workflow from the start or from a given task (SPEC §4.12)."""
    if raw is not None and not isinstance(raw, dict):
        raise InvalidArgument("RerunWorkflowRequest must be a JSON object")
    req = cast(RerunWorkflowRequest, raw or {})
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        wf = state.workflow
        if not st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow is still running. status={wf['status']}, workflowId={workflow_id}")
        from_task = req.get("reRunFromTaskId")
        if not from_task:
            _reset_for_rerun(engine, state)
            if req.get("workflowInput") is not None:
                wf["input"] = dict(req.get("workflowInput") or {})
            if req.get("correlationId"):
                wf["correlationId"] = req["correlationId"]
            engine.decide_state(state)
            reopen_parents(engine, wf)
        else:
            _rerun_from_task(engine, state, from_task, req)
    engine.flush_notifications()
    return workflow_id


def _rerun_from_task(engine: Engine, state: WorkflowState, task_id: str, req: RerunWorkflowRequest) -> None:
    wf = state.workflow
    target = state.task(task_id)
    if target is None:
        for t in state.tasks:
            child_id = t.get("subWorkflowId")
            if child_id:
                child = engine.load(child_id)
                if child.task(task_id) is not None:
                    _rerun_from_task(engine, child, task_id, req)
                    return
        raise NotFound(f"Task {task_id} not found in workflow {wf['workflowId']}")
    now = engine.clock.now()
    removed = [t for t in state.tasks if t["seq"] > target["seq"]]
    for t in removed:
        engine.store.queue_remove(task_queue(t), t["taskId"])
    engine.store.delete_tasks([t["taskId"] for t in removed])
    state.tasks[:] = [t for t in state.tasks if t["seq"] <= target["seq"]]
    p = Pass(state, engine.env, now)
    target["status"] = st.SCHEDULED
    target["executed"] = False
    target["retried"] = False
    target["startTime"] = 0
    target["endTime"] = 0
    target["scheduledTime"] = now
    target["outputData"] = {}
    target.pop("reasonForIncompletion", None)
    if req.get("taskInput") is not None:
        target["inputData"] = dict(req.get("taskInput") or {})
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
    engine.persist(state, p.out)
    engine.decide_state(state)
    reopen_parents(engine, wf)
