"""EventHandler validation (Conductor's event handlers)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from podium.domain.errors import FieldError
from podium.domain.validation_base import (
    Errors,
    JsSyntaxCheck,
    is_blank,
    join,
    read_bool,
    read_enum,
    read_list,
    read_map,
    read_required_str,
    read_str,
)
from podium.domain.validation_operators import JS_EVALUATORS

EVENT_EVALUATORS: Final = ("javascript", "graaljs", "value-param")
SUPPORTED_ACTIONS: Final = ("start_workflow", "complete_task", "fail_task")
UNSUPPORTED_ACTIONS: Final = frozenset({"terminate_workflow", "update_workflow_variables"})
_EVENT: Final = re.compile(r"[^:\s]+:\S.*")


def validate_event_handler(eh: Mapping[str, Any], *, js_syntax_check: JsSyntaxCheck | None = None) -> list[FieldError]:
    """Every rule of Conductor's EventHandler broken by the raw EventHandler JSON ``eh`` (empty when valid).

    ``js_syntax_check(source)`` (optional) returns an error message for a bad JavaScript condition.
    """
    errors: Errors = []
    if not isinstance(eh, Mapping):
        return [FieldError("", "EventHandler must be an object", eh)]
    name = eh.get("name")
    label = "Event handler" if is_blank(name) else f"Event handler '{name}'"
    read_required_str(errors, eh, "name", "", label, "a non-empty 'name'")
    event = read_required_str(errors, eh, "event", "", label, "a non-empty 'event'")
    if event is not None and not _EVENT.fullmatch(event):
        errors.append(FieldError("event", f"{label}: event must look like '<type>:<queue>' (e.g. 'sqs:orders')", event))
    evaluator = read_enum(errors, eh, "evaluatorType", "", label, EVENT_EVALUATORS)
    condition = read_str(errors, eh, "condition", "", label)
    read_bool(errors, eh, "active", "", label)
    if (
        js_syntax_check is not None
        and condition is not None
        and condition.strip()
        and (evaluator in JS_EVALUATORS or eh.get("evaluatorType") is None)
    ):
        problem = js_syntax_check(condition)
        if problem:
            errors.append(FieldError("condition", f"{label}: invalid JavaScript condition: {problem}", condition))

    actions = read_list(errors, eh, "actions", "", label)
    if not actions:
        if actions is not None or eh.get("actions") is None:
            errors.append(FieldError("actions", f"{label} requires at least one action", actions))
        return errors
    for i, action in enumerate(actions):
        _check_action(errors, action, f"actions[{i}]", label)
    return errors


def _check_action(errors: Errors, action: Any, p: str, label: str) -> None:
    if not isinstance(action, Mapping):
        errors.append(FieldError(p, f"{label}: each action must be an object", action))
        return
    kind = action.get("action")
    if not isinstance(kind, str):
        kind = None  # a list or object is no action name (and cannot be looked up in a set)
    if kind in UNSUPPORTED_ACTIONS:
        errors.append(FieldError(join(p, "action"), f"{label}: action '{kind}' is not supported", kind))
        return
    if kind not in SUPPORTED_ACTIONS:
        errors.append(
            FieldError(join(p, "action"), f"{label}: action must be one of {', '.join(SUPPORTED_ACTIONS)}", kind)
        )
        return
    read_bool(errors, action, "expandInlineJSON", p, label)
    params = read_map(errors, action, kind, p, label)
    if params is None:
        if action.get(kind) is None:
            errors.append(FieldError(join(p, kind), f"{label}: action '{kind}' requires a '{kind}' object"))
        return
    pp = join(p, kind)
    if kind == "start_workflow":
        read_required_str(errors, params, "name", pp, label, f"'{kind}.name' (the workflow to start)")
        read_map(errors, params, "taskToDomain", pp, label)
    elif is_blank(params.get("taskId")) and (is_blank(params.get("workflowId")) or is_blank(params.get("taskRefName"))):
        errors.append(
            FieldError(pp, f"{label}: action '{kind}' requires 'taskId' or 'workflowId' + 'taskRefName'", params)
        )
