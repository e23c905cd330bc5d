"""Workflow operations: get, pause, resume, terminate, restart, retry, rerun, skip, remove
(docs/compatibility.md#workflows-apiworkflow)."""

from __future__ import annotations

from podium.decider.graph import graph_of, strip_iteration
from podium.decider.lifecycle import end_workflow
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.errors import Conflict, IllegalState, NotFound
from podium.domain.model import JSON, SkipTaskRequest, Workflow
from podium.domain.queues import task_queue
from podium.service.engine import Engine
from podium.service.unit import Unit


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


def pause(engine: Engine, workflow_id: str) -> None:
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        wf = state.workflow
        if st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow {workflow_id} has ended, status cannot be updated.")
        if wf["status"] == st.PAUSED:
            return
        wf["status"] = st.PAUSED
        wf["updateTime"] = unit.clock.now()
        unit.store.update_workflow(wf, None)


def resume(engine: Engine, workflow_id: str) -> None:
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        wf = state.workflow
        if wf["status"] != st.PAUSED:
            raise IllegalState(
                f"The workflow {workflow_id} is not PAUSED so cannot resume. Current status is {wf['status']}."
            )
        wf["status"] = st.RUNNING
        wf["lastRetriedTime"] = unit.clock.now()
        unit.decide(state, full=True)  # the check stored while paused counts no record's deadline


def terminate(engine: Engine, workflow_id: str, reason: str | None, trigger_failure_workflow: bool = False) -> None:
    """DELETE /api/workflow/{id}: end a running workflow as TERMINATED."""
    with engine.unit() as unit:
        terminate_in_tx(unit, workflow_id, reason, failure_workflow=trigger_failure_workflow)


def terminate_in_tx(
    unit: Unit,
    workflow_id: str,
    reason: str | None,
    *,
    failure_workflow: bool = False,
    notify_parent: bool = True,
) -> None:
    state = unit.load(workflow_id)
    wf = state.workflow
    if wf["status"] == st.COMPLETED:
        raise Conflict(f"Cannot terminate a COMPLETED workflow: {workflow_id}")
    if st.workflow_terminal(wf["status"]):
        return
    p = Pass(state, unit.engine.env, unit.clock.now())
    end_workflow(p, st.TERMINATED, reason, failure_workflow=failure_workflow)
    if not notify_parent:
        p.out.effects = [e for e in p.out.effects if e.kind != "notify_parent"]
    unit.persist(state, p.out)


def remove(engine: Engine, workflow_id: str, archive: bool = True) -> None:
    """Delete a run and its tasks, queue messages and logs' owner records."""
    with engine.unit() as unit:
        store = unit.store
        wf = store.get_workflow(workflow_id)
        if wf is None:
            raise NotFound(f"No such workflow found by id: {workflow_id}")
        for t in store.get_tasks(workflow_id):
            store.queue_remove(task_queue(t), t["taskId"])
        store.delete_workflow_tasks(workflow_id)
        store.delete_workflow(workflow_id)


def skip_task(engine: Engine, workflow_id: str, ref: str, req: SkipTaskRequest | None) -> None:
    """Insert a SKIPPED record for a task that has not run yet (Conductor's skiptask)."""
    with engine.unit() as unit:
        state = unit.load(workflow_id)
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
        p = Pass(state, engine.env, unit.clock.now())
        wt = node.task
        t = p.new_record(
            wt,
            task_type=wt.get("name", "") if tt.is_worker_type(wt.get("type", tt.SIMPLE)) else wt.get("type", ""),
            status=st.SKIPPED,
            input_data=dict((req or {}).get("taskInput") or {}),
        )
        t["outputData"] = dict((req or {}).get("taskOutput") or {})
        t["startTime"] = t["endTime"] = unit.clock.now()
        # No decide ran: the sweeper decides the workflow at once, which sets its next check from all of
        # its records (a poll does not set one; docs/architecture.md#next-checks).
        p.out.next_check = unit.clock.now()
        unit.persist(state, p.out)


def reset_callbacks(engine: Engine, workflow_id: str) -> None:
    """Make SCHEDULED worker tasks waiting on callbackAfterSeconds pollable now."""
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        now = unit.clock.now()
        for t in state.tasks:
            if t["status"] == st.SCHEDULED and t.get("callbackAfterSeconds", 0) > 0:
                t["callbackAfterSeconds"] = 0
                unit.save_task(t)
                unit.store.queue_set_visible(task_queue(t), t["taskId"], now, now)
                unit.notify(task_queue(t))


def terminate_quietly(engine: Engine, workflow_id: str, reason: str | None) -> None:
    """Terminate unless already ended (for terminate-and-remove)."""
    wf = engine.store.get_workflow(workflow_id)
    if wf is None:
        raise NotFound(f"No such workflow found by id: {workflow_id}")
    if not st.workflow_terminal(wf["status"]):
        terminate(engine, workflow_id, reason)


def running_ids(engine: Engine, name: str, version: int, start: int | None, end: int | None) -> list[str]:
    """Ids of the running workflows of a definition version started in [start, end]."""
    return engine.store.running_workflow_ids(name, version, start or 0, end or 2**62)


def correlated(
    engine: Engine, name: str, correlation_id: str, include_closed: bool, include_tasks: bool
) -> list[Workflow]:
    """Executions of a definition with a correlation id (running only, unless ``include_closed``)."""
    store = engine.store
    out: list[Workflow] = []
    for wf in store.workflows_by_correlation(name, correlation_id):
        if not include_closed and st.workflow_terminal(wf["status"]):
            continue
        wf["tasks"] = store.get_tasks(wf["workflowId"]) if include_tasks else []
        out.append(wf)
    return out
