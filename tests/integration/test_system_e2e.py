"""System tasks end to end through a real server process: compute tasks, WAIT/HUMAN, SUB_WORKFLOW,
START_WORKFLOW and HTTP (with the system-task runner, the host allow list and a restart)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apikit import start, workflow
from localhttp import LocalHttp, local_http

from conftest import ServerProcess, wait_until


def register(api: httpx.Client, name: str, tasks: list[dict[str, Any]], **extra: Any) -> str:
    r = api.post(
        "/metadata/workflow",
        json={"name": name, "version": 1, "tasks": tasks, "timeoutSeconds": 0, **extra},
        params={"overwrite": "true"},
    )
    assert r.status_code == 200, r.text
    return name


def by_ref(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["referenceTaskName"]: t for t in wf["tasks"]}


def ends(api: httpx.Client, wid: str, timeout: float = 15.0) -> dict[str, Any]:
    wait_until(
        lambda: workflow(api, wid)["status"] not in ("RUNNING", "PAUSED"),
        timeout=timeout,
        what=f"workflow {wid} to end",
    )
    return workflow(api, wid)


def node(ref: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": type_, **extra}


def update(api: httpx.Client, task: dict[str, Any], status: str = "COMPLETED", **output: Any) -> None:
    body = {
        "workflowInstanceId": task["workflowInstanceId"],
        "taskId": task["taskId"],
        "status": status,
        "outputData": output,
    }
    r = api.post("/tasks", json=body)
    assert r.status_code == 200, r.text


# -- compute tasks ----------------------------------------------------------------------------------
def test_compute_tasks_run_inside_the_start_request(api: httpx.Client, uniq: str) -> None:
    name = register(
        api,
        f"compute_{uniq}",
        [
            node("sv", "SET_VARIABLE", inputParameters={"total": "${workflow.input.n}"}),
            node(
                "js",
                "INLINE",
                inputParameters={
                    "evaluatorType": "javascript",
                    "n": "${workflow.variables.total}",
                    "expression": "console.log('n is', $.n); ({double: $.n * 2})",
                },
            ),
            node(
                "jq",
                "JSON_JQ_TRANSFORM",
                inputParameters={"queryExpression": ".v.double + 1", "v": "${js.output.result}"},
            ),
            node("nop", "NOOP"),
        ],
        outputParameters={"r": "${jq.output.result}", "vars": "${workflow.variables}"},
    )
    wid = start(api, name, n=20)
    wf = workflow(api, wid)  # no worker, no sweeper needed: all done in the start transaction
    assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
    assert wf["output"] == {"r": 41, "vars": {"total": 20}}
    tasks = by_ref(wf)
    assert tasks["js"]["outputData"] == {"result": {"double": 40}}
    assert [t["taskType"] for t in wf["tasks"]] == ["SET_VARIABLE", "INLINE", "JSON_JQ_TRANSFORM", "NOOP"]
    logs = api.get(f"/tasks/{tasks['js']['taskId']}/log").json()
    assert [lg["log"] for lg in logs] == ["n is 20"]


def test_inline_script_error_fails_the_workflow_with_the_message(api: httpx.Client, uniq: str) -> None:
    name = register(
        api,
        f"inline_err_{uniq}",
        [node("js", "INLINE", inputParameters={"evaluatorType": "javascript", "expression": "null.x"})],
    )
    wf = workflow(api, start(api, name))
    js = by_ref(wf)["js"]
    assert wf["status"] == "FAILED" and js["status"] == "FAILED"
    assert js["outputData"]["error"].startswith("TypeError")
    assert js["reasonForIncompletion"] == js["outputData"]["error"]


# -- waiting ------------------------------------------------------------------------------------------
def test_timed_wait_completes_by_itself(api: httpx.Client, uniq: str) -> None:
    name = register(api, f"wait_{uniq}", [node("w", "WAIT", inputParameters={"duration": "1 second"})])
    wid = start(api, name)
    assert by_ref(workflow(api, wid))["w"]["status"] == "IN_PROGRESS"
    wf = ends(api, wid)
    w = by_ref(wf)["w"]
    assert wf["status"] == "COMPLETED" and w["status"] == "COMPLETED"
    assert w["endTime"] - w["startTime"] >= 1000


def test_open_wait_and_human_complete_through_the_task_apis(api: httpx.Client, uniq: str) -> None:
    name = register(api, f"human_{uniq}", [node("w", "WAIT"), node("h", "HUMAN"), node("n", "NOOP")])
    wid = start(api, name)
    update(api, by_ref(workflow(api, wid))["w"], approved=True)
    wf = workflow(api, wid)
    assert by_ref(wf)["w"]["status"] == "COMPLETED" and by_ref(wf)["w"]["outputData"] == {"approved": True}
    h = by_ref(wf)["h"]
    assert h["status"] == "IN_PROGRESS"
    update(api, h, "IN_PROGRESS", note="still thinking")
    assert by_ref(workflow(api, wid))["h"]["status"] == "IN_PROGRESS"
    r = api.post(f"/tasks/{wid}/h/COMPLETED", json={"ok": 1})
    assert r.status_code == 200, r.text
    wf = workflow(api, wid)
    assert wf["status"] == "COMPLETED" and by_ref(wf)["h"]["outputData"] == {"ok": 1}


def test_wait_with_an_unparsable_date_fails_terminally(api: httpx.Client, uniq: str) -> None:
    name = register(api, f"wait_bad_{uniq}", [node("w", "WAIT", inputParameters={"until": "${workflow.input.u}"})])
    wf = workflow(api, start(api, name, u="next tuesday"))
    assert wf["status"] == "FAILED" and by_ref(wf)["w"]["status"] == "FAILED_WITH_TERMINAL_ERROR"


# -- composition -----------------------------------------------------------------------------------------
def test_sub_workflow_runs_the_child_and_merges_its_output(api: httpx.Client, uniq: str) -> None:
    child = register(api, f"child_{uniq}", [node("cw", "WAIT")], outputParameters={"got": "${cw.output.v}"})
    parent = register(
        api,
        f"parent_{uniq}",
        [
            node("sub", "SUB_WORKFLOW", subWorkflowParam={"name": child}, inputParameters={"x": "${workflow.input.x}"}),
            node("after", "INLINE", inputParameters={"expression": "$.g", "g": "${sub.output.got}"}),
        ],
    )
    wid = start(api, parent, x=3)
    sub = by_ref(workflow(api, wid))["sub"]
    assert sub["status"] == "IN_PROGRESS" and sub["inputData"]["subWorkflowName"] == child
    assert sub["inputData"]["workflowInput"] == {"x": 3}
    kid = workflow(api, sub["subWorkflowId"])
    assert kid["parentWorkflowId"] == wid and kid["input"] == {"x": 3}
    update(api, by_ref(kid)["cw"], v="hello")
    wf = ends(api, wid)
    assert wf["status"] == "COMPLETED"
    tasks = by_ref(wf)
    assert tasks["sub"]["outputData"]["got"] == "hello" and tasks["after"]["outputData"] == {"result": "hello"}


def test_failed_child_fails_the_sub_workflow_task(api: httpx.Client, uniq: str) -> None:
    child = register(api, f"child_f_{uniq}", [node("cw", "WAIT")])
    parent = register(api, f"parent_f_{uniq}", [node("sub", "SUB_WORKFLOW", subWorkflowParam={"name": child})])
    wid = start(api, parent)
    kid_id = by_ref(workflow(api, wid))["sub"]["subWorkflowId"]
    update(api, by_ref(workflow(api, kid_id))["cw"], "FAILED")
    wf = ends(api, wid)
    sub = by_ref(wf)["sub"]
    assert wf["status"] == "FAILED" and sub["status"] == "FAILED"
    assert sub["reasonForIncompletion"].startswith(f"Sub workflow {child}.1/{kid_id} failure reason:")


def test_terminating_the_parent_terminates_the_child(api: httpx.Client, uniq: str) -> None:
    child = register(api, f"child_t_{uniq}", [node("cw", "WAIT")])
    parent = register(api, f"parent_t_{uniq}", [node("sub", "SUB_WORKFLOW", subWorkflowParam={"name": child})])
    wid = start(api, parent)
    kid_id = by_ref(workflow(api, wid))["sub"]["subWorkflowId"]
    assert api.delete(f"/workflow/{wid}", params={"reason": "stop"}).status_code == 200
    assert by_ref(workflow(api, wid))["sub"]["status"] == "CANCELED"
    assert workflow(api, kid_id)["status"] == "TERMINATED"


def test_start_workflow_launches_an_independent_run(api: httpx.Client, uniq: str) -> None:
    other = register(api, f"other_{uniq}", [node("ow", "WAIT")])
    name = register(
        api,
        f"starter_{uniq}",
        [
            node(
                "sw",
                "START_WORKFLOW",
                inputParameters={"startWorkflow": {"name": other, "input": {"k": "${workflow.input.k}"}}},
            )
        ],
    )
    wf = workflow(api, start(api, name, k=1))
    assert wf["status"] == "COMPLETED"
    started = workflow(api, by_ref(wf)["sw"]["outputData"]["workflowId"])
    assert started["input"] == {"k": 1} and "parentWorkflowId" not in started


def test_kafka_publish_is_reported_unavailable(api: httpx.Client, uniq: str) -> None:
    name = register(
        api,
        f"kafka_{uniq}",
        [
            node(
                "k",
                "KAFKA_PUBLISH",
                inputParameters={"kafka_request": {"topic": "t", "value": "v", "bootStrapServers": "localhost:9092"}},
            )
        ],
    )
    k = by_ref(workflow(api, start(api, name)))["k"]
    assert k["status"] == "FAILED" and k["reasonForIncompletion"] == "KAFKA_PUBLISH is not available on this server"


# -- HTTP ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web() -> Iterator[LocalHttp]:
    with local_http() as srv:
        yield srv


def http_task(ref: str, uri: str, **req: Any) -> dict[str, Any]:
    return node(ref, "HTTP", inputParameters={"http_request": {"uri": uri, "method": "GET", **req}})


def test_http_to_loopback_is_denied_by_default(api: httpx.Client, uniq: str, web: LocalHttp) -> None:
    name = register(api, f"http_denied_{uniq}", [http_task("h", f"{web.url}/json")])
    wf = ends(api, start(api, name))
    h = by_ref(wf)["h"]
    assert wf["status"] == "FAILED" and h["status"] == "FAILED"
    assert h["reasonForIncompletion"].startswith("Failed to invoke HTTP task due to: ")
    assert "PODIUM_HTTP_ALLOW" in h["reasonForIncompletion"]


@pytest.fixture()
def allowed(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "http.db", env={"PODIUM_HTTP_ALLOW": "127.0.0.1"}).start()
    yield srv
    srv.stop()


def test_http_task_runs_off_the_request_path(allowed: ServerProcess, web: LocalHttp) -> None:
    with httpx.Client(base_url=allowed.url + "/api", timeout=30) as api:
        name = register(
            api,
            "http_ok",
            [
                http_task("h", f"{web.url}/echo", method="POST", body={"n": "${workflow.input.n}"}),
                node("after", "INLINE", inputParameters={"expression": "$.b.body", "b": "${h.output.response.body}"}),
            ],
        )
        wf = ends(api, start(api, name, n=5))
        assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
        resp = by_ref(wf)["h"]["outputData"]["response"]
        assert resp["statusCode"] == 201 and resp["body"]["body"] == '{"n":5}'
        assert by_ref(wf)["after"]["outputData"] == {"result": '{"n":5}'}


def test_http_failure_is_retried_per_task_def(allowed: ServerProcess, web: LocalHttp) -> None:
    with httpx.Client(base_url=allowed.url + "/api", timeout=30) as api:
        r = api.post(
            "/metadata/taskdefs",
            json=[
                {
                    "name": "flaky",
                    "retryCount": 1,
                    "retryDelaySeconds": 0,
                    "timeoutSeconds": 0,
                    "responseTimeoutSeconds": 5,
                }
            ],
        )
        assert r.status_code == 200, r.text
        name = register(api, "http_retry", [{**http_task("h", f"{web.url}/status/500"), "name": "flaky"}])
        wf = ends(api, start(api, name))
        attempts = [t for t in wf["tasks"] if t["referenceTaskName"] == "h"]
        assert wf["status"] == "FAILED" and [t["status"] for t in attempts] == ["FAILED", "FAILED"]
        assert attempts[1]["retryCount"] == 1


def test_in_flight_http_task_resumes_after_a_crash(allowed: ServerProcess, web: LocalHttp) -> None:
    web.release.clear()
    seen = len([r for r in web.requests if r["path"] == "/slow"])
    with httpx.Client(base_url=allowed.url + "/api", timeout=30) as api:
        name = register(api, "http_slow", [http_task("h", f"{web.url}/slow", readTimeOut=20_000)])
        wid = start(api, name)
        wait_until(lambda: len([r for r in web.requests if r["path"] == "/slow"]) > seen, what="the call to start")
    allowed.kill()
    again = ServerProcess(allowed.db_path, env={"PODIUM_HTTP_ALLOW": "127.0.0.1"}).start()
    try:
        wait_until(
            lambda: len([r for r in web.requests if r["path"] == "/slow"]) > seen + 1,
            what="the restarted server to call again",
        )
        web.release.set()
        with httpx.Client(base_url=again.url + "/api", timeout=30) as api:
            wf = ends(api, wid)
            assert wf["status"] == "COMPLETED" and by_ref(wf)["h"]["outputData"]["response"]["body"] == "late"
    finally:
        web.release.set()
        again.stop()
