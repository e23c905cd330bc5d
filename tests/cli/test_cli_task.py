"""`podium task poll|update|get|log|queue-sizes` against a live server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from clikit import Podium, simple_flow, taskdef, write_json

from conftest import ServerProcess


@pytest.fixture()
def podium(server: ServerProcess, tmp_path: Path) -> Podium:
    return Podium(server.url, tmp_path / "config.toml")


def _start(podium: Podium, tmp_path: Path, uniq: str, runs: int = 1, tasks: int = 1) -> list[str]:
    names = [f"{uniq}_t{i}" for i in range(tasks)]
    podium.ok(
        "metadata", "register", write_json(tmp_path / "d.json", [*map(taskdef, names), simple_flow(uniq, *names)])
    )
    return [podium.ok("workflow", "start", uniq, "-i", f'{{"x": {i}}}').strip() for i in range(runs)]


def test_poll_table_json_and_nothing(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    w1, w2 = _start(podium, tmp_path, uniq, runs=2)
    out = podium.ok("task", "poll", f"{uniq}_t0", "--worker-id", "me")
    assert w1 in out and '{"x":0}' in out and "IN_PROGRESS" in out
    tasks = podium.json("task", "poll", f"{uniq}_t0", "--count", "5")
    assert [t["workflowInstanceId"] for t in tasks] == [w2] and tasks[0]["inputData"] == {"x": 1}
    assert api.get(f"/workflow/{w1}").json()["tasks"][0]["workerId"] == "me"
    empty = podium.run("task", "poll", f"{uniq}_t0", "--wait-ms", "0")
    assert empty.exit_code == 0 and empty.stdout == "" and "no " in empty.stderr
    assert podium.json("task", "poll", f"{uniq}_t0", "--wait-ms", "0") == []


def test_update_by_id_and_by_reference(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    (wid,) = _start(podium, tmp_path, uniq, tasks=2)
    (task,) = podium.json("task", "poll", f"{uniq}_t0")
    out = podium.ok("task", "update", task["taskId"], "--output-data", '{"y": 1}')
    assert out == f"completed {task['taskId']}\n"
    assert api.get(f"/tasks/{task['taskId']}").json()["outputData"] == {"y": 1}

    doc = podium.json("task", "update", "--workflow-id", wid, "--ref", "t1", "--status", "failed_with_terminal_error")
    second = api.get(f"/workflow/{wid}").json()["tasks"][1]
    assert doc == {"taskId": second["taskId"]} and second["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert api.get(f"/workflow/{wid}").json()["status"] == "FAILED"

    assert "--status" in podium.fails(2, "task", "update", task["taskId"], "--status", "DONE")
    assert "give a task id" in podium.fails(2, "task", "update", "--ref", "t1")
    assert "404" in podium.fails(4, "task", "update", "no-such-task")


def test_update_with_a_reason_fails_the_task(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    (wid,) = _start(podium, tmp_path, uniq)
    (task,) = podium.json("task", "poll", f"{uniq}_t0")
    podium.ok("task", "update", task["taskId"], "--status", "FAILED", "--reason", "disk full", "--workflow-id", wid)
    t = api.get(f"/tasks/{task['taskId']}").json()
    assert t["status"] == "FAILED" and t["reasonForIncompletion"] == "disk full"


def test_get_and_logs(podium: Podium, uniq: str, tmp_path: Path) -> None:
    _start(podium, tmp_path, uniq)
    (task,) = podium.json("task", "poll", f"{uniq}_t0")
    tid = task["taskId"]
    assert podium.json("task", "get", tid)["taskId"] == tid
    table = podium.ok("task", "get", tid)
    assert tid in table and "IN_PROGRESS" in table and '{"x":0}' in table
    nothing = podium.run("task", "log", tid)
    assert nothing.exit_code == 0 and "no log lines" in nothing.stderr
    assert podium.ok("task", "log", tid, "first line") == f"logged to {tid}\n"
    podium.ok("task", "log", tid, "second line")
    assert [e["log"] for e in podium.json("task", "log", tid)] == ["first line", "second line"]
    assert "second line" in podium.ok("task", "log", tid)


def test_queue_sizes(podium: Podium, uniq: str, tmp_path: Path) -> None:
    _start(podium, tmp_path, uniq, runs=3)
    name = f"{uniq}_t0"
    assert podium.json("task", "queue-sizes", name) == {name: 3}
    assert podium.json("task", "queue-sizes")[name] == 3
    line = [ln for ln in podium.ok("task", "queue-sizes", name, f"{uniq}_none").splitlines() if name in ln]
    assert line and line[0].split()[-1] == "3"
