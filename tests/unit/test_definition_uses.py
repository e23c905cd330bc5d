"""Which workflow definitions use a task definition or a workflow definition version (domain/definition_uses.py)."""

from __future__ import annotations

from typing import Any

from podium.domain.definition_uses import in_use_message, task_def_users, workflow_def_users


def simple(name: str) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": name, "type": "SIMPLE"}


def sub(name: str, version: int | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name} | ({"version": version} if version is not None else {})
    return {"name": "s", "taskReferenceName": "s", "type": "SUB_WORKFLOW", "subWorkflowParam": param}


def wf(name: str, tasks: list[dict[str, Any]], version: int = 1) -> Any:
    return {"name": name, "version": version, "tasks": tasks}


def test_task_users_are_found_at_any_depth() -> None:
    fork = {"type": "FORK_JOIN", "name": "f", "forkTasks": [[simple("a")], [simple("b")]]}
    switch = {"type": "SWITCH", "name": "sw", "decisionCases": {"x": [simple("c")]}, "defaultCase": [simple("d")]}
    loop = {
        "type": "DO_WHILE",
        "name": "l",
        "loopOver": [{"type": "FORK_JOIN", "name": "g", "forkTasks": [[simple("e")]]}],
    }
    defs = [wf("one", [fork]), wf("two", [switch, loop]), wf("three", [simple("z")], version=4)]
    assert task_def_users("b", defs) == ["one v1"]
    assert task_def_users("c", defs) == ["two v1"] and task_def_users("d", defs) == ["two v1"]
    assert task_def_users("e", defs) == ["two v1"]
    assert task_def_users("z", defs) == ["three v4"]
    assert task_def_users("nobody", defs) == []
    assert task_def_users("x", [wf("bad", "not a list"), {"name": "odd", "tasks": [None, 3]}]) == []


def test_a_sub_workflow_without_version_depends_only_on_the_last_version() -> None:
    defs = [wf("kid", [], 1), wf("kid", [], 2), wf("pinned", [sub("kid", 1)]), wf("latest", [sub("kid")])]
    assert workflow_def_users("kid", 1, defs) == ["pinned v1"]
    assert workflow_def_users("kid", 2, defs) == []
    alone = [wf("kid", [], 2), wf("latest", [sub("kid")])]
    assert workflow_def_users("kid", 2, alone) == ["latest v1"]
    assert workflow_def_users("kid", 1, [wf("kid", [sub("kid", 1)], 1)]) == []  # itself does not count


def test_the_message_names_a_few_users() -> None:
    assert in_use_message("Task definition t", ["a v1"]) == (
        "Task definition t is in use by workflow definition a v1; delete or change those first"
    )
    many = in_use_message("X", [f"w{i} v1" for i in range(8)])
    assert "workflow definitions w0 v1, w1 v1, w2 v1, w3 v1, w4 v1 and 3 more;" in many
