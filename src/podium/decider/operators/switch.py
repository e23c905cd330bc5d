"""SWITCH and legacy DECISION: pick one case branch from an evaluated value (docs/reference.md#switch, #decision)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podium.decider.operators.base import Operator, register
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task, WorkflowTask
from podium.expr import java_str
from podium.expr.pending import EvaluationPending

if TYPE_CHECKING:
    from podium.decider.passes import Pass

VALUE_PARAM = "value-param"
JS_EVALUATORS = frozenset({"javascript", "graaljs"})


class EvaluationError(Exception):
    """A script failed or no script evaluator is configured."""


def case_string(value: Any) -> str:
    """The string a case value is matched by: ``null``, ``true``, ``2`` (not ``2.0``), ``2.5``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e19:
        return str(int(value))
    return java_str(value)


def run_js(p: Pass, script: str, bindings: JSON) -> Any:
    """Evaluate a script with ``$`` = ``bindings`` through the injected evaluator."""
    js = p.env.js
    if js is None:
        raise EvaluationError("no JavaScript evaluator is configured")
    try:
        return js(script, bindings)
    except Exception as exc:  # the evaluator's own error type (ScriptError) carries the JS message
        raise EvaluationError(str(exc) or type(exc).__name__) from exc


def selected_branch(wt: WorkflowTask, case: str) -> list[WorkflowTask]:
    """The tasks run for ``case``: its decision case, else (missing or empty) the default case."""
    branch = (wt.get("decisionCases") or {}).get(case)
    if not branch:
        branch = wt.get("defaultCase") or []
    return branch


def _record_case(task: Task) -> str | None:
    out = task.get("outputData") or {}
    if "selectedCase" in out:
        return str(out["selectedCase"])
    cases = out.get("caseOutput")
    if isinstance(cases, list) and cases:
        return str(cases[0])
    return None


@register(tt.SWITCH, tt.DECISION)
class SwitchOperator(Operator):
    """Evaluates the case at scheduling time, then schedules the chosen branch's first task.

    The record is IN_PROGRESS when created and COMPLETED by the next ``step`` of the same pass.
    A SWITCH whose branch ran continues from the branch's end, not from itself (as in Conductor).
    """

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        ttype = wt.get("type", tt.SWITCH)
        evaluator = wt.get("evaluatorType") or VALUE_PARAM
        if ttype == tt.SWITCH and evaluator != VALUE_PARAM and evaluator not in JS_EVALUATORS:
            from podium.decider.lifecycle import end_workflow

            end_workflow(p, st.FAILED, f"No evaluator registered for type: {evaluator}")
            return
        t = p.new_record(wt, task_type=ttype, status=st.IN_PROGRESS, iteration=iteration, task_def_name=ttype)
        self._choose(p, t, wt)

    def _choose(self, p: Pass, t: Task, wt: WorkflowTask) -> bool:
        """Evaluate the case and schedule its branch; False while a script's answer is still to come."""
        ttype = wt.get("type", tt.SWITCH)
        input_data = t["inputData"]
        try:
            if ttype == tt.DECISION:
                case = _decision_case(p, wt, input_data)
            else:
                case = _switch_case(p, wt, wt.get("evaluatorType") or VALUE_PARAM, input_data)
        except EvaluationError as exc:
            p.finish(t, st.FAILED, reason=str(exc))
            return True
        except EvaluationPending:
            p.out.evaluations_pending = True  # the record stays IN_PROGRESS with no case yet
            return False
        input_data["case"] = case
        if ttype == tt.DECISION:
            t["outputData"] = {"caseOutput": [case]}
        else:
            t["outputData"] = {"evaluationResult": [case], "selectedCase": case}
        p.touch(t)
        p.invalidate()
        branch = selected_branch(wt, case)
        if branch:
            p.schedule(branch[0], t.get("iteration", 0))
        return True

    def step(self, p: Pass, task: Task) -> bool:
        if _record_case(task) is None:
            wt = task.get("workflowTask")
            if wt is None or not self._choose(p, task, wt) or st.task_terminal(task["status"]):
                return wt is not None and st.task_terminal(task["status"])
        p.finish(task, st.COMPLETED)
        return True

    def continues(self, p: Pass, task: Task) -> bool:
        case = _record_case(task)
        wt = task.get("workflowTask")
        return case is None or wt is None or not selected_branch(wt, case)


def _switch_case(p: Pass, wt: WorkflowTask, evaluator: str, input_data: JSON) -> str:
    expression = wt.get("expression", "")
    if evaluator == VALUE_PARAM:
        return case_string(input_data.get(expression))
    return case_string(run_js(p, expression, input_data))


def _decision_case(p: Pass, wt: WorkflowTask, input_data: JSON) -> str:
    expression = wt.get("caseExpression")
    if expression:
        return case_string(run_js(p, expression, input_data))
    return case_string(input_data.get(wt.get("caseValueParam", "")))
