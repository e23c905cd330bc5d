"""Two server nodes on one PostgreSQL database fire one schedule every second for 20 s; one node is killed
with SIGKILL midway (issue #15). Both nodes race for every fire; the unique (schedule, scheduled time) row
lets one win. Every fire time from the first on must have exactly one workflow, none missing.

The schedule has catch-up on: a fire the killed node had claimed but not committed is rolled back with
it, and the surviving node makes it — late, if need be, but made.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import ServerProcess, wait_until
from pg_cluster import PgCluster

WF = {"name": "mn_sched_wf", "version": 1, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}


@contextlib.contextmanager
def servers_on_one_database(
    postgres: PgCluster, tmp_path_factory: pytest.TempPathFactory, envs: dict[str, dict[str, str]]
) -> Iterator[list[ServerProcess]]:
    """One started server per ``envs`` entry (its log file name and environment) on a fresh database,
    stopped and the database dropped afterwards."""
    db = postgres.create_database()
    tmp = tmp_path_factory.mktemp("sched_nodes")
    servers = [ServerProcess(tmp / f"{name}.db", db_url=postgres.url(db), env=env) for name, env in envs.items()]
    try:
        for s in servers:
            s.start()
        yield servers
    finally:
        for s in servers:
            s.stop()
        postgres.drop_database(db)


@pytest.fixture()
def nodes(postgres: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    envs = {f"node{i}": {"PODIUM_SERVER_ID": f"node{i}"} for i in range(2)}
    with servers_on_one_database(postgres, tmp_path_factory, envs) as servers:
        yield servers


def executions(api: httpx.Client) -> list[dict[str, Any]]:
    r = api.get("/scheduler/search/executions", params={"query": "scheduleName = 'mn_every_second'", "size": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_two_nodes_one_killed_every_fire_exactly_once(nodes: list[ServerProcess]) -> None:
    survivor, victim = nodes
    with httpx.Client(base_url=survivor.url + "/api", timeout=30) as api:
        assert api.post("/metadata/workflow", json=WF).status_code in (200, 204)
        body = {
            "name": "mn_every_second",
            "cronExpression": "* * * * * *",
            "runCatchupScheduleInstances": True,
            "startWorkflowRequest": {"name": WF["name"], "input": {}},
        }
        # saved on the node to be killed: the survivor hears of it through the peer notification
        assert httpx.post(victim.url + "/api/scheduler/schedules", json=body, timeout=30).status_code == 200
        wait_until(lambda: len(executions(api)) >= 10, timeout=40, interval=0.2, what="10 s of fires")
        victim.kill()  # SIGKILL midway: whatever it held in a transaction dies with it
        wait_until(lambda: len(executions(api)) >= 21, timeout=40, interval=0.2, what="20 s of fires")
        assert api.put("/scheduler/schedules/mn_every_second/pause").status_code == 200
        runs = executions(api)
        times = sorted(e["scheduledTime"] for e in runs)
        assert [t for t, n in Counter(times).items() if n > 1] == [], "a fire time was made twice"
        first, last = times[0], times[-1]
        assert times == list(range(first, last + 1000, 1000)), "a fire time is missing"
        assert all(e["state"] == "EXECUTED" for e in runs), [e for e in runs if e["state"] != "EXECUTED"]
        ids = [e["workflowId"] for e in runs]
        assert len(set(ids)) == len(ids)
        # every workflow the schedule started belongs to exactly one fire, and none was started beside them
        found = api.get("/workflow/search", params={"query": f"workflowType = '{WF['name']}'", "size": 1000}).json()
        started = {s["workflowId"] for s in found["results"]}
        assert started >= set(ids) and found["totalHits"] >= len(ids)
        scheduled = Counter(api.get(f"/workflow/{wid}").json()["input"]["_scheduledTime"] for wid in started)
        assert set(scheduled) >= set(times) and max(scheduled.values()) == 1
        for a, b in itertools.pairwise(times):
            assert b - a == 1000


@pytest.fixture()
def one_firing(postgres: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    """Two nodes, only the second fires schedules (PODIUM_SCHEDULER=off on the first)."""
    with servers_on_one_database(postgres, tmp_path_factory, {"api": {"PODIUM_SCHEDULER": "off"}, "firing": {}}) as s:
        yield s


def test_a_schedule_saved_on_one_node_wakes_the_firing_loop_of_another(one_firing: list[ServerProcess]) -> None:
    """The firing node has no schedule and sleeps for its 30 s re-read; a schedule saved on the other node
    wakes it through the peer notification, so the very first fire time is made (catch-up off: a node that
    woke only at its re-read would skip to the latest missed second)."""
    api_node, _firing = one_firing
    with httpx.Client(base_url=api_node.url + "/api", timeout=30) as api:
        assert api.post("/metadata/workflow", json=WF).status_code in (200, 204)
        body = {
            "name": "mn_wake",
            "cronExpression": "* * * * * *",
            "startWorkflowRequest": {"name": WF["name"], "input": {}},
        }
        saved = api.post("/scheduler/schedules", json=body).json()

        def fires() -> list[dict[str, Any]]:
            r = api.get("/scheduler/search/executions", params={"query": "scheduleName = 'mn_wake'"})
            return list(r.json()["results"])

        wait_until(lambda: len(fires()) >= 1, timeout=10, interval=0.1, what="the first fire")
        assert api.put("/scheduler/schedules/mn_wake/pause").status_code == 200
        assert min(e["scheduledTime"] for e in fires()) == saved["nextRunTime"]
