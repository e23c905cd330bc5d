"""Waiting system tasks: WAIT and HUMAN (docs/reference.md#wait, #human).

Both stay IN_PROGRESS without costing anything: a timed WAIT reports its end through
``Operator.deadline`` so the sweeper decides the workflow exactly then; an open WAIT and HUMAN wait
for an external task update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.decider.operators.base import Operator, register
from podium.decider.operators.system import start_when_due
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.durations import parse_duration, parse_until
from podium.domain.model import Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass


class _InProgressOperator(Operator):
    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        p.new_record(wt, task_type=wt.get("type", ""), status=st.IN_PROGRESS, iteration=iteration, td=p.task_def(wt))


@register(tt.HUMAN)
class HumanOperator(_InProgressOperator):
    """IN_PROGRESS until completed through the task update APIs."""

    def step(self, p: Pass, task: Task) -> bool:
        was = task["status"]
        start_when_due(p, task)
        return task["status"] != was


@register(tt.WAIT)
class WaitOperator(_InProgressOperator):
    """Waits for ``duration`` / until ``until``, or (with neither) for an external update."""

    def step(self, p: Pass, task: Task) -> bool:
        was = task["status"]
        if not start_when_due(p, task):
            return False
        end, error = wait_end(task)
        if error is not None:
            p.finish(task, st.FAILED_WITH_TERMINAL_ERROR, reason=error)
            return True
        if end is not None and p.now >= end:
            p.finish(task, st.COMPLETED)
            return True
        return task["status"] != was

    def deadline(self, p: Pass, task: Task) -> int | None:
        if task["status"] != st.IN_PROGRESS:
            return None
        end, error = wait_end(task)
        return p.now if error is not None else end


def wait_end(task: Task) -> tuple[int | None, str | None]:
    """(epoch ms the WAIT ends — None when open-ended, error message or None)."""
    inp = task.get("inputData") or {}
    duration = _text(inp.get("duration"))
    until = _text(inp.get("until"))
    if duration and until:
        return None, "WAIT task accepts either 'duration' or 'until', not both"
    if duration:
        try:
            return (task.get("startTime") or task.get("scheduledTime", 0)) + parse_duration(duration) * 1000, None
        except ValueError as e:
            return None, f"WAIT task has an invalid 'duration': {e}"
    if until:
        try:
            return parse_until(until), None
        except ValueError as e:
            return None, f"WAIT task has an invalid 'until': {e}"
    return None, None


def _text(value: object) -> str:
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()
