"""Finding a task record by its definition reference: the one rule (Conductor's update by
reference, event handler actions)."""

from __future__ import annotations

from collections.abc import Sequence

from podium.decider.graph import strip_iteration
from podium.domain import statuses as st
from podium.domain.errors import NotFound
from podium.domain.model import Task


def ref_matches(record_ref: str, ref: str) -> bool:
    """A record answers to ``ref`` as is or with DO_WHILE iteration suffixes, nested ones included (``ref__2__1``)."""
    return record_ref == ref or (record_ref.startswith(ref) and strip_iteration(record_ref) == ref)


def find_by_ref(tasks: Sequence[Task], ref: str) -> Task | None:
    """The record ``ref`` names: the latest one still pending, else the latest one (retries, iterations)."""
    latest: Task | None = None
    for i in range(len(tasks) - 1, -1, -1):
        t = tasks[i]
        if ref_matches(t["referenceTaskName"], ref):
            if not st.task_terminal(t["status"]):
                return t
            if latest is None:
                latest = t
    return latest


def task_by_ref(tasks: Sequence[Task], workflow_id: str, ref: str) -> Task:
    """``find_by_ref``, or Conductor's NotFound."""
    task = find_by_ref(tasks, ref)
    if task is None:
        raise NotFound(f"No task found with reference name: {ref}, workflowId: {workflow_id}")
    return task
