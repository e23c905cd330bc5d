"""Hostile user code: scripts and jq programs that never end, backtrack, or read the host.

Each attack runs on a real server (script limit 1 s, see ``HOSTILE_ENV``) while a /health probe
checks every 50 ms that the server still answers within 250 ms, and a normal workflow that uses
the evaluators itself must still finish on time beside it.
"""

from __future__ import annotations

from typing import Any

import httpx

from conftest import ServerProcess
from hostile.harness import HealthProbe, assert_normal_on_time, ended, inline, register, start, task_of, wait_for


def _run(api: httpx.Client, name: str, tasks: list[dict[str, Any]], inp: dict[str, Any] | None = None) -> str:
    register(api, name, *tasks)
    return start(api, name, inp)


def _jq(ref: str, query: str) -> dict[str, Any]:
    return {
        "name": ref,
        "taskReferenceName": ref,
        "type": "JSON_JQ_TRANSFORM",
        "inputParameters": {"queryExpression": query, "v": 1},
    }


def test_an_endless_script_fails_its_task_and_stalls_nobody(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_while_true", [inline("spin", "while (true) {}")])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    spin = task_of(wf, "spin")
    assert spin["status"] == "FAILED"
    assert "timed out after 1 seconds" in spin["reasonForIncompletion"]


def test_a_fork_of_endless_scripts_stalls_nobody(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    branches = [[inline(f"spin{i}", "for (;;) {}")] for i in range(4)]
    fork = {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": branches}
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": [f"spin{i}" for i in range(4)]}
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_fork_spin", [fork, join])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid, 20)
    assert wf["status"] == "FAILED"
    assert "timed out" in wf["reasonForIncompletion"]
    # The first to time out fails the workflow; the rest are canceled with it (Conductor's rule).
    spins = [task_of(wf, f"spin{i}") for i in range(4)]
    assert {t["status"] for t in spins} <= {"FAILED", "CANCELED"}, [t["status"] for t in spins]


def test_catastrophic_regex_in_javascript_is_killed(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_js_regex", [inline("re", "/(a+)+$/.test('a'.repeat(40) + '!')")])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    assert "timed out after 1 seconds" in task_of(wf, "re")["reasonForIncompletion"]


def test_endless_jq_recursion_is_killed(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    deep = "def f(n): if n == 0 then 0 else 1 + f(n-1) end; f(100000000)"
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_jq_deep", [_jq("jq", deep)])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    reason = task_of(wf, "jq")["reasonForIncompletion"]
    assert "timed out" in reason or "memory" in reason, reason


def test_catastrophic_regex_in_jq_is_killed(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_jq_regex", [_jq("jq", '("a" * 40 + "!") | test("(a+)+$")')])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    reason = task_of(wf, "jq")["reasonForIncompletion"]
    assert "timed out" in reason or "retry-limit-in-match" in reason, reason  # Oniguruma's own bound


def test_an_endless_switch_condition_fails_the_switch(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    switch = {
        "name": "sw",
        "taskReferenceName": "sw",
        "type": "SWITCH",
        "evaluatorType": "javascript",
        "expression": "while (true) {}",
        "decisionCases": {"a": [inline("never", "1")]},
        "defaultCase": [],
    }
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_switch_spin", [switch])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    assert "timed out" in task_of(wf, "sw")["reasonForIncompletion"]
    assert all(t["referenceTaskName"] != "never" for t in wf["tasks"])


def test_an_endless_loop_condition_fails_the_do_while(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "while (true) {}",
        "loopOver": [inline("body", "1")],
    }
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_loop_spin", [loop])
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    assert "timed out" in task_of(wf, "loop")["reasonForIncompletion"]


def test_scripts_and_jq_see_nothing_of_the_host(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    # The server process has PATH, HOME, ... and the suite's own variables; none may come back.
    tasks = [
        _jq("env1", "$ENV"),
        _jq("env2", "env"),
        inline("glob", "typeof process + ' ' + typeof require + ' ' + typeof std + ' ' + typeof os"),
    ]
    wid = _run(hapi, "hostile_env", tasks)
    wf = ended(hapi, wid)
    assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
    assert task_of(wf, "env1")["outputData"]["result"] == {}
    assert task_of(wf, "env2")["outputData"]["result"] == {}
    assert task_of(wf, "glob")["outputData"]["result"] == "undefined undefined undefined undefined"


def test_jq_cannot_read_files(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    wid = _run(hapi, "hostile_jq_import", [_jq("imp", 'import "/etc/passwd" as $p; $p')])
    wf = ended(hapi, wid)
    assert wf["status"] == "FAILED"
    assert "passwd" not in str(task_of(wf, "imp").get("outputData", {}).get("result"))


def test_a_script_that_eats_memory_fails_cleanly(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    with HealthProbe(hostile_server.url):
        wid = _run(
            hapi, "hostile_js_memory", [inline("eat", "let a = []; for (;;) a.push('x'.repeat(1e6) + a.length)")]
        )
        wf = ended(hapi, wid)
        assert_normal_on_time(hapi)
    assert wf["status"] == "FAILED"
    reason = task_of(wf, "eat")["reasonForIncompletion"]
    assert "memory" in reason or "timed out" in reason, reason


def test_catastrophic_regex_in_a_jsonpath_filter_is_cut_short(
    hostile_server: ServerProcess, hapi: httpx.Client
) -> None:
    pick = {
        "name": "pick",
        "taskReferenceName": "pick",
        "type": "SET_VARIABLE",
        "inputParameters": {
            "hits": '${workflow.input.items[?(@.name =~ "(a|aa)+$")]}',
            "fine": '${workflow.input.items[?(@.name =~ "^ok")]}',
        },
    }
    items = [{"name": "a" * 60 + "!"}] * 200 + [{"name": "ok"}]
    with HealthProbe(hostile_server.url):
        wid = _run(hapi, "hostile_jsonpath_regex", [pick], {"items": items})
        assert_normal_on_time(hapi)
        wf = ended(hapi, wid)
    assert wf["status"] == "COMPLETED"
    got = task_of(wf, "pick")["inputData"]
    assert got["hits"] is None  # past its budget the filter is a missing value, as any failed path
    assert got["fine"] == [{"name": "ok"}]


def test_an_endless_event_condition_holds_nothing_up(hostile_server: ServerProcess, hapi: httpx.Client) -> None:
    target = {"name": "hostile_event_target", "version": 1, "schemaVersion": 2, "ownerEmail": "a@b.c"}
    target["tasks"] = [inline("one", "1")]
    assert hapi.put("/metadata/workflow", json=[target]).status_code in (200, 204)
    event = "conductor:hostile_event_emit:ev"

    def handler(name: str, condition: str) -> dict[str, Any]:
        start = {"name": "hostile_event_target", "input": {"from": name}}
        action = {"action": "start_workflow", "start_workflow": start}
        return {"name": name, "event": event, "condition": condition, "actions": [action], "active": True}

    for h in (handler("hostile_spin_condition", "while (true) {}"), handler("hostile_true_condition", "true")):
        assert hapi.post("/event", json=h).status_code == 200, h
    emit = {"name": "ev", "taskReferenceName": "ev", "type": "EVENT", "sink": "conductor"}

    def started() -> list[dict[str, Any]]:
        query = {"query": "workflowType IN (hostile_event_target)", "size": 10}
        hits: list[dict[str, Any]] = hapi.get("/workflow/search", params=query).json()["results"]
        return hits

    with HealthProbe(hostile_server.url):
        _run(hapi, "hostile_event_emit", [emit])
        assert_normal_on_time(hapi)
        # Handlers of one message run in turn: the second starts its workflow once the first's
        # condition has been cut off at the script limit.
        hits = wait_for(started, 15, "the second handler's workflow")
    assert len(hits) == 1 and '"from":"hostile_true_condition"' in hits[0]["input"], hits  # summaries hold text


def test_a_workflow_test_request_with_endless_code_stalls_nobody(
    hostile_server: ServerProcess, hapi: httpx.Client
) -> None:
    definition = {
        "name": "hostile_workflow_test", "version": 1, "schemaVersion": 2, "ownerEmail": "a@b.c",
        "tasks": [_jq("jq", "def f: f; f"), inline("spin", "while (true) {}")],
    }  # fmt: skip
    with HealthProbe(hostile_server.url):
        r = hapi.post("/workflow/test", json={"name": "hostile_workflow_test", "workflowDef": definition})
        assert_normal_on_time(hapi)
    assert r.status_code == 200, r.text
    wf = r.json()
    assert wf["status"] == "FAILED"  # jq, which no interrupt reaches, was killed in its evaluator process
    assert "timed out after 1 seconds" in task_of(wf, "jq")["reasonForIncompletion"]
