"""Workflow operations: get, pause, resume, terminate, restart, retry, rerun, skip, remove (SPEC §4.12, §6.2)."""

from __future__ import annotations

import copy
from typing import Any, cast

from podium.decider import WorkflowState
from podium.decider.graph import graph_of, strip_iteration
from podium.decider.lifecycle import end_workflow
from podium.decider.passes import Pass
from podium.decider.records import task_queue
from podium.decider.rerun import refollow
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.errors import Conflict, IllegalState, InvalidArgument, NotFound
from podium.domain.model import JSON, RerunWorkflowRequest, SkipTaskRequest, Task, Workflow
from podium.service.engine import Engine


def get_workflow(engine: Engine, workflow_id: str, include_tasks: bool = True) -> Workflow:
    wf = engine.store.get_workflow(workflow_id)
    if wf is None:
        raise NotFound(f"No such workflow found by id: {workflow_id}")
    wf["tasks"] = engine.store.get_tasks(workflow_id) if include_tasks else []
    return wf


def workflow_status(engine: Engine, workflow_id: str, include_output: bool, include_variables: bool) -> JSON:
    wf = get_workflow(engine, workflow_id, include_tasks=False)
    out: JSON = {"workflowId": wf["workflowId"], "status": wf["status"]}
    if wf.get("correlationId"):
        out["correlationId"] = wf["correlationId"]
    if include_output:
        out["output"] = wf.get("output", {})
    if include_variables:
        out["variables"] = wf.get("variables", {})
    return out


def _locked(engine: Engine, workflow_id: str) -> WorkflowState:
    return engine.load(workflow_id)


def pause(engine: Engine, workflow_id: str) -> None:
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        wf = state.workflow
        if st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow {workflow_id} has ended, status cannot be updated.")
        if wf["status"] == st.PAUSED:
            return
        wf["status"] = st.PAUSED
        wf["updateTime"] = engine.clock.now()
        engine.store.update_workflow(wf, None)
        engine.forget_check(workflow_id)


def resume(engine: Engine, workflow_id: str) -> None:
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        wf = state.workflow
        if wf["status"] != st.PAUSED:
            raise IllegalState(
                f"The workflow {workflow_id} is not PAUSED so cannot resume. Current status is {wf['status']}."
            )
        wf["status"] = st.RUNNING
        wf["lastRetriedTime"] = engine.clock.now()
        engine.decide_state(state)
    engine.flush_notifications()


def terminate(engine: Engine, workflow_id: str, reason: str | None, trigger_failure_workflow: bool = False) -> None:
    """DELETE /api/workflow/{id}: end a running workflow as TERMINATED."""
    with engine.store.transaction():
        terminate_in_tx(engine, workflow_id, reason, failure_workflow=trigger_failure_workflow)
    engine.flush_notifications()


def terminate_in_tx(
    engine: Engine,
    workflow_id: str,
    reason: str | None,
    *,
    failure_workflow: bool = False,
    notify_parent: bool = True,
) -> None:
    state = _locked(engine, workflow_id)
    wf = state.workflow
    if wf["status"] == st.COMPLETED:
        raise Conflict(f"Cannot terminate a COMPLETED workflow: {workflow_id}")
    if st.workflow_terminal(wf["status"]):
        return
    p = Pass(state, engine.env, engine.clock.now())
    end_workflow(p, st.TERMINATED, reason, failure_workflow=failure_workflow)
    if not notify_parent:
        p.out.effects = [e for e in p.out.effects if e.kind != "notify_parent"]
    engine.persist(state, p.out)


def remove(engine: Engine, workflow_id: str, archive: bool = True) -> None:
    """Delete a run and its tasks, queue messages and logs' owner records."""
    with engine.store.transaction():
        wf = engine.store.get_workflow(workflow_id)
        if wf is None:
            raise NotFound(f"No such workflow found by id: {workflow_id}")
        for t in engine.store.get_tasks(workflow_id):
            engine.store.queue_remove(task_queue(t), t["taskId"])
        engine.store.delete_workflow_tasks(workflow_id)
        engine.store.delete_workflow(workflow_id)


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


def skip_task(engine: Engine, workflow_id: str, ref: str, req: SkipTaskRequest | None) -> None:
    """Insert a SKIPPED record for a task that has not run yet (SPEC §4.12)."""
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        wf = state.workflow
        if wf["status"] != st.RUNNING:
            raise IllegalState(
                f"The workflow {workflow_id} is not running so the task referenced by {ref} cannot be skipped"
            )
        graph = graph_of(wf["workflowDefinition"])
        node = graph.node(ref)
        if node is None:
            raise IllegalState(
                f"The task referenced by {ref} does not exist in the WorkflowDefinition {wf['workflowName']}"
            )
        if any(strip_iteration(t["referenceTaskName"]) == ref or t["referenceTaskName"] == ref for t in state.tasks):
            raise IllegalState(f"The task referenced by {ref} has already been processed, cannot be skipped")
        p = Pass(state, engine.env, engine.clock.now())
        wt = node.task
        t = p.new_record(
            wt,
            task_type=wt.get("name", "") if tt.is_worker_type(wt.get("type", tt.SIMPLE)) else wt.get("type", ""),
            status=st.SKIPPED,
            input_data=dict((req or {}).get("taskInput") or {}),
        )
        t["outputData"] = dict((req or {}).get("taskOutput") or {})
        t["startTime"] = t["endTime"] = engine.clock.now()
        engine.persist(state, p.out)


def reset_callbacks(engine: Engine, workflow_id: str) -> None:
    """Make SCHEDULED worker tasks waiting on callbackAfterSeconds pollable now."""
    with engine.store.transaction():
        state = _locked(engine, workflow_id)
        now = engine.clock.now()
        for t in state.tasks:
            if t["status"] == st.SCHEDULED and t.get("callbackAfterSeconds", 0) > 0:
                t["callbackAfterSeconds"] = 0
                engine.save_task(t)
                engine.store.queue_set_visible(task_queue(t), t["taskId"], now)
                engine.notifier.notify(task_queue(t))


def terminate_quietly(engine: Engine, workflow_id: str, reason: str | None) -> None:
    """Terminate unless already ended (for terminate-and-remove)."""
    wf = engine.store.get_workflow(workflow_id)
    if wf is None:
        raise NotFound(f"No such workflow found by id: {workflow_id}")
    if not st.workflow_terminal(wf["status"]):
        terminate(engine, workflow_id, reason)
