"""Helpers for the pure flow-control operator tests: a workflow state, an env, worker moves."""

from __future__ import annotations

from typing import Any

from syskit import T0 as T0
from syskit import make_env as make_env
from syskit import make_state as make_state

from podium.decider import DeciderEnv, Outcome, WorkflowState, decide
from podium.domain import statuses as st
from podium.domain.model import Task


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


def finish(
    state: WorkflowState,
    ref: str,
    output: dict[str, Any] | None = None,
    status: str = st.COMPLETED,
    reason: str | None = None,
) -> None:
    """What a worker update does to a record (the decide happens separately)."""
    t = rec(state, ref)
    t["status"] = status
    t["outputData"] = output or {}
    t["endTime"] = T0
    if reason is not None:
        t["reasonForIncompletion"] = reason


def step(
    state: WorkflowState,
    env: DeciderEnv,
    ref: str | None = None,
    output: dict[str, Any] | None = None,
    status: str = st.COMPLETED,
    reason: str | None = None,
) -> Outcome:
    """Finish ``ref`` (if given) and decide."""
    if ref is not None:
        finish(state, ref, output, status, reason)
    return decide(state, env, T0 + 1)


def pending(state: WorkflowState) -> list[str]:
    """References of records that are not terminal yet."""
    return [t["referenceTaskName"] for t in state.tasks if not st.task_terminal(t["status"])]
