"""Helpers for the pure flow-control operator tests: a workflow state, an env, worker moves."""

from __future__ import annotations

import itertools
from typing import Any

from podium.decider import DeciderEnv, Outcome, WorkflowState, decide
from podium.domain import statuses as st
from podium.domain.defaults import with_task_def_defaults, with_workflow_def_defaults
from podium.domain.model import Task, TaskDef, Workflow, WorkflowDef
from podium.expr import evaluate

T0 = 1_700_000_000_000


def make_env(task_defs: dict[str, TaskDef] | None = None, *, js: bool = True) -> DeciderEnv:
    ids = (f"t{i}" for i in itertools.count(1))
    defs = {k: with_task_def_defaults({"name": k, **v}) for k, v in (task_defs or {}).items()}
    return DeciderEnv(task_def=defs.get, new_id=lambda: next(ids), js=evaluate if js else None)


def make_state(tasks: list[dict[str, Any]], **extra: Any) -> WorkflowState:
    wd: WorkflowDef = with_workflow_def_defaults({"name": "wf", "version": 1, "tasks": tasks})  # type: ignore[typeddict-item]
    wd.update(extra.pop("definition", {}))
    wf: Workflow = {
        "workflowId": "w1",
        "status": st.RUNNING,
        "createTime": T0,
        "updateTime": T0,
        "startTime": T0,
        "input": extra.pop("input", {}),
        "output": {},
        "workflowDefinition": wd,
        "workflowName": "wf",
        "workflowVersion": 1,
        "taskToDomain": {},
        "variables": {},
    }
    return WorkflowState(wf, [])


def simple(ref: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name or ref, "taskReferenceName": ref, "type": "SIMPLE", **extra}


def refs(state: WorkflowState) -> list[str]:
    """Record references in seq order."""
    return [t["referenceTaskName"] for t in state.tasks]


def seqs(state: WorkflowState) -> list[tuple[int, str, str]]:
    return [(t["seq"], t["referenceTaskName"], t["status"]) for t in state.tasks]


def rec(state: WorkflowState, ref: str) -> Task:
    """The latest record of an exact reference."""
    return next(t for t in reversed(state.tasks) if t["referenceTaskName"] == ref)


def finish(state: WorkflowState, ref: str, output: dict[str, Any] | None = None, status: str = st.COMPLETED,
           reason: str | None = None) -> None:
    """What a worker update does to a record (the decide happens separately)."""
    t = rec(state, ref)
    t["status"] = status
    t["outputData"] = output or {}
    t["endTime"] = T0
    if reason is not None:
        t["reasonForIncompletion"] = reason


def step(state: WorkflowState, env: DeciderEnv, ref: str | None = None, output: dict[str, Any] | None = None,
         status: str = st.COMPLETED, reason: str | None = None) -> Outcome:
    """Finish ``ref`` (if given) and decide."""
    if ref is not None:
        finish(state, ref, output, status, reason)
    return decide(state, env, T0 + 1)


def pending(state: WorkflowState) -> list[str]:
    """References of records that are not terminal yet."""
    return [t["referenceTaskName"] for t in state.tasks if not st.task_terminal(t["status"])]
