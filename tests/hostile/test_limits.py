"""Structural limits under attack (issue #12): endless loops, wide forks, unclosed ``${``, big
outputs, deep nesting. Each attack fails with a clear reason while /health stays fast and a normal
workflow runs on time beside it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from conftest import ServerProcess
from hostile.harness import (
    HOSTILE_ENV,
    HealthProbe,
    assert_normal_on_time,
    ended,
    inline,
    register,
    serve,
    start,
    task_of,
    wait_for,
)

MIB = 2**20
LIMITS_ENV = {
    **HOSTILE_ENV,
    "PODIUM_LIMIT_LOOP_ITERATIONS": "600",
    "PODIUM_LIMIT_TASK_OUTPUT_BYTES": str(3 * MIB),
    "PODIUM_LIMIT_WORKFLOW_TOTAL_BYTES": str(16 * MIB),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from serve(tmp_path_factory, "limits", LIMITS_ENV)


@pytest.fixture()
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/api", timeout=60) as c:
        yield c


def poll_one(api: httpx.Client, task_type: str) -> dict[str, Any]:
    def polled() -> dict[str, Any] | None:
        r = api.get(f"/tasks/poll/{task_type}")
        return r.json() if r.status_code == 200 and r.content else None

    task: dict[str, Any] = wait_for(polled, 10, f"a {task_type} task")
    return task


def test_an_endless_do_while_fails_at_the_iteration_limit(server: ServerProcess, api: httpx.Client) -> None:
    body = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"n": 1}}
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "true",
        "loopOver": [body],
    }
    register(api, "hostile_endless_loop", loop)
    with HealthProbe(server.url):
        wid = start(api, "hostile_endless_loop")
        assert_normal_on_time(api)
        wf = ended(api, wid)
    assert wf["status"] == "FAILED"
    rec = task_of(wf, "loop")
    assert rec["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert rec["reasonForIncompletion"] == (
        "DO_WHILE 'loop' reached the limit of 600 iterations (PODIUM_LIMIT_LOOP_ITERATIONS)"
    )
    assert sum(1 for t in wf["tasks"] if t["referenceTaskName"].startswith("sv__")) == 600


def test_a_too_wide_dynamic_fork_fails_its_fork_task(server: ServerProcess, api: httpx.Client) -> None:
    fork = {
        "name": "df",
        "taskReferenceName": "df",
        "type": "FORK_JOIN_DYNAMIC",
        "inputParameters": {"forkTaskName": "never_polled", "forkTaskInputs": "${workflow.input.items}"},
    }
    register(api, "hostile_wide_fork", fork, {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"})
    with HealthProbe(server.url):
        wid = start(api, "hostile_wide_fork", {"items": list(range(20_000))})
        wf = ended(api, wid)
        assert_normal_on_time(api)
    assert wf["status"] == "FAILED"
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["df"]
    assert task_of(wf, "df")["reasonForIncompletion"] == (
        "Dynamic fork of 20000 tasks is over the limit of 1000 (PODIUM_LIMIT_FORK_WIDTH)"
    )


def test_unclosed_expressions_are_refused_over_the_length_limit_and_cheap_under_it(
    server: ServerProcess, api: httpx.Client
) -> None:
    sv = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE"}
    body = {
        "name": "hostile_unclosed",
        "version": 1,
        "ownerEmail": "suite@example.com",
        "tasks": [{**sv, "inputParameters": {"s": "${" * 10_000}}],
    }
    r = api.put("/metadata/workflow", json=[body])
    assert r.status_code == 400, r.text
    [error] = r.json()["validationErrors"]
    assert error["path"] == "[0].tasks[0].inputParameters.s" or error["path"].endswith("tasks[0].inputParameters.s")
    assert "PODIUM_LIMIT_EXPRESSION_LENGTH" in error["message"]

    # Just under the limit, and at run time through a dynamic fork's task list: parsed in linear time.
    text = "${" * 8_000
    fork = {
        "name": "df",
        "taskReferenceName": "df",
        "type": "FORK_JOIN_DYNAMIC",
        "dynamicForkTasksParam": "tasks",
        "dynamicForkTasksInputParamName": "inputs",
        "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"},
    }
    register(
        api,
        "hostile_unclosed",
        {**sv, "inputParameters": {"s": text}},
        fork,
        {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"},
    )
    forked = [{**sv, "taskReferenceName": f"f{i}", "inputParameters": {"s": text + str(i)}} for i in range(5)]
    with HealthProbe(server.url):
        wid = start(api, "hostile_unclosed", {"tasks": forked, "inputs": {}})
        wf = ended(api, wid)
        assert_normal_on_time(api)
    assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
    assert task_of(wf, "f3")["inputData"]["s"] == text + "3"


def test_a_fork_of_big_inline_outputs_fails_the_workflow_at_the_total_limit(
    server: ServerProcess, api: httpx.Client
) -> None:
    branches = [[inline(f"big{i}", "'x'.repeat(2 * 1024 * 1024)")] for i in range(100)]
    fork = {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": branches}
    register(api, "hostile_big_outputs", fork, {"name": "join", "taskReferenceName": "join", "type": "JOIN"})
    with HealthProbe(server.url):
        wid = start(api, "hostile_big_outputs")
        wf = ended(api, wid, timeout=60)
    assert wf["status"] == "FAILED"
    assert wf["reasonForIncompletion"].startswith("The task inputs and outputs of this workflow reached ")
    assert wf["reasonForIncompletion"].endswith(
        "over the permissible limit: 16777216 bytes (PODIUM_LIMIT_WORKFLOW_TOTAL_BYTES)"
    )
    stored = sum(len(orjson.dumps(t.get("outputData") or {})) for t in wf["tasks"])
    assert stored <= 16 * MIB + 3 * MIB
    assert_normal_on_time(api)


def test_a_worker_output_over_the_limit_fails_the_task_with_the_payload_reason(
    server: ServerProcess, api: httpx.Client
) -> None:
    register(api, "hostile_big_worker", {"name": "big_worker", "taskReferenceName": "w", "type": "SIMPLE"})
    wid = start(api, "hostile_big_worker")
    task = poll_one(api, "big_worker")
    r = api.post(
        "/tasks",
        json={
            "taskId": task["taskId"],
            "workflowInstanceId": wid,
            "status": "COMPLETED",
            "outputData": {"blob": "x" * (4 * MIB)},
        },
    )
    assert r.status_code == 200, r.text
    wf = ended(api, wid)
    rec = task_of(wf, "w")
    assert rec["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert rec["outputData"] == {}
    assert rec["reasonForIncompletion"].startswith("The output payload size: 41943")
    assert (
        "greater than the permissible limit: 3145728 bytes (PODIUM_LIMIT_TASK_OUTPUT_BYTES)"
        in rec["reasonForIncompletion"]
    )
    assert wf["status"] == "FAILED"


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def test_deep_input_and_output_are_refused_at_the_door(server: ServerProcess, api: httpx.Client) -> None:
    register(
        api,
        "hostile_deep",
        {
            "name": "deep_worker",
            "taskReferenceName": "w",
            "type": "SIMPLE",
            "inputParameters": {"d": "${workflow.input.d}"},
        },
    )
    with HealthProbe(server.url) as probe:
        r = api.post("/workflow/hostile_deep", json={"d": deep(250)})
        assert r.status_code == 400, r.text
        [error] = r.json()["validationErrors"]
        assert error["path"].startswith("d.a.a.a")
        assert error["message"] == "JSON nested deeper than 64 levels (PODIUM_LIMIT_JSON_DEPTH)"
        r = api.post("/workflow", json={"name": "hostile_deep", "input": {"d": deep(250)}})
        assert r.status_code == 400 and r.json()["validationErrors"][0]["path"].startswith("input.d.a")

        wid = start(api, "hostile_deep", {"d": deep(3)})
        task = poll_one(api, "deep_worker")
        r = api.post(
            "/tasks",
            json={
                "taskId": task["taskId"],
                "workflowInstanceId": wid,
                "status": "COMPLETED",
                "outputData": {"o": deep(250)},
            },
        )
        assert r.status_code == 400 and r.json()["validationErrors"][0]["path"].startswith("outputData.o.a")
        assert api.get(f"/workflow/{wid}").json()["status"] == "RUNNING"  # nothing lost: it can still complete
        r = api.post(
            "/tasks",
            json={"taskId": task["taskId"], "workflowInstanceId": wid, "status": "COMPLETED", "outputData": {"o": 1}},
        )
        assert r.status_code == 200
        assert ended(api, wid)["status"] == "COMPLETED"
        assert_normal_on_time(api)
        wait_for(lambda: len(probe.waits) >= 3, 5, "a few health probes beside the attack")


def test_a_deep_document_already_stored_breaks_no_read(server: ServerProcess, api: httpx.Client) -> None:
    register(
        api,
        "hostile_stored_deep",
        {
            "name": "stored_deep_worker",
            "taskReferenceName": "w",
            "type": "SIMPLE",
            "inputParameters": {"d": "${workflow.input.d}"},
        },
    )
    wid = start(api, "hostile_stored_deep", {"d": 1})
    # As a server before the limit (or another writer) would have stored it: deeper than orjson writes.
    text = '{"a":' * 500 + '"x"' + "}" * 500
    with sqlite3.connect(server.db_path, timeout=30) as db:
        db.execute(
            "UPDATE workflows SET json = json_set(json, '$.input.d', json(?)) WHERE workflow_id = ?", (text, wid)
        )
        db.execute(
            "UPDATE tasks SET json = json_set(json, '$.inputData.d', json(?)) WHERE workflow_id = ?", (text, wid)
        )
    r = api.get(f"/workflow/{wid}")
    assert r.status_code == 200, r.text
    assert "nested too deep to show" in r.text
    assert api.get("/workflow/search-v2", params={"query": "workflowType = 'hostile_stored_deep'"}).status_code == 200
    assert api.get("/workflow/search-v2").status_code == 200
    r = api.get("/tasks/poll/stored_deep_worker")
    assert r.status_code == 200 and r.json()["workflowInstanceId"] == wid  # the task is handed out, not lost


def test_a_task_type_stored_with_a_slash_before_names_were_checked_can_be_read_and_deleted(
    server: ServerProcess, api: httpx.Client
) -> None:
    import sqlite3

    # Written straight into the store, as an older Podium let it in.
    legacy = {"name": "legacy/type", "retryCount": 0, "timeoutSeconds": 0, "responseTimeoutSeconds": 600}
    with sqlite3.connect(server.db_path) as db:
        db.execute("INSERT INTO task_defs (name, json) VALUES (?, ?)", ("legacy/type", orjson.dumps(legacy).decode()))
    assert api.get("/metadata/taskdefs/legacy/type").json()["name"] == "legacy/type"
    assert api.delete("/metadata/taskdefs/legacy/type").status_code == 200
    assert api.delete("/metadata/taskdefs/legacy/type").status_code == 404
