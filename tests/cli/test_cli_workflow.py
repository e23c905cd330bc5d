"""`podium workflow ...` against a live server: table and JSON output, exit codes of the outcome."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from clikit import Podium, ending_flow, simple_flow, taskdef, write_json

from conftest import ServerProcess, wait_until


@pytest.fixture()
def podium(server: ServerProcess, tmp_path: Path) -> Podium:
    return Podium(server.url, tmp_path / "config.toml")


def _register(podium: Podium, tmp_path: Path, *docs: dict[str, object]) -> None:
    podium.ok("metadata", "register", write_json(tmp_path / "defs.json", list(docs)))


def _complete(api: httpx.Client, task_type: str, output: dict[str, object]) -> str:
    """Poll one task of a type (waiting for it) and complete it; its id."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = api.get(f"/tasks/poll/batch/{task_type}", params={"timeout": 500, "workerid": "test"}).json()
        if got:
            t = got[0]
            body = {"workflowInstanceId": t["workflowInstanceId"], "taskId": t["taskId"], "status": "COMPLETED",
                    "outputData": output}  # fmt: skip
            assert api.post("/tasks", json=body).status_code == 200
            return str(t["taskId"])
    raise AssertionError(f"no {task_type} task to complete")


def test_start_prints_the_id_and_json_prints_an_object(
    podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path
) -> None:
    _register(podium, tmp_path, taskdef(f"{uniq}_t"), simple_flow(uniq, f"{uniq}_t"))
    wid = podium.ok("workflow", "start", uniq, "--input", '{"x": 7}', "--correlation-id", "c-1").strip()
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["input"] == {"x": 7} and wf["correlationId"] == "c-1" and wf["status"] == "RUNNING"
    input_file = write_json(tmp_path / "in.json", {"x": 8})
    doc = podium.json("workflow", "start", uniq, "--version", "1", "-i", f"@{input_file}")
    assert set(doc) == {"workflowId"}
    assert api.get(f"/workflow/{doc['workflowId']}").json()["input"] == {"x": 8}


@pytest.mark.parametrize(("status", "code"), [("COMPLETED", 0), ("FAILED", 1), ("TERMINATED", 1)])
def test_start_wait_exits_with_the_outcome(podium: Podium, uniq: str, tmp_path: Path, status: str, code: int) -> None:
    _register(podium, tmp_path, ending_flow(uniq, status))
    result = podium.run("workflow", "start", uniq, "--wait", "-o", "json")
    assert result.exit_code == code, result.output
    wf = json.loads(result.stdout)
    assert wf["status"] == status and wf["workflowName"] == uniq and wf["tasks"]  # the API's Workflow
    table = podium.run("workflow", "start", uniq, "--wait")
    assert table.exit_code == code
    assert status in table.stdout and uniq in table.stdout and "started " in table.stderr
    if status == "COMPLETED":
        assert 'output: {"done":true}' in table.stdout  # what a person waited for


def test_start_wait_exits_1_when_the_workflow_times_out(podium: Podium, uniq: str, tmp_path: Path) -> None:
    flow = simple_flow(uniq, f"{uniq}_t") | {"timeoutSeconds": 1, "timeoutPolicy": "TIME_OUT_WF"}
    _register(podium, tmp_path, taskdef(f"{uniq}_t"), flow)  # nobody works the task: the workflow times out
    result = podium.run("workflow", "start", uniq, "--wait", "--timeout", "60", "-o", "json")
    assert result.exit_code == 1 and json.loads(result.stdout)["status"] == "TIMED_OUT"


def test_start_wait_gives_up_with_code_6(podium: Podium, uniq: str, tmp_path: Path) -> None:
    _register(podium, tmp_path, taskdef(f"{uniq}_t"), simple_flow(uniq, f"{uniq}_t"))
    result = podium.run("workflow", "start", uniq, "--wait", "--timeout", "0.3")
    assert result.exit_code == 6 and "RUNNING" in result.stdout and "SCHEDULED" in result.stdout


def test_status_table_json_and_watch(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    _register(podium, tmp_path, taskdef(f"{uniq}_a"), taskdef(f"{uniq}_b"), simple_flow(uniq, f"{uniq}_a", f"{uniq}_b"))
    wid = podium.ok("workflow", "start", uniq, "-i", '{"x": 1}').strip()
    out = podium.ok("workflow", "status", wid)
    assert wid in out and "RUNNING" in out and "t0" in out and "SCHEDULED" in out
    doc = podium.json("workflow", "status", wid)
    assert doc == api.get(f"/workflow/{wid}", params={"includeTasks": True}).json()

    worker = threading.Thread(target=lambda: [_complete(api, f"{uniq}_a", {"a": 1}), _complete(api, f"{uniq}_b", {})])
    worker.start()
    try:
        watched = podium.run("workflow", "status", wid, "--watch", "--timeout", "60")
    finally:
        worker.join(30)
    assert watched.exit_code == 0, watched.output
    assert "COMPLETED" in watched.stdout and "t1" in watched.stdout


def test_get_execution(podium: Podium, uniq: str, tmp_path: Path) -> None:
    _register(podium, tmp_path, ending_flow(uniq, "COMPLETED"))
    wf = podium.json("workflow", "start", uniq, "--wait", "-i", '{"k": "v"}')
    out = podium.ok("workflow", "get-execution", wf["workflowId"])
    assert '{"k":"v"}' in out and '{"done":true}' in out and "COMPLETED" in out and "Started" in out
    doc = podium.json("workflow", "get-execution", wf["workflowId"], "--no-tasks")
    assert doc["workflowId"] == wf["workflowId"] and not doc.get("tasks")


def test_search_filters_and_paging(podium: Podium, uniq: str, tmp_path: Path) -> None:
    ok_name, bad_name = f"{uniq}_ok", f"{uniq}_bad"
    _register(podium, tmp_path, ending_flow(ok_name, "COMPLETED"), ending_flow(bad_name, "FAILED"))
    done = [podium.json("workflow", "start", ok_name, "--wait", "--correlation-id", f"{uniq}-c{i}") for i in range(3)]
    failed = podium.run("workflow", "start", bad_name, "--wait", "-o", "json")
    assert failed.exit_code == 1
    wait_until(lambda: podium.json("workflow", "search", "-n", ok_name)["totalHits"] == 3, what="indexed runs")

    both = podium.json("workflow", "search", "-n", ok_name, "-n", bad_name)
    assert both["totalHits"] == 4
    only_failed = podium.json("workflow", "search", "-n", ok_name, "-n", bad_name, "--status", "failed")
    assert [r["workflowType"] for r in only_failed["results"]] == [bad_name]
    by_cid = podium.json("workflow", "search", "--correlation-id", f"{uniq}-c1")
    assert [r["workflowId"] for r in by_cid["results"]] == [done[1]["workflowId"]]
    assert podium.json("workflow", "search", "-n", ok_name, "--since", "1h")["totalHits"] == 3
    assert podium.json("workflow", "search", "-n", ok_name, "--to", "2000-01-01")["totalHits"] == 0
    assert podium.json("workflow", "search", "-n", ok_name, "--from", "2000-01-01T00:00")["totalHits"] == 3
    assert podium.json("workflow", "search", "-n", ok_name, "--text", done[2]["workflowId"])["totalHits"] == 1
    page2 = podium.json("workflow", "search", "-n", ok_name, "--size", "2", "--page", "2", "--sort", "startTime:ASC")
    assert [r["workflowId"] for r in page2["results"]] == [done[2]["workflowId"]]

    table = podium.run("workflow", "search", "-n", ok_name, "--size", "2")
    assert table.exit_code == 0 and done[2]["workflowId"] in table.stdout and "COMPLETED" in table.stdout
    assert "page 1 of 2, 3 run(s)" in table.stderr
    latest = podium.json("workflow", "list", "-n", ok_name, "--size", "1")
    assert [r["workflowId"] for r in latest["results"]] == [done[2]["workflowId"]] and latest["totalHits"] == 3
    listed = podium.ok("workflow", "list", "-n", bad_name)
    assert failed.stdout and bad_name in listed and "FAILED" in listed and "by design" in listed


def test_values_are_printed_as_they_are(podium: Podium, uniq: str, tmp_path: Path) -> None:
    flow = ending_flow(uniq, "FAILED")
    flow["tasks"][0]["inputParameters"]["terminationReason"] = "bad [/oops] and [bold]x[/bold]"
    _register(podium, tmp_path, flow)
    run = podium.run("workflow", "start", uniq, "--wait", "--correlation-id", "[red]cid[/red]", "-o", "json")
    wf = json.loads(run.stdout)
    assert run.exit_code == 1 and wf["status"] == "FAILED"
    listed = podium.ok("workflow", "list", "-n", uniq)
    assert "bad [/oops] and [bold]x[/bold]" in listed and "[red]cid[/red]" in listed  # not read as markup
    assert "bad [/oops]" in podium.run("workflow", "status", wf["workflowId"]).stdout


def test_search_refuses_bad_filters(podium: Podium) -> None:
    assert "unknown status" in podium.fails(2, "workflow", "search", "--status", "DONE")
    assert "--since" in podium.fails(2, "workflow", "search", "--since", "yesterday")
    assert "--from" in podium.fails(2, "workflow", "search", "--from", "31/01/2026")


def test_watch_draws_live_on_a_terminal(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    _register(podium, tmp_path, taskdef(f"{uniq}_a"), simple_flow(uniq, f"{uniq}_a"))
    wid = podium.ok("workflow", "start", uniq).strip()
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "160"}  # rich draws as on a terminal
    worker = threading.Thread(target=_complete, args=(api, f"{uniq}_a", {"done": 1}))
    worker.start()
    try:
        watched = podium.run("workflow", "status", wid, "--watch", "--timeout", "60", env=terminal)
    finally:
        worker.join(30)
    assert watched.exit_code == 0, watched.output
    assert "\x1b[?25l" in watched.stdout and "COMPLETED" in watched.stdout  # live (cursor hidden), ends completed
    piped = podium.run("workflow", "status", wid, "--watch")
    assert "\x1b[" not in piped.stdout and "COMPLETED" in piped.stdout  # no escape codes into a pipe
