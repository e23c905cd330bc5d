"""WorkflowDef validation (docs/reference.md#the-workflow-definition, #tasks-in-a-definition):
fields, the task tree and cross-references."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from podium.domain import tasktypes as tt
from podium.domain.errors import FieldError
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.domain.validation_base import (
    Context,
    Errors,
    JsSyntaxCheck,
    Node,
    as_int,
    expression_roots,
    is_blank,
    join,
    read_bool,
    read_enum,
    read_int,
    read_list,
    read_map,
    read_str,
    read_str_list,
)
from podium.domain.validation_limits import check_document, check_name
from podium.domain.validation_operators import CHECKERS
from podium.domain.validation_taskdef import check_task_def

WORKFLOW_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_<>{}#\s-]+")
WORKFLOW_TIMEOUT_POLICIES: Final = ("TIME_OUT_WF", "ALERT_ONLY")
# Roots other than `workflow` and task refs that a top-level ${...} may start with (Conductor's built-in names).
SPECIAL_ROOTS: Final = frozenset({"workflow", "CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})

_WF_STR_FIELDS: Final = ("description", "failureWorkflow", "ownerEmail", "workflowStatusListenerSink")
_WF_BOOL_FIELDS: Final = ("restartable", "workflowStatusListenerEnabled", "enforceSchema")
_WF_MAP_FIELDS: Final = (
    "outputParameters", "variables", "inputTemplate", "inputSchema", "outputSchema", "metadata",
    "rateLimitConfig", "cacheConfig",
)  # fmt: skip
_TASK_BOOL_FIELDS: Final = ("optional", "asyncComplete", "permissive", "rateLimited")


def validate_workflow_def(
    wd: Mapping[str, Any],
    *,
    js_syntax_check: JsSyntaxCheck | None = None,
    task_defs: Mapping[str, Mapping[str, Any]] | None = None,
    require_join_after_fork: bool = True,
    check_names: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> list[FieldError]:
    """Every registration rule of Conductor's metadata API broken by the raw WorkflowDef JSON ``wd``.

    ``js_syntax_check(source)`` returns an error message for bad JavaScript (SWITCH expressions);
    ``task_defs`` maps task names to registered TaskDefs (their inputTemplate may supply HTTP
    inputs). ``require_join_after_fork=False`` leaves a FORK without a following JOIN to fail at run
    time as Conductor does; ``check_names=False`` skips the workflow-name character check. ``limits``
    bounds names, the number of tasks, nesting, expressions and integers (issue #12).
    """
    errors: Errors = []
    check_document(errors, wd, "", limits)
    if errors:
        return errors  # too deep or too long to look into further
    ctx = Context(errors, task_defs, js_syntax_check, require_join_after_fork, check_names, limits)
    check_workflow_def(ctx, wd, "")
    count, limit = ctx.task_count[0], limits.definition_tasks
    if count > limit:
        errors.append(
            FieldError(
                "tasks",
                f"The definition has {count} tasks (nested ones included), over the limit of {limit} "
                "(PODIUM_LIMIT_DEFINITION_TASKS)",
            )
        )
    return errors


def check_workflow_def(ctx: Context, wd: Any, prefix: str) -> None:
    """Append the errors of WorkflowDef ``wd`` (found at ``prefix``) to ``ctx.errors``."""
    errors = ctx.errors
    if not isinstance(wd, Mapping):
        errors.append(FieldError(prefix, "WorkflowDef must be an object", wd))
        return
    name = wd.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(FieldError(join(prefix, "name"), "Workflow name cannot be null or empty", name))
        label = "Workflow"
    else:
        label = f"Workflow '{name}'"
        if len(name) > ctx.limits.name_length:
            check_name(errors, name, join(prefix, "name"), label, ctx.limits, task=False)
        elif ctx.check_names and not WORKFLOW_NAME_PATTERN.fullmatch(name):
            errors.append(
                FieldError(
                    join(prefix, "name"),
                    f"{label}: name may only contain letters, digits, whitespace and _ - < > {{ }} #",
                    name,
                )
            )
    read_int(errors, wd, "version", prefix, label, minimum=0)
    schema = wd.get("schemaVersion")
    if schema is not None and as_int(schema) != 2:
        errors.append(FieldError(join(prefix, "schemaVersion"), f"{label}: schemaVersion must be 2", schema))
    read_enum(errors, wd, "timeoutPolicy", prefix, label, WORKFLOW_TIMEOUT_POLICIES)
    read_int(errors, wd, "timeoutSeconds", prefix, label, minimum=0)
    read_int(errors, wd, "failureWorkflowVersion", prefix, label)
    for key in _WF_STR_FIELDS:
        read_str(errors, wd, key, prefix, label)
    for key in _WF_BOOL_FIELDS:
        read_bool(errors, wd, key, prefix, label)
    for key in _WF_MAP_FIELDS:
        read_map(errors, wd, key, prefix, label)
    read_str_list(errors, wd, "inputParameters", prefix, label)
    read_str_list(errors, wd, "maskedFields", prefix, label)

    tasks = read_list(errors, wd, "tasks", prefix, label)
    if not tasks:
        if tasks is not None or wd.get("tasks") is None:
            errors.append(FieldError(join(prefix, "tasks"), f"{label}: tasks must be a non-empty list", tasks))
        return
    _walk(ctx, tasks, join(prefix, "tasks"), top_level=True)
    _check_references(ctx)


def _walk(ctx: Context, tasks: list[Any], path: str, *, top_level: bool) -> None:
    """Check each WorkflowTask of ``tasks`` and, recursively, those its operators nest."""
    errors = ctx.errors
    for index, task in enumerate(tasks):
        p = f"{path}[{index}]"
        if not isinstance(task, Mapping):
            errors.append(FieldError(p, f"Task at {p} must be an object", task))
            continue
        node = _node(ctx, task, p, tasks, index, top_level)
        checker = CHECKERS.get(node.type)
        if checker is not None:
            for child_path, child_tasks in checker(ctx, node):
                _walk(ctx, child_tasks, child_path, top_level=False)
        if node.type == tt.SUB_WORKFLOW:
            param = task.get("subWorkflowParam")
            inline = param.get("workflowDefinition") if isinstance(param, Mapping) else None
            if isinstance(inline, Mapping):
                if inline.get("name") is None and isinstance(param, Mapping) and param.get("name"):
                    inline = {**inline, "name": param.get("name")}
                # An inline child definition has its own namespace of refs.
                child = Context(
                    errors,
                    ctx.task_defs,
                    ctx.js_syntax_check,
                    ctx.require_join_after_fork,
                    ctx.check_names,
                    ctx.limits,
                    task_count=ctx.task_count,
                )
                check_workflow_def(child, inline, f"{p}.subWorkflowParam.workflowDefinition")


def _node(ctx: Context, task: Mapping[str, Any], p: str, siblings: list[Any], index: int, top: bool) -> Node:
    """Run the checks every task type shares, record the ref, and describe the task."""
    errors = ctx.errors
    ctx.task_count[0] += 1
    raw_type = task.get("type")
    task_type = raw_type if isinstance(raw_type, str) and raw_type else tt.SIMPLE
    raw_name, raw_ref = task.get("name"), task.get("taskReferenceName")
    name = None if is_blank(raw_name) else raw_name
    ref = None if is_blank(raw_ref) else raw_ref
    if ref is not None:
        label = f"{task_type} task '{ref}'"
    elif name is not None:
        label = f"{task_type} task named '{name}' at {p}"
    else:
        label = f"{task_type} task at {p}"

    if raw_type is not None and not isinstance(raw_type, str):
        errors.append(FieldError(join(p, "type"), f"{label}: 'type' must be a string", raw_type))
    if name is None:
        errors.append(FieldError(join(p, "name"), f"{label} requires a non-empty 'name'", raw_name))
    elif task_type == tt.SIMPLE or len(name) > ctx.limits.name_length:
        # A worker task's name is its task type: it must be pollable (no '/', ':', '@').
        check_name(errors, name, join(p, "name"), label, ctx.limits, task=task_type == tt.SIMPLE)
    if ref is None:
        errors.append(
            FieldError(join(p, "taskReferenceName"), f"{label} requires a non-empty 'taskReferenceName'", raw_ref)
        )
    else:
        first = ctx.refs.get(ref)
        if first is not None:
            errors.append(
                FieldError(
                    join(p, "taskReferenceName"),
                    f"taskReferenceName '{ref}' is used more than once (first at {first})",
                    ref,
                )
            )
        else:
            ctx.refs[ref] = p

    inputs = read_map(errors, task, "inputParameters", p, label) or {}
    read_str(errors, task, "description", p, label)
    for key in _TASK_BOOL_FIELDS:
        read_bool(errors, task, key, p, label)
    read_int(errors, task, "startDelay", p, label, minimum=0)
    read_int(errors, task, "retryCount", p, label, minimum=0)
    if task.get("taskDefinition") is not None:
        check_task_def(errors, task.get("taskDefinition"), join(p, "taskDefinition"), name or "")

    node = Node(p, task, task_type, name, ref, label, inputs, siblings, index, top)
    if top or task_type in (tt.JOIN, tt.EXCLUSIVE_JOIN):
        ctx.nodes.append(node)
    return node


def _check_references(ctx: Context) -> None:
    """Rules that need every ref of the definition: JOIN refs and top-level ${...} roots."""
    refs = ctx.refs
    for node in ctx.nodes:
        if node.type in (tt.JOIN, tt.EXCLUSIVE_JOIN) and not _after_dynamic_fork(node):
            for key in ("joinOn", "defaultExclusiveJoinTask"):
                listed = node.task.get(key)
                if not isinstance(listed, list):
                    continue
                for i, ref in enumerate(listed):
                    if isinstance(ref, str) and ref not in refs:
                        ctx.errors.append(
                            FieldError(
                                f"{node.path}.{key}[{i}]",
                                f"{node.label}: '{key}' names '{ref}', which is not a taskReferenceName "
                                "in this definition",
                                ref,
                            )
                        )
        if node.top_level:
            for path, text in _strings(node.inputs, join(node.path, "inputParameters")):
                for root in expression_roots(text):
                    if root not in refs and root not in SPECIAL_ROOTS:
                        ctx.errors.append(
                            FieldError(
                                path,
                                f"{node.label}: input expression '{text}' refers to '{root}', which is "
                                "neither 'workflow' nor a taskReferenceName in this definition",
                                text,
                            )
                        )


def _after_dynamic_fork(node: Node) -> bool:
    """A JOIN behind a FORK_JOIN_DYNAMIC waits on refs only known at run time."""
    prev = node.siblings[node.index - 1] if node.index > 0 else None
    return isinstance(prev, Mapping) and prev.get("type") == tt.FORK_JOIN_DYNAMIC


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, string) for every string holding ``${`` below ``value``."""
    if isinstance(value, str):
        if "${" in value:
            yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
