"""Definition-time limits (issue #12): names, task count, nesting, expression length, integer range."""

from __future__ import annotations

from typing import Any

import pytest

from podium.domain.limits import Limits
from podium.domain.validation import validate_task_def, validate_workflow_def
from podium.domain.validation_limits import too_deep

LIMITS = Limits(definition_tasks=5, json_depth=8, expression_length=40, name_length=20)


def wd(*tasks: dict[str, Any], name: str = "wf") -> dict[str, Any]:
    return {"name": name, "version": 1, "tasks": list(tasks)}


def simple(ref: str, name: str = "work", **extra: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref, "type": "SIMPLE", **extra}


def messages(errors: list[Any]) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in errors]


def test_a_well_behaved_definition_passes_under_low_limits() -> None:
    assert validate_workflow_def(wd(simple("a", inputParameters={"x": "${workflow.input.x}"})), limits=LIMITS) == []
    assert validate_task_def({"name": "orders.v2", "retryCount": 3}, LIMITS) == []


def test_tasks_are_counted_nested_ones_included() -> None:
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [[simple("a")], [simple("b")], [simple("c")]],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a", "b", "c"]}
    assert validate_workflow_def(wd(fork, join), limits=Limits(definition_tasks=5)) == []
    errors = validate_workflow_def(wd(fork, join, simple("d")), limits=Limits(definition_tasks=5))
    assert messages(errors) == [
        (
            "tasks",
            "The definition has 6 tasks (nested ones included), over the limit of 5 (PODIUM_LIMIT_DEFINITION_TASKS)",
        )
    ]


def test_inline_sub_workflow_tasks_count_towards_the_limit() -> None:
    inline = wd(simple("x"), simple("y"), simple("z"), name="child")
    sub = {
        "name": "s",
        "taskReferenceName": "s",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"workflowDefinition": inline},
    }
    assert validate_workflow_def(wd(sub), limits=Limits(definition_tasks=4)) == []
    errors = validate_workflow_def(wd(sub, simple("w")), limits=Limits(definition_tasks=4))
    assert [e.path for e in errors] == ["tasks"]


def test_deep_input_parameters_are_refused_with_their_path() -> None:
    deep: Any = "x"
    for _ in range(10):
        deep = {"a": deep}
    errors = validate_workflow_def(wd(simple("t", inputParameters={"d": deep})), limits=LIMITS)
    assert len(errors) == 1
    assert errors[0].path.startswith("tasks[0].inputParameters.d.a")
    assert errors[0].message == "JSON nested deeper than 8 levels (PODIUM_LIMIT_JSON_DEPTH)"


@pytest.mark.parametrize(
    ("where", "task"),
    [
        ("tasks[0].inputParameters.x", simple("t", inputParameters={"x": "${workflow.input.a}" + " " * 40})),
        (
            "tasks[0].inputParameters.expression",
            {
                "name": "i",
                "taskReferenceName": "t",
                "type": "INLINE",
                "inputParameters": {"evaluatorType": "graaljs", "expression": "1;" * 30},
            },
        ),
        (
            "tasks[0].loopCondition",
            {
                "name": "l",
                "taskReferenceName": "t",
                "type": "DO_WHILE",
                "loopCondition": "true " * 10,
                "loopOver": [simple("b")],
            },
        ),
    ],
)
def test_long_expressions_and_scripts_are_refused(where: str, task: dict[str, Any]) -> None:
    errors = validate_workflow_def(wd(task), limits=LIMITS)
    assert [e.path for e in errors] == [where]
    assert "over the limit of 40 (PODIUM_LIMIT_EXPRESSION_LENGTH)" in errors[0].message


def test_long_plain_strings_are_data_not_expressions() -> None:
    assert validate_workflow_def(wd(simple("t", inputParameters={"text": "x" * 100})), limits=LIMITS) == []


@pytest.mark.parametrize("value", [2**63, 2**64, 1.2e21])
def test_integers_beyond_a_java_long_are_refused_in_task_definitions(value: Any) -> None:
    errors = validate_task_def({"name": "t", "responseTimeoutSeconds": value, "timeoutSeconds": 0})
    assert messages(errors) == [
        ("responseTimeoutSeconds", "TaskDef 't': 'responseTimeoutSeconds' is out of range of a 64-bit integer (long)")
    ]


def test_the_largest_long_is_accepted() -> None:
    assert validate_task_def({"name": "t", "totalTimeoutSeconds": 2**63 - 1}) == []


def test_integers_beyond_a_long_are_refused_in_workflow_definitions() -> None:
    bad = {**wd(simple("t", startDelay=2**63)), "timeoutSeconds": 2**64, "failureWorkflowVersion": -(2**63) - 1}
    errors = validate_workflow_def(bad)
    assert sorted(e.path for e in errors) == ["failureWorkflowVersion", "tasks[0].startDelay", "timeoutSeconds"]


@pytest.mark.parametrize("name", ["a/b", "a:b", "a@b", "a?b", "tab\there", "new\nline"])
def test_task_types_that_could_not_be_polled_or_deleted_are_refused(name: str) -> None:
    errors = validate_task_def({"name": name})
    assert [e.path for e in errors] == ["name"]
    assert "may only contain letters, digits, spaces and _ - . < > { } #" in errors[0].message
    errors = validate_workflow_def(wd(simple("t", name=name)))
    assert [e.path for e in errors] == ["tasks[0].name"]


@pytest.mark.parametrize("name", ["orders.v2", "send-email", "my_task", "Task 1", "ÉCOLE_2", "<x>{y}#z"])
def test_usual_task_type_names_stay_valid(name: str) -> None:
    assert validate_task_def({"name": name}) == []
    assert validate_workflow_def(wd(simple("t", name=name))) == []


def test_system_task_names_are_free_text_but_not_too_long() -> None:
    http = {"name": "call a/b:c", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "http://x"}}
    assert validate_workflow_def(wd(http), limits=LIMITS) == []
    http["name"] = "h" * 21
    assert [e.path for e in validate_workflow_def(wd(http), limits=LIMITS)] == ["tasks[0].name"]


def test_names_longer_than_the_limit_are_refused() -> None:
    errors = validate_task_def({"name": "t" * 21}, LIMITS)
    assert (
        messages(errors)[0][1]
        == "TaskDef '" + "t" * 21 + "': name is 21 characters long, over the limit of 20 (PODIUM_LIMIT_NAME_LENGTH)"
    )
    errors = validate_workflow_def(wd(simple("t"), name="w" * 21), limits=LIMITS)
    assert [e.path for e in errors] == ["name"]


def test_depth_is_measured_without_recursion() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep(deep, 64) is not None
    assert too_deep({"a": [1, {"b": 2}]}, 3) is None
    assert too_deep({"a": [1, {"b": {}}]}, 3) == ["a", "[1]", "b"]
