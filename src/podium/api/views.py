"""Read-only views of records as the API returns them (derived fields added)."""

from __future__ import annotations

from podium.domain.model import Task, Workflow, add_derived_fields, public_workflow


def task_view(t: Task) -> Task:
    """Add Conductor's derived task properties (queueWaitTime, loopOverTask)."""
    return add_derived_fields(t)


def workflow_view(wf: Workflow) -> Workflow:
    for t in wf.get("tasks", []):
        task_view(t)
    return public_workflow(wf)
