"""/api/scheduler over HTTP on a real server (issue #15): the routes, their errors, fires on a live server,
and a real restart after downtime. conductor-python's scheduler client: test_conductor_python_sdk.py."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ServerProcess, wait_until


def define(api: httpx.Client, name: str) -> None:
    wd = {"name": name, "version": 1, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}
    assert api.post("/metadata/workflow", json=wd).status_code in (200, 204)


def schedule(name: str, workflow: str, cron: str = "0 0 0 1 1 ?", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "cronExpression": cron,
        "startWorkflowRequest": {"name": workflow, "input": {"a": 1}},
        **extra,
    }


def executions(api: httpx.Client, name: str) -> list[dict[str, Any]]:
    r = api.get("/scheduler/search/executions", params={"query": f"scheduleName = '{name}'", "size": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_schedule_routes(api: httpx.Client, uniq: str) -> None:
    wf = f"wf_{uniq}"
    define(api, wf)
    name = f"s_{uniq}"
    r = api.post("/scheduler/schedules", json=schedule(name, wf, description="yearly"))
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["name"] == name and saved["zoneId"] == "UTC" and saved["paused"] is False
    assert saved["nextRunTime"] > int(time.time() * 1000)
    assert api.get(f"/scheduler/schedules/{name}").json() == saved
    assert [s["name"] for s in api.get("/scheduler/schedules", params={"workflowName": wf}).json()] == [name]
    assert name in [s["name"] for s in api.get("/scheduler/schedules").json()]
    found = api.get("/scheduler/schedules/search", params={"workflowName": wf, "freeText": "yearly"}).json()
    assert found["totalHits"] == 1 and found["results"][0]["name"] == name
    # pause with a reason (PUT, Conductor OSS; GET, Orkes), resume
    assert api.put(f"/scheduler/schedules/{name}/pause", params={"reason": "freeze"}).status_code == 200
    got = api.get(f"/scheduler/schedules/{name}").json()
    assert got["paused"] is True and got["pausedReason"] == "freeze"
    assert api.get(f"/scheduler/schedules/search?workflowName={wf}&paused=true").json()["totalHits"] == 1
    assert api.get(f"/scheduler/schedules/{name}/resume").status_code == 200
    assert api.get(f"/scheduler/schedules/{name}").json()["paused"] is False
    assert api.get(f"/scheduler/schedules/{name}/pause").status_code == 200
    assert api.put(f"/scheduler/schedules/{name}/resume").status_code == 200
    # bulk
    bulk = api.put("/scheduler/bulk/pause", json=[name, f"missing_{uniq}"]).json()
    assert bulk["bulkSuccessfulResults"] == [name] and f"missing_{uniq}" in bulk["bulkErrorResults"]
    assert bulk["message"] == "Bulk Request has been processed."
    assert api.put("/scheduler/bulk/resume", json=[name]).json()["bulkSuccessfulResults"] == [name]
    # tags
    tags = [{"key": "team", "value": "data", "type": "METADATA"}, {"key": "tier", "value": "1", "type": "METADATA"}]
    assert api.put(f"/scheduler/schedules/{name}/tags", json=tags).status_code == 200
    assert api.get(f"/scheduler/schedules/{name}/tags").json() == tags
    assert [s["name"] for s in api.get("/scheduler/schedules/tags", params={"tag": "team:data"}).json()] == [name]
    assert api.request("DELETE", f"/scheduler/schedules/{name}/tags", json=[tags[0]]).status_code == 200
    assert api.get(f"/scheduler/schedules/{name}/tags").json() == [tags[1]]
    # next few fire times
    nxt = api.get(
        "/scheduler/nextFewSchedules",
        params={"cronExpression": "0 0 12 * * MON-FRI", "scheduleStartTime": 1767614400000, "limit": 3},
    )
    assert nxt.json() == [1767614400000, 1767700800000, 1767787200000]  # Mon 5, Tue 6, Wed 7 Jan 2026, noon UTC
    # In a zone (a Podium addition): noon in Berlin is 11:00 UTC in winter; an unknown zone is a 400.
    params = {"cronExpression": "0 0 12 * * MON-FRI", "scheduleStartTime": 1767614400000, "limit": 2}
    berlin = api.get("/scheduler/nextFewSchedules", params=params | {"zoneId": "Europe/Berlin"})
    assert berlin.json() == [1767697200000, 1767783600000]  # Tue 6, Wed 7 Jan 2026, 11:00 UTC
    nowhere = api.get("/scheduler/nextFewSchedules", params=params | {"zoneId": "Nowhere/City"})
    assert nowhere.status_code == 400 and nowhere.json()["validationErrors"][0]["path"] == "zoneId"
    # delete; unknown names are 404 with Conductor's body
    assert api.delete(f"/scheduler/schedules/{name}").status_code == 200
    for r in (
        api.get(f"/scheduler/schedules/{name}"),
        api.delete(f"/scheduler/schedules/{name}"),
        api.put(f"/scheduler/schedules/{name}/pause"),
        api.get(f"/scheduler/schedules/{name}/tags"),
    ):
        assert r.status_code == 404 and r.json()["status"] == 404 and name in r.json()["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cronExpression": "0 0 * * *"}, "cronExpression"),
        ({"cronExpression": "0 0 25 * * *"}, "cronExpression"),
        ({"zoneId": "Nowhere/City"}, "zoneId"),
        ({"startWorkflowRequest": {"name": "no_such_workflow_anywhere"}}, "startWorkflowRequest.name"),
        ({"scheduleStartTime": 2000000000000, "scheduleEndTime": 1000000000000}, "scheduleEndTime"),
        ({"name": "not url safe?"}, "name"),
    ],
)
def test_bad_schedules_are_400_naming_the_field(
    api: httpx.Client, uniq: str, change: dict[str, Any], field: str
) -> None:
    wf = f"wf_{uniq}"
    define(api, wf)
    r = api.post("/scheduler/schedules", json=schedule(f"s_{uniq}", wf) | change)
    assert r.status_code == 400, r.text
    assert field in [e["path"] for e in r.json()["validationErrors"]], r.json()
    bad = api.get("/scheduler/nextFewSchedules", params={"cronExpression": "* *"})
    assert bad.status_code == 400 and bad.json()["validationErrors"][0]["path"] == "cronExpression"
    assert api.get("/scheduler/search/executions", params={"query": "colour = 'red'"}).status_code == 400


def test_a_schedule_fires_on_a_live_server(api: httpx.Client, uniq: str) -> None:
    wf = f"wf_{uniq}"
    define(api, wf)
    name = f"s_{uniq}"
    # (catch-up on: on a busy machine a fire made late still makes every second)
    body = schedule(name, wf, cron="* * * * * *", runCatchupScheduleInstances=True)
    assert api.post("/scheduler/schedules", json=body).status_code == 200
    wait_until(lambda: len(executions(api, name)) >= 3, timeout=15, interval=0.2, what="three fires")
    assert api.put(f"/scheduler/schedules/{name}/pause").status_code == 200
    runs = executions(api, name)
    times = sorted(e["scheduledTime"] for e in runs)
    assert all(b - a == 1000 for a, b in itertools.pairwise(times)), times
    for e in runs:
        assert e["state"] == "EXECUTED", e
        wf_run = api.get(f"/workflow/{e['workflowId']}").json()
        assert wf_run["workflowName"] == wf and wf_run["status"] == "COMPLETED"
        assert wf_run["input"]["_startedByScheduler"] == name
        assert wf_run["input"]["_scheduledTime"] == e["scheduledTime"]
        assert wf_run["input"]["_executionId"] == e["executionId"]
        assert wf_run["input"]["_schedulerCron"] == "* * * * * *" and wf_run["input"]["a"] == 1
    # admin: pause all, resume all, requeue
    assert api.get("/scheduler/admin/pause").status_code == 200
    assert api.get(f"/scheduler/schedules/{name}").json()["paused"] is True
    assert api.get("/scheduler/admin/resume").status_code == 200
    assert api.get(f"/scheduler/schedules/{name}").json()["paused"] is False
    assert api.get("/scheduler/admin/requeue").status_code == 200
    assert api.delete(f"/scheduler/schedules/{name}").status_code == 200


@pytest.fixture()
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "podium.db").start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("catch_up", [True, False])
def test_a_real_restart_after_downtime(own_server: ServerProcess, catch_up: bool) -> None:
    """A schedule every second; the server stopped for 3 s and started again. With catch-up every missed
    second is fired after the restart; without, only the latest missed one. Never a second twice."""
    srv = own_server
    with httpx.Client(base_url=srv.url + "/api", timeout=30) as api:
        define(api, "restart_wf")
        body = schedule("restart", "restart_wf", cron="* * * * * *", runCatchupScheduleInstances=catch_up)
        assert api.post("/scheduler/schedules", json=body).status_code == 200
        wait_until(lambda: len(executions(api, "restart")) >= 2, timeout=15, interval=0.1, what="fires")
    srv.stop()
    stopped_at = time.time()
    wait_until(lambda: time.time() > stopped_at + 3, timeout=10, interval=0.1, what="3 s of downtime")
    srv.start()
    with httpx.Client(base_url=srv.url + "/api", timeout=30) as api:
        restarted_at = int(time.time() * 1000)
        wait_until(
            lambda: any(e["scheduledTime"] > restarted_at + 1000 for e in executions(api, "restart")),
            timeout=15,
            interval=0.1,
            what="fires after the restart",
        )
        api.put("/scheduler/schedules/restart/pause")
        runs = executions(api, "restart")
    times = sorted(e["scheduledTime"] for e in runs)
    assert len(times) == len(set(times)), "a fire time was made twice"
    assert all(e["state"] == "EXECUTED" for e in runs)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    if catch_up:
        assert set(gaps) == {1000}, times  # every second, the downtime included
    else:
        assert [g for g in gaps if g != 1000] != [], times  # seconds of the downtime were skipped
        skipped = [(a, b) for a, b in itertools.pairwise(times) if b - a > 1000]
        assert len(skipped) == 1, times  # one gap: the downtime less its latest second
        stopped_ms = int(stopped_at * 1000)
        assert skipped[0][0] <= stopped_ms  # the gap starts at the last fire before the stop...
        assert skipped[0][1] >= stopped_ms + 2000  # ...and ends at the restart
