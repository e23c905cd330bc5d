"""Helpers for the pure system-task operator tests: a workflow state, an env with real evaluators."""

from __future__ import annotations

import itertools
from typing import Any

from podium.decider import DeciderEnv, Outcome, WorkflowState
from podium.domain import statuses as st
from podium.domain.defaults import with_task_def_defaults, with_workflow_def_defaults
from podium.domain.model import Task, TaskDef, Workflow, WorkflowDef
from podium.expr import evaluate, transform

T0 = 1_700_000_000_000


def make_env(task_defs: dict[str, TaskDef] | None = None, *, js: bool = True) -> DeciderEnv:
    ids = (f"t{i}" for i in itertools.count(1))
    defs = {k: with_task_def_defaults({"name": k, **v}) for k, v in (task_defs or {}).items()}
    return DeciderEnv(task_def=defs.get, new_id=lambda: next(ids), js=evaluate if js else None, jq=transform)


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
        "taskToDomain": extra.pop("taskToDomain", {}),
        "variables": extra.pop("variables", {}),
    }
    if "correlationId" in extra:
        wf["correlationId"] = extra.pop("correlationId")
    return WorkflowState(wf, [])


def node(ref: str, type_: str, **extra: Any) -> dict[str, Any]:
    """A WorkflowTask of a given type named after its reference."""
    return {"name": ref, "taskReferenceName": ref, "type": type_, **extra}


def simple(ref: str, **extra: Any) -> dict[str, Any]:
    return node(ref, "SIMPLE", **extra)


def rec(state: WorkflowState, ref: str) -> Task:
    """The latest record of an exact reference."""
    return next(t for t in reversed(state.tasks) if t["referenceTaskName"] == ref)


def finish(state: WorkflowState, ref: str, output: dict[str, Any] | None = None, status: str = st.COMPLETED) -> None:
    """What a task update does to a record (the decide happens separately)."""
    t = rec(state, ref)
    t["status"] = status
    t["outputData"] = output or {}
    t["endTime"] = T0


def effects(out: Outcome, kind: str | None = None) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(kind, task ref, data) of an outcome's effects, optionally of one kind."""
    return [
        (e.kind, e.task["referenceTaskName"] if e.task else None, e.data)
        for e in out.effects
        if kind is None or e.kind == kind
    ]
