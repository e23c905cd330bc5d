"""Compute system tasks run inside the decide pass: SET_VARIABLE, NOOP, INLINE, LAMBDA, JSON_JQ_TRANSFORM
(docs/reference.md, a section each). ``SyncOperator`` is the base of every in-pass system task."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, cast

import orjson

from podium.decider.operators.base import Operator, register
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import Task, WorkflowTask
from podium.expr.pending import EvaluationPending

if TYPE_CHECKING:
    from podium.decider.passes import Pass

# Serialized size limit of workflow.variables (docs/reference.md#set_variable).
MAX_VARIABLES_BYTES: Final = 256 * 1024
JS_EVALUATORS: Final = frozenset({"javascript", "graaljs"})
# Effect asking the service to store log lines of a task (e.g. an INLINE script's console output).
TASK_LOGS_EFFECT: Final = "task_logs"


class SyncOperator(Operator):
    """A system task the decider executes itself: created IN_PROGRESS, finished in the same pass.

    A SCHEDULED record (a retry attempt, or one reset by an operator API) starts once due.
    """

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        p.new_record(wt, task_type=wt.get("type", ""), status=st.IN_PROGRESS, iteration=iteration, td=p.task_def(wt))

    def step(self, p: Pass, task: Task) -> bool:
        if not start_when_due(p, task):
            return False
        try:
            self.execute(p, task)
        except EvaluationPending:
            p.out.evaluations_pending = True  # the record stays IN_PROGRESS; the answer wakes the workflow
            return False
        return True

    def execute(self, p: Pass, task: Task) -> None:
        raise NotImplementedError


def start_when_due(p: Pass, task: Task) -> bool:
    """Move a due SCHEDULED record to IN_PROGRESS; False while it must still wait."""
    if task["status"] == st.SCHEDULED:
        if not p.due(task):
            return False
        task["status"] = st.IN_PROGRESS
        task["startTime"] = p.now
        p.touch(task)
    return task["status"] == st.IN_PROGRESS


@register(tt.NOOP)
class NoopOperator(SyncOperator):
    """Completes at once with no output (docs/reference.md#noop)."""

    def execute(self, p: Pass, task: Task) -> None:
        p.finish(task, st.COMPLETED)


@register(tt.SET_VARIABLE)
class SetVariableOperator(SyncOperator):
    """Writes every input key into workflow.variables, all or nothing (docs/reference.md#set_variable)."""

    def execute(self, p: Pass, task: Task) -> None:
        wf = p.wf
        before = wf.get("variables") or {}
        after = {**before, **(task.get("inputData") or {})}
        size = len(orjson.dumps(after, option=orjson.OPT_NON_STR_KEYS))
        if size > MAX_VARIABLES_BYTES:
            reason = (
                f"The variables payload of {size} bytes exceeds the limit of {MAX_VARIABLES_BYTES} bytes; "
                "workflow variables were not changed"
            )
            p.finish(task, st.FAILED_WITH_TERMINAL_ERROR, reason=reason)
            return
        wf["variables"] = after
        p.out.workflow_changed = True
        p.finish(task, st.COMPLETED)  # finish() also drops the cached resolution context


@register(tt.INLINE)
class InlineOperator(SyncOperator):
    """Evaluates ``expression`` with ``$`` = the task input; output ``{"result": v}`` (docs/reference.md#inline)."""

    def execute(self, p: Pass, task: Task) -> None:
        inp = task.get("inputData") or {}
        evaluator = inp.get("evaluatorType") or "javascript"
        expression = inp.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            reason = "INLINE task requires a non-empty string 'expression' in its input parameters"
            p.finish(task, st.FAILED_WITH_TERMINAL_ERROR, reason=reason)
            return
        if evaluator == "value-param":
            p.finish(task, st.COMPLETED, {"result": inp.get(expression)})
            return
        if evaluator not in JS_EVALUATORS:
            reason = f"INLINE evaluatorType '{evaluator}' is not supported (use javascript, graaljs or value-param)"
            p.finish(task, st.FAILED_WITH_TERMINAL_ERROR, reason=reason)
            return
        finish_script(p, task, expression, inp)


@register(tt.LAMBDA)
class LambdaOperator(SyncOperator):
    """Runs ``scriptExpression`` as a function body with ``$`` = the task input (docs/reference.md#lambda)."""

    def execute(self, p: Pass, task: Task) -> None:
        inp = task.get("inputData") or {}
        body = inp.get("scriptExpression") or task.get("workflowTask", {}).get("scriptExpression")
        if not isinstance(body, str) or not body.strip():
            p.finish(task, st.FAILED, reason="LAMBDA task requires a non-empty 'scriptExpression'")
            return
        finish_script(p, task, f"(function () {{\n{body}\n}})()", inp)


@register(tt.JSON_JQ_TRANSFORM)
class JsonJqOperator(SyncOperator):
    """Applies the jq ``queryExpression`` to the whole task input (docs/reference.md#json_jq_transform)."""

    def execute(self, p: Pass, task: Task) -> None:
        inp = task.get("inputData") or {}
        query = inp.get("queryExpression")
        if not isinstance(query, str) or not query.strip():
            msg = "Missing 'queryExpression' in the input parameters of the JSON_JQ_TRANSFORM task"
            p.finish(task, st.FAILED, {"error": msg}, reason=msg)
            return
        jq = p.env.jq
        if jq is None:
            msg = "No jq evaluator is configured on this server"
            p.finish(task, st.FAILED, {"error": msg}, reason=msg)
            return
        try:
            values = jq(query, inp)
        except Exception as e:  # the evaluator reports jq's own error text
            msg = error_text(e)
            p.finish(task, st.FAILED, {"error": msg}, reason=msg)
            return
        p.finish(task, st.COMPLETED, {"result": values[0] if values else None, "resultList": values})


# -- scripts --------------------------------------------------------------------------------------
def finish_script(p: Pass, task: Task, script: str, bindings: Mapping[str, Any]) -> None:
    """Run a script and finish the task: COMPLETED ``{"result": v}`` or FAILED ``{"error": msg}``."""
    value, error, lines = run_script(p, script, bindings)
    if lines:
        p.effect(TASK_LOGS_EFFECT, task, lines=lines)
    if error is not None:
        p.finish(task, st.FAILED, {"error": error}, reason=error)
    else:
        p.finish(task, st.COMPLETED, {"result": value})


def run_script(p: Pass, script: str, bindings: Mapping[str, Any]) -> tuple[Any, str | None, list[str]]:
    """(value, error message or None, console lines) of a JavaScript program."""
    js = p.env.js
    if js is None:
        return None, "No JavaScript evaluator is configured on this server", []
    lines: list[str] = []
    try:
        if _takes_console(js):
            value = cast(Callable[..., Any], js)(script, bindings, console=lines)
        else:
            value = js(script, bindings)
    except Exception as e:  # ScriptError, or whatever an injected evaluator raises
        return None, error_text(e), lines
    return value, None, lines


@lru_cache(maxsize=16)
def _takes_console(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(pr.name == "console" or pr.kind is inspect.Parameter.VAR_KEYWORD for pr in params)


def error_text(e: BaseException) -> str:
    """The message of an evaluator error (``ScriptError``/``JqError`` carry ``.message``)."""
    msg = getattr(e, "message", None)
    return msg if isinstance(msg, str) and msg else (str(e) or type(e).__name__)
