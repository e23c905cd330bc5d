"""Orkes' edits of a running workflow: jump to a task, upgrade to another definition version (SPEC §10)."""

from __future__ import annotations

from typing import Any

from podium.decider.jump import jump
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain.errors import Conflict, InvalidArgument
from podium.service.engine import Engine


def jump_to(engine: Engine, workflow_id: str, ref: str, task_input: Any) -> None:
    """Cancel the running tasks of a running workflow and go on from the top-level task ``ref``."""
    if task_input is not None and not isinstance(task_input, dict):
        raise InvalidArgument("The jump's task input must be a JSON object")
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        wf = state.workflow
        if wf["status"] != st.RUNNING:
            raise Conflict(f"Workflow {workflow_id} is {wf['status']}: only a RUNNING workflow can jump to a task")
        p = Pass(state, engine.env, unit.clock.now())
        jump(p, ref, task_input or None)
        unit.persist(state, p.out)
        unit.decide(state)
