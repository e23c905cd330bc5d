"""Property-based tests (hypothesis): expression resolution and definition validation are total.

Whatever JSON arrives, resolution returns (missing paths are null, bad expressions stay text) the same
answer every time without touching its input, and validation returns FieldErrors instead of raising.
Derandomized, so CI runs the same cases every time.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium.domain.errors import FieldError
from podium.domain.validation import validate_event_handler, validate_task_def, validate_workflow_def
from podium.expr.resolve import ResolutionContext, resolve

CASES = settings(
    max_examples=400, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)

# Characters that matter to ${...} templates and JSONPath, plus a little of everything else.
_SYNTAX = st.sampled_from(list("${}[]().*?@!=<>~'\"\\,:-_ 0129ab$&|/^+")) | st.characters()
_EXPR_TEXT = st.text(_SYNTAX, max_size=40)
_KEYS = st.sampled_from(["a", "b", "input", "output", "x", "0", "items", ""]) | st.text(max_size=5)


def _expression() -> st.SearchStrategy[str]:
    path = st.lists(_KEYS | st.integers(-3, 5).map(lambda i: f"[{i}]"), max_size=5).map(".".join)
    known = st.sampled_from(["workflow.input", "workflow.output", "t1.output", "t1.input", "workflow.variables"])
    return st.one_of(
        st.builds(lambda k, p: "${" + k + ("." + p if p else "") + "}", known, path),
        st.builds(lambda a, b: a + "${" + b + "}", _EXPR_TEXT, _EXPR_TEXT),
        _EXPR_TEXT,
    )


_SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=10)
JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)
TEMPLATES = st.recursive(
    _expression() | _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _context(wf_input: Any, output: Any) -> ResolutionContext:
    workflow: Any = {
        "workflowId": "w",
        "input": wf_input,
        "output": {},
        "variables": {"v": output},
        "status": "RUNNING",
    }
    task: Any = {
        "referenceTaskName": "t1",
        "taskId": "t",
        "inputData": {"i": wf_input},
        "outputData": {"o": output},
        "status": "COMPLETED",
        "taskType": "SIMPLE",
    }
    return ResolutionContext(workflow, [task])


@CASES
@given(template=TEMPLATES, wf_input=st.dictionaries(_KEYS, JSON, max_size=4), output=JSON)
def test_resolution_is_total_deterministic_and_pure(template: Any, wf_input: Any, output: Any) -> None:
    before = copy.deepcopy(template), copy.deepcopy(wf_input), copy.deepcopy(output)
    first = resolve(template, _context(wf_input, output), task_id="tid")
    second = resolve(template, _context(wf_input, output), task_id="tid")
    assert first == second
    assert (template, wf_input, output) == before  # nothing it was given is changed


@CASES
@given(text=st.text(max_size=60).filter(lambda s: "${" not in s))
def test_text_without_expressions_is_kept(text: str) -> None:
    assert resolve(text, _context({}, {})) == text


@CASES
@given(doc=JSON, template=TEMPLATES)
def test_resolution_over_any_document(doc: Any, template: Any) -> None:
    ctx = ResolutionContext.from_document(doc if isinstance(doc, dict) else {"data": doc})
    assert resolve(template, ctx) == resolve(template, ctx)


def _definition_like(fields: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects that mostly have a definition's field names, with values of any JSON type."""
    return st.one_of(
        JSON, st.dictionaries(st.sampled_from(sorted(fields)), JSON | st.sampled_from(list(fields.values())))
    )


_TASK = {
    "name": "t",
    "taskReferenceName": "r",
    "type": "SIMPLE",
    "inputParameters": {"a": "${workflow.input.a}"},
    "decisionCases": {"x": []},
    "defaultCase": [],
    "forkTasks": [[]],
    "loopOver": [],
    "loopCondition": "true",
    "evaluatorType": "javascript",
    "expression": "1",
    "joinOn": ["r"],
    "subWorkflowParam": {"name": "s"},
    "dynamicForkTasksParam": "d",
    "startDelay": 1,
    "optional": True,
    "taskDefinition": {"name": "t"},
}
_TASKS_LIST = st.lists(st.one_of(_definition_like(_TASK), st.just(_TASK)), max_size=3)
_TYPES = st.sampled_from(
    [
        "SIMPLE",
        "SWITCH",
        "DECISION",
        "FORK_JOIN",
        "JOIN",
        "DO_WHILE",
        "SUB_WORKFLOW",
        "FORK_JOIN_DYNAMIC",
        "DYNAMIC",
        "HTTP",
        "INLINE",
        "WAIT",
        "TERMINATE",
        "EVENT",
        "JSON_JQ_TRANSFORM",
        "SET_VARIABLE",
        "HUMAN",
        "EXCLUSIVE_JOIN",
        "START_WORKFLOW",
        "KAFKA_PUBLISH",
        "x",
    ]
)
_WORKFLOW_TASK = st.fixed_dictionaries(
    {"name": st.just("t") | JSON, "taskReferenceName": st.sampled_from(["r", "s"]) | JSON, "type": _TYPES},
    optional={
        k: JSON | st.just(v) | _TASKS_LIST for k, v in _TASK.items() if k not in ("name", "taskReferenceName", "type")
    },
)
_WORKFLOW = st.fixed_dictionaries(
    {"name": st.just("w") | JSON, "tasks": st.lists(_WORKFLOW_TASK, max_size=4) | JSON},
    optional={
        "version": JSON,
        "schemaVersion": JSON,
        "outputParameters": JSON,
        "timeoutSeconds": JSON,
        "timeoutPolicy": JSON,
        "failureWorkflow": JSON,
        "inputParameters": JSON,
        "variables": JSON,
    },
)


def _only_field_errors(errors: Any) -> bool:
    return isinstance(errors, list) and all(
        isinstance(e, FieldError) and isinstance(e.path, str) and isinstance(e.message, str) for e in errors
    )


@CASES
@given(wd=_WORKFLOW | JSON)
def test_workflow_validation_never_raises(wd: Any) -> None:
    assert _only_field_errors(validate_workflow_def(wd) if isinstance(wd, dict) else [])
    if isinstance(wd, dict):
        assert _only_field_errors(validate_workflow_def(wd, check_names=False, require_join_after_fork=False))


@CASES
@given(
    td=_definition_like(
        {
            "name": "t",
            "retryCount": 1,
            "timeoutSeconds": 10,
            "responseTimeoutSeconds": 5,
            "totalTimeoutSeconds": 20,
            "timeoutPolicy": "RETRY",
            "retryLogic": "FIXED",
            "inputKeys": ["a"],
            "rateLimitPerFrequency": 1,
            "backoffScaleFactor": 2,
        }
    )
)
def test_task_def_validation_never_raises(td: Any) -> None:
    assert _only_field_errors(validate_task_def(td))


_ACTION = st.fixed_dictionaries(
    {"action": st.sampled_from(["start_workflow", "complete_task", "fail_task", "terminate_workflow"]) | JSON},
    optional={"start_workflow": JSON, "complete_task": JSON, "fail_task": JSON, "expandInlineJSON": JSON},
)
_HANDLER = st.fixed_dictionaries(
    {"name": st.just("h") | JSON, "event": st.just("conductor:x") | JSON, "actions": st.lists(_ACTION) | JSON},
    optional={"condition": JSON | st.just("true"), "active": JSON, "evaluatorType": JSON | st.just("javascript")},
)


@CASES
@given(eh=_HANDLER | JSON)
def test_event_handler_validation_never_raises(eh: Any) -> None:
    assert _only_field_errors(validate_event_handler(eh))
