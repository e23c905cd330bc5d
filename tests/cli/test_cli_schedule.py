"""`podium schedule ...` against a live server with its scheduler running."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from clikit import Podium, write_json

from conftest import ServerProcess, wait_until


@pytest.fixture()
def podium(server: ServerProcess, tmp_path: Path) -> Podium:
    return Podium(server.url, tmp_path / "config.toml")


@pytest.fixture()
def noop_flow(api: httpx.Client, uniq: str) -> str:
    wf = {"name": f"{uniq}_wf", "version": 1, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}
    assert api.post("/metadata/workflow", json=wf, params={"overwrite": "true"}).status_code < 300
    return str(wf["name"])


def test_save_list_get_pause_resume_delete(podium: Podium, api: httpx.Client, uniq: str, noop_flow: str) -> None:
    name = f"{uniq}_nightly"
    out = podium.ok(
        "schedule", "save", "--name", name, "--cron", "0 30 3 * * ?", "--workflow", noop_flow,
        "--zone", "Europe/Berlin", "--input", '{"who": "cli"}', "--paused",
    )  # fmt: skip
    assert out == f"saved schedule {name}\n"
    stored = api.get(f"/scheduler/schedules/{name}").json()
    assert stored["zoneId"] == "Europe/Berlin" and stored["paused"] is True
    assert stored["startWorkflowRequest"]["input"] == {"who": "cli"}

    listed = podium.ok("schedule", "list", "--workflow", noop_flow)
    assert name in listed and "paused" in listed and "0 30 3 * * ? (Europe/Berlin)" in listed
    assert [s["name"] for s in podium.json("schedule", "list", "--workflow", noop_flow)] == [name]
    assert podium.json("schedule", "get", name)["cronExpression"] == "0 30 3 * * ?"

    assert podium.ok("schedule", "resume", name) == f"resumed schedule {name}\n"
    assert api.get(f"/scheduler/schedules/{name}").json()["paused"] is False
    assert "active" in podium.ok("schedule", "get", name)
    podium.ok("schedule", "pause", name, "--reason", "holiday")
    assert api.get(f"/scheduler/schedules/{name}").json()["pausedReason"] == "holiday"
    assert "paused: holiday" in podium.ok("schedule", "list", "--workflow", noop_flow)

    assert podium.ok("schedule", "delete", name) == f"deleted schedule {name}\n"
    assert api.get(f"/scheduler/schedules/{name}").status_code == 404
    assert "404" in podium.fails(4, "schedule", "get", name)


def test_save_from_a_file_and_watch_its_executions(
    podium: Podium, api: httpx.Client, uniq: str, noop_flow: str, tmp_path: Path
) -> None:
    name = f"{uniq}_every_second"
    body = {"name": name, "cronExpression": "* * * * * ?", "startWorkflowRequest": {"name": noop_flow}}
    podium.ok("schedule", "save", write_json(tmp_path / "s.json", body))
    try:
        wait_until(
            lambda: any(e.get("workflowId") for e in podium.json("schedule", "executions", name)["results"]),
            timeout=15,
            what="a first fire",
        )
        shown = podium.ok("schedule", "executions", name)
        assert "EXECUTED" in shown
        wid = next(e["workflowId"] for e in podium.json("schedule", "executions", name)["results"] if e["workflowId"])
        assert api.get(f"/workflow/{wid}").json()["input"]["_startedByScheduler"] == name
    finally:
        podium.ok("schedule", "delete", name)


def test_next_fire_times_and_bad_input(podium: Podium, uniq: str, noop_flow: str, tmp_path: Path) -> None:
    times = podium.json("schedule", "next", "0 0 12 * * MON-FRI", "-n", "3")
    assert len(times) == 3 and times == sorted(times)
    assert len(podium.ok("schedule", "next", "0 */5 * * * ?").splitlines()) == 5
    utc = podium.json("schedule", "next", "0 0 12 * * ?", "-n", "1")[0]
    tokyo = podium.json("schedule", "next", "0 0 12 * * ?", "-n", "1", "--zone", "Asia/Tokyo")[0]
    assert (utc - tokyo) % 86_400_000 == 9 * 3_600_000  # noon in Tokyo is 03:00 UTC
    assert "zone" in podium.fails(4, "schedule", "next", "* * * * * ?", "--zone", "Nowhere/City").lower()
    # The server's 400 names the field; the CLI's own checks are bad input (exit 2).
    line = podium.fails(4, "schedule", "save", "--name", f"{uniq}_x", "--cron", "61 * * * * ?", "--workflow", noop_flow)
    assert "cron" in line.lower()
    assert "--name, --cron and --workflow" in podium.fails(2, "schedule", "save", "--name", "x")
    assert "not both" in podium.fails(2, "schedule", "save", write_json(tmp_path / "s.json", {}), "--name", "x")
    assert "one schedule" in podium.fails(2, "schedule", "save", write_json(tmp_path / "l.json", []))
