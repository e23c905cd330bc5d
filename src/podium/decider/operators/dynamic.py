"""DYNAMIC: a worker task whose name is read from the task's input at run time (docs/reference.md#dynamic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.decider.operators.base import Operator, register
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import WorkflowTask
from podium.domain.queues import choose_domain

if TYPE_CHECKING:
    from podium.decider.passes import Pass


def dynamic_task_name(p: Pass, wt: WorkflowTask) -> str | None:
    """The task name held by the input parameter ``dynamicTaskNameParam`` names, if any."""
    key = wt.get("dynamicTaskNameParam") or ""
    params = wt.get("inputParameters") or {}
    if key not in params:
        return None
    value = p.resolve(params[key])
    return value if isinstance(value, str) and value.strip() else None


@register(tt.DYNAMIC)
class DynamicOperator(Operator):
    """Scheduled like SIMPLE under the resolved name (``taskType`` = name, same ref). The record's
    ``workflowTask`` carries that name, so its TaskDef governs retries and timeouts. A missing
    name or an unregistered task fails the workflow."""

    worker = True

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        from podium.decider.lifecycle import end_workflow

        name = dynamic_task_name(p, wt)
        if name is None:
            end_workflow(
                p,
                st.FAILED,
                f"Cannot map a dynamic task based on the parameter and input. "
                f"Parameter= {wt.get('dynamicTaskNameParam', '')}, input= {wt.get('inputParameters') or {}}",
            )
            return
        if p.env.task_def(name) is None:
            end_workflow(
                p, st.FAILED, f"Invalid task specified. Cannot find task by name {name} in the task definitions"
            )
            return
        named: WorkflowTask = {**wt, "name": name}
        td = p.task_def(named)
        t = p.new_record(named, task_type=name, status=st.SCHEDULED, iteration=iteration, td=td)
        domain = choose_domain(name, p.wf.get("taskToDomain") or {}, p.env.domain_active)
        if domain:
            t["domain"] = domain
        p.push(t, (wt.get("startDelay", 0) or 0) * 1000)
