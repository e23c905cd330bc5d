"""Read-only views of records as the API returns them (derived fields added)."""

from __future__ import annotations

from typing import cast

from podium.domain.model import EXTERNAL_FLAG, Task, Workflow, add_derived_fields, public_workflow
from podium.domain.payloads import EXTERNAL_INPUT, EXTERNAL_OUTPUT, shown_task, shown_workflow_fields


def task_view(t: Task) -> Task:
    """Add Conductor's derived task properties (queueWaitTime, loopOverTask); an input or output kept
    in the payload store shows as ``{}`` beside its path."""
    add_derived_fields(t)
    return shown_task(t) if EXTERNAL_INPUT in t or EXTERNAL_OUTPUT in t else t


def workflow_view(wf: Workflow) -> Workflow:
    tasks = wf.get("tasks")
    if tasks:
        shown = [task_view(t) for t in tasks]
        if EXTERNAL_FLAG in wf:
            wf = cast(Workflow, {**wf, "tasks": shown})
    if EXTERNAL_INPUT in wf or EXTERNAL_OUTPUT in wf:
        wf = shown_workflow_fields(wf)
    return public_workflow(wf)
