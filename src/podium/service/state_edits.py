"""Orkes' edits of a running workflow: jump to a task, upgrade to another definition version
(docs/workflow-edits.md)."""

from __future__ import annotations

import copy
from typing import Any

from podium.decider.jump import jump
from podium.decider.passes import Pass
from podium.decider.upgrade import skip_to_current
from podium.domain import statuses as st
from podium.domain.errors import Conflict, FieldError, InvalidArgument, ValidationFailed
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


def upgrade(engine: Engine, workflow_id: str, req: Any) -> None:
    """Move a running workflow to another version of its definition (UpgradeWorkflowRequest)."""
    if not isinstance(req, dict):
        raise InvalidArgument("UpgradeWorkflowRequest must be a JSON object")
    name, version = req.get("name"), req.get("version")
    task_output, workflow_input = req.get("taskOutput") or {}, req.get("workflowInput")
    if not isinstance(name, str) or not name:
        raise ValidationFailed([FieldError("name", "name is required", name)])
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationFailed([FieldError("version", "version must be an integer", version)])
    if not isinstance(task_output, dict):
        raise ValidationFailed(
            [FieldError("taskOutput", "taskOutput must map task references to outputs", task_output)]
        )
    if workflow_input is not None and not isinstance(workflow_input, dict):
        raise ValidationFailed([FieldError("workflowInput", "workflowInput must be a JSON object", workflow_input)])
    with engine.unit() as unit:
        state = unit.load(workflow_id)
        wf = state.workflow
        if st.workflow_terminal(wf["status"]):
            raise Conflict(f"Workflow {workflow_id} is {wf['status']}: only a running workflow can be upgraded")
        if name != wf["workflowName"]:
            raise InvalidArgument(f"Workflow {workflow_id} runs {wf['workflowName']}, not {name}")
        wd = engine.metadata.get_workflow_def(name, version)
        wf["workflowDefinition"] = copy.deepcopy(wd)
        wf["workflowVersion"] = wd.get("version", 1)
        if workflow_input is not None:
            wf["input"] = dict(workflow_input)
        p = Pass(state, engine.env, unit.clock.now())
        skip_to_current(p, task_output)
        unit.persist(state, p.out)
        unit.decide(state)
