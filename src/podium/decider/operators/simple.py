"""SIMPLE (and any unknown type): a task executed by polling workers (docs/reference.md#simple)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.decider.operators.base import Operator, register
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import WorkflowTask
from podium.domain.queues import choose_domain

if TYPE_CHECKING:
    from podium.decider.passes import Pass


@register(tt.SIMPLE)
class SimpleOperator(Operator):
    """Creates a SCHEDULED record on the task's queue, routed by task-to-domain."""

    worker = True

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        td = p.task_def(wt)
        name = wt.get("name", "")
        t = p.new_record(wt, task_type=name, status=st.SCHEDULED, iteration=iteration, td=td)
        domain = choose_domain(name, p.wf.get("taskToDomain") or {}, p.env.domain_active)
        if domain:
            t["domain"] = domain
        p.push(t, (wt.get("startDelay", 0) or 0) * 1000)


SIMPLE_OPERATOR = SimpleOperator()
