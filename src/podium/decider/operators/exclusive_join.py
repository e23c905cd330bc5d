"""EXCLUSIVE_JOIN: wait for the one branch that ran and take its output (docs/reference.md#exclusive_join)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.decider.operators.base import Operator, register
from podium.decider.operators.fork import live_by_ref, record_suffix
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass


@register(tt.EXCLUSIVE_JOIN)
class ExclusiveJoinOperator(Operator):
    """The first ``joinOn`` ref that has a (non-SKIPPED) record decides; if none ran, the first
    ``defaultExclusiveJoinTask`` ref that did. COMPLETED with its output, or FAILED with its reason."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        input_data: JSON = {"joinOn": list(wt.get("joinOn") or [])}
        if wt.get("defaultExclusiveJoinTask") is not None:
            input_data["defaultExclusiveJoinTask"] = list(wt.get("defaultExclusiveJoinTask") or [])
        p.new_record(
            wt,
            task_type=tt.EXCLUSIVE_JOIN,
            status=st.IN_PROGRESS,
            iteration=iteration,
            input_data=input_data,
            task_def_name=tt.EXCLUSIVE_JOIN,
        )

    def step(self, p: Pass, task: Task) -> bool:
        suffix = record_suffix(task)
        live = live_by_ref(p)
        data = task.get("inputData", {})
        chosen: Task | None = None
        for key in ("joinOn", "defaultExclusiveJoinTask"):
            for ref in data.get(key) or []:
                t = live.get(ref + suffix)
                if t is not None and t["status"] != st.SKIPPED:
                    chosen = t
                    break
            if chosen is not None:
                break
        if chosen is None or not st.task_terminal(chosen["status"]) or not chosen.get("executed"):
            return False
        if st.task_successful(chosen["status"]):
            p.finish(task, st.COMPLETED, dict(chosen.get("outputData") or {}))
        else:
            p.finish(
                task,
                st.FAILED,
                reason=chosen.get("reasonForIncompletion") or f"{chosen['referenceTaskName']} {chosen['status']}",
            )
        return True
