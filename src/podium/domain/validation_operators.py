"""Per-task-type registration rules of WorkflowTasks (docs/reference.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from podium.domain import tasktypes as tt
from podium.domain.durations import parse_duration, parse_until
from podium.domain.errors import FieldError
from podium.domain.validation_base import (
    Children,
    Context,
    Node,
    is_blank,
    is_expression,
    join,
    read_enum,
    read_list,
    read_map,
    read_required_str,
    read_str_list,
)

SWITCH_EVALUATORS: Final = ("value-param", "javascript", "graaljs", "python")
INLINE_EVALUATORS: Final = ("javascript", "graaljs", "value-param", "python")
JS_EVALUATORS: Final = frozenset({"javascript", "graaljs"})
TERMINATION_STATUSES: Final = ("COMPLETED", "FAILED", "TERMINATED")
_SIMPLE_FORK_KEYS: Final = ("forkTaskName", "forkTaskType", "forkTaskWorkflow", "forkTaskInputs")

_NONE: Final[Children] = ()


def _err(ctx: Context, path: str, message: str, value: Any = None) -> None:
    ctx.errors.append(FieldError(path, message, value))


def _require(ctx: Context, node: Node, key: str, requirement: str) -> str | None:
    return read_required_str(ctx.errors, node.task, key, node.path, node.label, requirement)


def _template_has(ctx: Context, node: Node, key: str) -> bool:
    """True when the task's TaskDef (inline, else the registered one) has ``key`` in inputTemplate."""
    td = node.task.get("taskDefinition")
    if not isinstance(td, Mapping) and ctx.task_defs is not None and node.name is not None:
        td = ctx.task_defs.get(node.name)
    if not isinstance(td, Mapping):
        return False
    template = td.get("inputTemplate")
    return isinstance(template, Mapping) and template.get(key) is not None


def _input_or_template(ctx: Context, node: Node, *keys: str) -> bool:
    return any(node.inputs.get(k) is not None or _template_has(ctx, node, k) for k in keys)


def _followed_by_join(ctx: Context, node: Node) -> None:
    if not ctx.require_join_after_fork:
        return
    nxt = node.siblings[node.index + 1] if node.index + 1 < len(node.siblings) else None
    if isinstance(nxt, Mapping) and nxt.get("type") == tt.JOIN:
        return
    _err(
        ctx,
        node.path,
        f"{node.label} is not followed by a JOIN task (Fork task definition is not followed by a join task)",
        node.ref,
    )


def _cases(ctx: Context, node: Node) -> Children:
    children: list[tuple[str, list[Any]]] = []
    cases = read_map(ctx.errors, node.task, "decisionCases", node.path, node.label)
    if not cases:
        if node.task.get("decisionCases") is None or cases is not None:
            _err(
                ctx,
                join(node.path, "decisionCases"),
                f"{node.label} requires at least one entry in 'decisionCases'",
                cases,
            )
    else:
        for key, branch in cases.items():
            p = f"{node.path}.decisionCases.{key}"
            if isinstance(branch, list):
                children.append((p, branch))
            else:
                _err(ctx, p, f"{node.label}: decision case '{key}' must be a list of tasks", branch)
    default = read_list(ctx.errors, node.task, "defaultCase", node.path, node.label)
    if default:
        children.append((join(node.path, "defaultCase"), default))
    return children


def _switch(ctx: Context, node: Node) -> Children:
    evaluator = read_enum(ctx.errors, node.task, "evaluatorType", node.path, node.label, SWITCH_EVALUATORS)
    if node.task.get("evaluatorType") is None:
        _err(
            ctx,
            join(node.path, "evaluatorType"),
            f"{node.label} requires 'evaluatorType' (one of {', '.join(SWITCH_EVALUATORS)})",
        )
    expression = _require(ctx, node, "expression", "a non-empty 'expression'")
    if expression is not None and evaluator in JS_EVALUATORS and ctx.js_syntax_check is not None:
        problem = ctx.js_syntax_check(expression)
        if problem:
            _err(
                ctx,
                join(node.path, "expression"),
                f"{node.label} has an invalid JavaScript expression: {problem}",
                expression,
            )
    return _cases(ctx, node)


def _decision(ctx: Context, node: Node) -> Children:
    if is_blank(node.task.get("caseValueParam")) and is_blank(node.task.get("caseExpression")):
        _err(
            ctx,
            join(node.path, "caseValueParam"),
            f"{node.label} requires 'caseValueParam' or 'caseExpression'",
        )
    return _cases(ctx, node)


def _fork_join(ctx: Context, node: Node) -> Children:
    children: list[tuple[str, list[Any]]] = []
    branches = read_list(ctx.errors, node.task, "forkTasks", node.path, node.label)
    if not branches:
        if branches is not None or node.task.get("forkTasks") is None:
            _err(ctx, join(node.path, "forkTasks"), f"{node.label} requires a non-empty 'forkTasks'", branches)
    else:
        for i, branch in enumerate(branches):
            p = f"{node.path}.forkTasks[{i}]"
            if not isinstance(branch, list) or not branch:
                _err(ctx, p, f"{node.label}: fork branch {i} must be a non-empty list of tasks", branch)
            else:
                children.append((p, branch))
    _followed_by_join(ctx, node)
    return children


def _fork_join_dynamic(ctx: Context, node: Node) -> Children:
    task, label = node.task, node.label
    tasks_param = task.get("dynamicForkTasksParam")
    input_param = task.get("dynamicForkTasksInputParamName")
    styles = []
    if tasks_param is not None or input_param is not None:
        styles.append("dynamicForkTasksParam/dynamicForkTasksInputParamName")
        if is_blank(tasks_param):
            _err(
                ctx,
                join(node.path, "dynamicForkTasksParam"),
                f"{label} requires 'dynamicForkTasksParam' with 'dynamicForkTasksInputParamName'",
                tasks_param,
            )
        if is_blank(input_param):
            _err(
                ctx,
                join(node.path, "dynamicForkTasksInputParamName"),
                f"{label} requires 'dynamicForkTasksInputParamName' with 'dynamicForkTasksParam'",
                input_param,
            )
    if any(node.inputs.get(k) is not None for k in _SIMPLE_FORK_KEYS):
        styles.append("inputParameters forkTaskName/forkTaskType/forkTaskWorkflow + forkTaskInputs")
        if all(node.inputs.get(k) is None for k in _SIMPLE_FORK_KEYS[:3]):
            _err(
                ctx,
                join(node.path, "inputParameters"),
                f"{label} requires 'forkTaskName', 'forkTaskType' or 'forkTaskWorkflow' "
                "in inputParameters with 'forkTaskInputs'",
            )
        if node.inputs.get("forkTaskInputs") is None:
            _err(
                ctx,
                join(node.path, "inputParameters"),
                f"{label} requires 'forkTaskInputs' in inputParameters",
            )
    if task.get("dynamicForkJoinTasksParam") is not None:
        styles.append("dynamicForkJoinTasksParam")
        if is_blank(task.get("dynamicForkJoinTasksParam")):
            _err(
                ctx,
                join(node.path, "dynamicForkJoinTasksParam"),
                f"{label}: 'dynamicForkJoinTasksParam' must be a non-empty string",
                task.get("dynamicForkJoinTasksParam"),
            )
    if not styles:
        _err(
            ctx,
            node.path,
            f"{label} requires 'dynamicForkTasksParam' + 'dynamicForkTasksInputParamName', or "
            "inputParameters 'forkTaskName' (or 'forkTaskType'/'forkTaskWorkflow') + 'forkTaskInputs', "
            "or 'dynamicForkJoinTasksParam'",
        )
    elif len(styles) > 1:
        _err(ctx, node.path, f"{label} mixes dynamic fork input styles ({'; '.join(styles)}); use one")
    _followed_by_join(ctx, node)
    return _NONE


def _join(ctx: Context, node: Node) -> Children:
    # Whether the refs exist is checked once the whole tree is known (validation_workflow).
    read_str_list(ctx.errors, node.task, "joinOn", node.path, node.label)
    read_str_list(ctx.errors, node.task, "defaultExclusiveJoinTask", node.path, node.label)
    return _NONE


def _do_while(ctx: Context, node: Node) -> Children:
    has_items = any(
        v is not None for v in (node.task.get("items"), node.inputs.get("items"), node.inputs.get("_items"))
    )
    condition = node.task.get("loopCondition")
    if not (has_items and condition is None):
        _require(ctx, node, "loopCondition", "a non-empty 'loopCondition'")
    body = read_list(ctx.errors, node.task, "loopOver", node.path, node.label)
    if not body:
        if body is not None or node.task.get("loopOver") is None:
            _err(ctx, join(node.path, "loopOver"), f"{node.label} requires a non-empty 'loopOver'", body)
        return _NONE
    return ((join(node.path, "loopOver"), body),)


def _dynamic(ctx: Context, node: Node) -> Children:
    _require(ctx, node, "dynamicTaskNameParam", "a non-empty 'dynamicTaskNameParam'")
    return _NONE


def _sub_workflow(ctx: Context, node: Node) -> Children:
    param = read_map(ctx.errors, node.task, "subWorkflowParam", node.path, node.label)
    p = join(node.path, "subWorkflowParam")
    if param is None:
        if node.task.get("subWorkflowParam") is None:
            _err(ctx, p, f"{node.label} requires 'subWorkflowParam'")
        return _NONE
    inline = param.get("workflowDefinition")
    if inline is not None and not isinstance(inline, Mapping | str):
        _err(
            ctx,
            join(p, "workflowDefinition"),
            f"{node.label}: 'workflowDefinition' must be an object or an expression string",
            inline,
        )
    elif inline is None:
        read_required_str(ctx.errors, param, "name", p, node.label, "a non-empty 'subWorkflowParam.name'")
    return _NONE  # an inline definition is validated by the walker in its own ref namespace


def _event(ctx: Context, node: Node) -> Children:
    _require(ctx, node, "sink", "a non-empty 'sink'")
    return _NONE


def _terminate(ctx: Context, node: Node) -> Children:
    if node.task.get("optional") is True:
        _err(ctx, join(node.path, "optional"), f"{node.label} must not be optional", True)
    status = node.inputs.get("terminationStatus")
    p = join(node.path, "inputParameters.terminationStatus")
    if is_blank(status):
        _err(
            ctx,
            p,
            f"{node.label} requires inputParameters.terminationStatus (one of {', '.join(TERMINATION_STATUSES)})",
            status,
        )
    elif status not in TERMINATION_STATUSES and not is_expression(status):
        _err(
            ctx,
            p,
            f"{node.label}: terminationStatus must be one of {', '.join(TERMINATION_STATUSES)}",
            status,
        )
    return _NONE


def _needs_input(key: str) -> Callable[[Context, Node], Children]:
    def check(ctx: Context, node: Node) -> Children:
        if not _input_or_template(ctx, node, key):
            _err(ctx, join(node.path, f"inputParameters.{key}"), f"{node.label} requires inputParameters.{key}")
        return _NONE

    return check


def _http(ctx: Context, node: Node) -> Children:
    if not _input_or_template(ctx, node, "http_request", "uri"):
        _err(
            ctx,
            join(node.path, "inputParameters"),
            f"{node.label} requires 'http_request' (or 'uri') in inputParameters or in its TaskDef inputTemplate",
        )
    return _NONE


def _jq(ctx: Context, node: Node) -> Children:
    query = node.inputs.get("queryExpression")
    if query is None and _template_has(ctx, node, "queryExpression"):
        return _NONE
    if is_blank(query):
        _err(
            ctx,
            join(node.path, "inputParameters.queryExpression"),
            f"{node.label} requires a non-empty inputParameters.queryExpression",
            query,
        )
    return _NONE


def _wait(ctx: Context, node: Node) -> Children:
    duration, until = node.inputs.get("duration"), node.inputs.get("until")
    given = [
        (k, v)
        for k, v in (("duration", duration), ("until", until))
        if v is not None and not (isinstance(v, str) and not v.strip())
    ]
    if len(given) == 2:
        _err(
            ctx,
            join(node.path, "inputParameters"),
            f"{node.label}: both 'duration' and 'until' are given; provide only one",
            None,
        )
        return _NONE
    for key, value in given:
        if is_expression(value):
            continue
        p = join(node.path, f"inputParameters.{key}")
        if isinstance(value, Mapping | list):
            _err(ctx, p, f"{node.label}: '{key}' must be a string", value)
            continue
        text = value if isinstance(value, str) else str(value)
        try:
            parse_duration(text) if key == "duration" else parse_until(text)
        except ValueError as exc:
            _err(ctx, p, f"{node.label}: invalid wait time: {exc}", value)
    return _NONE


def _inline(ctx: Context, node: Node) -> Children:
    expression = node.inputs.get("expression")
    if is_blank(expression):
        _err(
            ctx,
            join(node.path, "inputParameters.expression"),
            f"{node.label} requires a non-empty inputParameters.expression",
            expression,
        )
    evaluator = node.inputs.get("evaluatorType")
    if evaluator is not None and evaluator not in INLINE_EVALUATORS and not is_expression(evaluator):
        _err(
            ctx,
            join(node.path, "inputParameters.evaluatorType"),
            f"{node.label}: evaluatorType must be one of {', '.join(INLINE_EVALUATORS)}",
            evaluator,
        )
    return _NONE


CHECKERS: Final[dict[str, Callable[[Context, Node], Children]]] = {
    tt.SWITCH: _switch,
    tt.DECISION: _decision,
    tt.FORK_JOIN: _fork_join,
    tt.FORK_JOIN_DYNAMIC: _fork_join_dynamic,
    tt.JOIN: _join,
    tt.EXCLUSIVE_JOIN: _join,
    tt.DO_WHILE: _do_while,
    tt.DYNAMIC: _dynamic,
    tt.SUB_WORKFLOW: _sub_workflow,
    tt.EVENT: _event,
    tt.TERMINATE: _terminate,
    tt.KAFKA_PUBLISH: _needs_input("kafka_request"),
    tt.HTTP: _http,
    tt.JSON_JQ_TRANSFORM: _jq,
    tt.WAIT: _wait,
    tt.INLINE: _inline,
}
