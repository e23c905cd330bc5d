"""Read-only views of records as the API returns them (derived fields added)."""

from __future__ import annotations

from typing import cast

from podium.domain.model import EXTERNAL_FLAG, Task, Workflow, add_derived_fields, public_workflow
from podium.domain.payloads import shown_task, shown_workflow_fields


def task_view(t: Task) -> Task:
    """Add Conductor's derived task properties (queueWaitTime, loopOverTask); an input or output kept
    in the payload store shows as ``{}`` beside its path."""
    return shown_task(add_derived_fields(t))


def workflow_view(wf: Workflow) -> Workflow:
    tasks = wf.get("tasks")
    if tasks:
        shown = [task_view(t) for t in tasks]
        if EXTERNAL_FLAG in wf:
            wf = cast(Workflow, {**wf, "tasks": shown})
    return public_workflow(shown_workflow_fields(wf))
