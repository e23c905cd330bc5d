"""The CLI's own definition checks (`podium metadata validate` warnings), table-driven, no server."""

from __future__ import annotations

import pytest

from podium.cli.metadata_checks import (
    kind_of,
    unclosed_expressions,
    unknown_types,
    unserved_tasks,
    walk_tasks,
    worker_task_names,
)


@pytest.mark.parametrize(
    ("text", "unclosed"),
    [
        ("${workflow.input.x}", False),
        ("plain text", False),
        ("${workflow.input.x", True),
        ("a ${x} then ${y", True),
        ("${a.${b.c}}", False),
        ("${a.${b.c}", True),
        ("$${not an expression", False),  # the escape for a literal ${
        ("{ ${x} }", False),
        ("}${x", True),
        ("${" * 5000 + "}" * 4999, True),  # one pass, however many
    ],
)
def test_unclosed_expressions(text: str, unclosed: bool) -> None:
    found = unclosed_expressions({"inputParameters": {"v": [text]}}, "")
    assert bool(found) is unclosed
    if unclosed:
        assert found[0].path == "inputParameters.v[0]"


NESTED = {
    "name": "w",
    "tasks": [
        {"name": "a", "taskReferenceName": "a"},
        {"name": "sw", "taskReferenceName": "sw", "type": "SWITCH",
         "decisionCases": {"x": [{"name": "b", "taskReferenceName": "b", "type": "SIMPLE"}]},
         "defaultCase": [{"name": "c", "taskReferenceName": "c", "type": "SWICH"}]},
        {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN",
         "forkTasks": [[{"name": "d", "taskReferenceName": "d"}], [{"name": "e", "taskReferenceName": "e"}]]},
        {"name": "j", "taskReferenceName": "j", "type": "JOIN"},
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
         "loopOver": [{"name": "g", "taskReferenceName": "g", "type": "HTTP"}]},
    ],
}  # fmt: skip


def test_walk_reaches_every_nested_task() -> None:
    paths = [p for p, _ in walk_tasks(NESTED["tasks"], "tasks")]
    assert paths == [
        "tasks[0]", "tasks[1]", "tasks[1].decisionCases.x[0]", "tasks[1].defaultCase[0]", "tasks[2]",
        "tasks[2].forkTasks[0][0]", "tasks[2].forkTasks[1][0]", "tasks[3]", "tasks[4]", "tasks[4].loopOver[0]",
    ]  # fmt: skip
    assert worker_task_names(NESTED) == {"a", "b", "d", "e"}


def test_unknown_types_with_a_suggestion() -> None:
    (finding,) = unknown_types(NESTED)
    assert finding.path == "tasks[1].defaultCase[0].type" and "did you mean SWITCH?" in finding.message
    assert unknown_types({"tasks": [{"name": "x", "taskReferenceName": "x", "type": "ZZZZZZ"}]})[0].message.endswith(
        "it would wait for a worker"
    )


def test_unserved_worker_tasks() -> None:
    found = unserved_tasks(NESTED, defined={"a"}, polled={"d"})
    assert [f.path for f in found] == ["tasks[1].decisionCases.x[0].name", "tasks[2].forkTasks[1][0].name"]


@pytest.mark.parametrize(
    ("doc", "kind"),
    [({"name": "w", "tasks": []}, "workflow"), ({"name": "t"}, "task"), ({"tasks": "no"}, "unknown"), (3, "unknown")],
)
def test_kind_of(doc: object, kind: str) -> None:
    assert kind_of(doc) == kind
