"""`podium workflow terminate|pause|resume|restart|retry|rerun|skip-task|delete` against a live server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from clikit import Podium, ending_flow, simple_flow, taskdef, write_json

from conftest import ServerProcess


@pytest.fixture()
def podium(server: ServerProcess, tmp_path: Path) -> Podium:
    return Podium(server.url, tmp_path / "config.toml")


def _status(api: httpx.Client, wid: str) -> str:
    return str(api.get(f"/workflow/{wid}").json()["status"])


def _flow(podium: Podium, tmp_path: Path, uniq: str, tasks: int = 1) -> list[str]:
    names = [f"{uniq}_t{i}" for i in range(tasks)]
    podium.ok(
        "metadata", "register", write_json(tmp_path / "d.json", [*map(taskdef, names), simple_flow(uniq, *names)])
    )
    return names


def test_pause_resume_terminate(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    _flow(podium, tmp_path, uniq)
    a, b = (podium.ok("workflow", "start", uniq).strip() for _ in range(2))
    assert podium.ok("workflow", "pause", a, b).splitlines() == [f"paused {a}", f"paused {b}"]
    assert _status(api, a) == _status(api, b) == "PAUSED"
    assert podium.run("workflow", "resume", a, "-o", "json").stdout == ""  # the API says nothing: neither do we
    assert _status(api, a) == "RUNNING"
    assert podium.ok("workflow", "terminate", a, "--reason", "enough") == f"terminated {a}\n"
    wf = api.get(f"/workflow/{a}").json()
    assert wf["status"] == "TERMINATED" and wf["reasonForIncompletion"] == "enough"
    # a refused action: one line with the server's message, exit 4
    line = podium.fails(4, "workflow", "pause", a)
    assert "409" in line
    # several ids: each is tried, the failure is reported, the exit code says so
    result = podium.run("workflow", "resume", b, "no-such-workflow")
    assert result.exit_code == 4 and f"resumed {b}" in result.stdout and "no-such-workflow" in result.stderr
    assert _status(api, b) == "RUNNING"


def test_restart_retry_rerun(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    (name,) = _flow(podium, tmp_path, uniq)
    wid = podium.ok("workflow", "start", uniq, "-i", '{"x": 1}').strip()
    task = api.get(f"/tasks/poll/batch/{name}", params={"timeout": 1000}).json()[0]
    failed = {"workflowInstanceId": wid, "taskId": task["taskId"], "status": "FAILED", "reasonForIncompletion": "no"}
    assert api.post("/tasks", json=failed).status_code == 200
    assert _status(api, wid) == "FAILED"

    assert podium.ok("workflow", "retry", wid) == f"retried {wid}\n"
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "RUNNING" and [t["status"] for t in wf["tasks"]] == ["FAILED", "SCHEDULED"]

    podium.ok("workflow", "terminate", wid)
    assert podium.ok("workflow", "restart", wid, "--use-latest") == f"restarted {wid}\n"
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "RUNNING" and [t["status"] for t in wf["tasks"]] == ["SCHEDULED"]

    podium.ok("workflow", "terminate", wid)
    doc = podium.json("workflow", "rerun", wid, "--workflow-input", '{"x": 2}', "--correlation-id", "again")
    assert doc == {"workflowId": wid}
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "RUNNING" and wf["input"] == {"x": 2} and wf["correlationId"] == "again"

    podium.ok("workflow", "terminate", wid)
    first = wf["tasks"][0]["taskId"]
    out = podium.ok("workflow", "rerun", wid, "--from-task", first, "--task-input", '{"x": 3}')
    assert out == f"rerunning {wid}\n"
    assert api.get(f"/tasks/{first}").json()["inputData"] == {"x": 3}
    assert "409" in podium.fails(4, "workflow", "restart", wid)  # running: refused


def test_skip_task_and_delete(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    _flow(podium, tmp_path, uniq, tasks=3)
    wid = podium.ok("workflow", "start", uniq).strip()
    out = podium.ok("workflow", "skip-task", wid, "t1", "--task-output", '{"skipped": true}')
    assert out == f"skipped t1 in {wid}\n"
    assert podium.ok("workflow", "skip-task", wid, "t2", "-o", "json") == ""  # the API answers nothing
    assert "t1" in podium.fails(4, "workflow", "skip-task", wid, "t1")  # skipped already: refused
    skipped = [t for t in api.get(f"/workflow/{wid}").json()["tasks"] if t["referenceTaskName"] == "t1"]
    assert skipped and skipped[0]["status"] == "SKIPPED" and skipped[0]["outputData"] == {"skipped": True}

    assert podium.ok("workflow", "delete", wid, "--no-archive") == f"deleted {wid}\n"
    assert api.get(f"/workflow/{wid}").status_code == 404
    assert "404" in podium.fails(4, "workflow", "delete", wid)
    assert "404" in podium.fails(4, "workflow", "status", wid)


def test_bad_json_options_are_refused_before_any_call(podium: Podium, uniq: str, tmp_path: Path) -> None:
    podium.ok("metadata", "register", write_json(tmp_path / "e.json", ending_flow(uniq, "COMPLETED")))
    assert "--task-output is not valid JSON" in podium.fails(2, "workflow", "skip-task", "w", "r", "--task-output", "{")
    assert "must be a JSON object" in podium.fails(2, "workflow", "start", uniq, "-i", "[1, 2]")
    assert "no such file" in podium.fails(2, "workflow", "rerun", "w", "--workflow-input", "@/nope/in.json")
