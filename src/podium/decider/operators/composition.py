"""Composition: SUB_WORKFLOW and START_WORKFLOW (docs/reference.md#sub_workflow, #start_workflow).

The decider only records what to start; the service launches workflows through the
``start_sub_workflow`` / ``start_workflow`` effects and terminates a cancelled child through
``terminate_workflow``. Child results come back through the service's ``notify_parent``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from podium.decider.operators.base import Operator, register
from podium.decider.operators.system import start_when_due
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass

START_SUB_WORKFLOW = "start_sub_workflow"
START_WORKFLOW = "start_workflow"
TERMINATE_WORKFLOW = "terminate_workflow"


class _LaunchOperator(Operator):
    """Created SCHEDULED; once due it goes IN_PROGRESS and asks the service to launch."""

    effect_kind = ""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        t = p.new_record(wt, task_type=wt.get("type", ""), status=st.SCHEDULED, iteration=iteration, td=p.task_def(wt))
        self.prepare(p, wt, t)

    def prepare(self, p: Pass, wt: WorkflowTask, task: Task) -> None:
        return None

    def step(self, p: Pass, task: Task) -> bool:
        if task["status"] != st.SCHEDULED or not start_when_due(p, task):
            return False
        p.effect(self.effect_kind, task)
        return True


@register(tt.SUB_WORKFLOW)
class SubWorkflowOperator(_LaunchOperator):
    """Runs a child workflow; its status maps onto the task (service side, docs/reference.md#sub_workflow)."""

    effect_kind = START_SUB_WORKFLOW

    def prepare(self, p: Pass, wt: WorkflowTask, task: Task) -> None:
        task["inputData"] = sub_workflow_input(p, wt, task)

    def cancel(self, p: Pass, task: Task) -> None:
        child = task.get("subWorkflowId")
        if child:
            p.effect(TERMINATE_WORKFLOW, task, workflow_id=child, reason=_parent_ended(p))
            return
        # Launch requested in this very pass: drop it rather than start an orphan.
        p.out.effects = [e for e in p.out.effects if not (e.kind == START_SUB_WORKFLOW and e.task is task)]


@register(tt.START_WORKFLOW)
class StartWorkflowOperator(_LaunchOperator):
    """Starts an independent workflow from input ``startWorkflow`` and completes with its id."""

    effect_kind = START_WORKFLOW

    def cancel(self, p: Pass, task: Task) -> None:
        p.out.effects = [e for e in p.out.effects if not (e.kind == START_WORKFLOW and e.task is task)]


def sub_workflow_input(p: Pass, wt: WorkflowTask, task: Task) -> JSON:
    """The recorded input of a SUB_WORKFLOW task: resolved inputParameters plus the child's coordinates."""
    raw: dict[str, Any] = dict(wt.get("subWorkflowParam") or {})
    inline = raw.get("workflowDefinition")
    if isinstance(inline, dict):
        # An inline definition belongs to the child: its ${workflow.input.x} are the child's own, resolved
        # when it runs, so only the other parameters are resolved here (as Conductor does).
        del raw["workflowDefinition"]
        params: dict[str, Any] = p.resolve(raw, task["taskId"])
        definition: Any = copy.deepcopy(inline)
        params["workflowDefinition"] = definition
    else:  # absent, or an expression that yields one
        params = p.resolve(raw, task["taskId"])
        definition = params.get("workflowDefinition")
    workflow_input = task.get("inputData") or {}
    name = params.get("name")
    version = params.get("version")
    if isinstance(definition, dict):
        name = name or definition.get("name")
        version = version or definition.get("version")
    inp: JSON = dict(workflow_input)
    inp["subWorkflowName"] = name
    inp["subWorkflowVersion"] = _int_or_none(version)
    inp["subWorkflowTaskToDomain"] = params.get("taskToDomain")
    inp["subWorkflowDefinition"] = definition
    inp["workflowInput"] = dict(workflow_input)
    priority = _int_or_none(params.get("priority"))
    if priority is not None:
        inp["priority"] = priority
    return inp


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _parent_ended(p: Pass) -> str:
    return f"Parent workflow {p.wf['workflowId']} has ended"
