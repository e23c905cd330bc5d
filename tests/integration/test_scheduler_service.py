"""The scheduler service on a real SQLite file with a manual clock (issue #15): saving and validation,
fires with Conductor's extra input, FAILED fires, pause/resume, and restarts after downtime with catch-up
on and off. A "restart" is a new store and new services over the same file, as a new server process has."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from podium.domain.clock import ManualClock
from podium.domain.errors import NotFound, ValidationFailed
from podium.domain.limits import Limits
from podium.runtime.scheduler import scheduler_loop
from podium.service.container import Services, build_services, open_store

T0 = int(datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC).timestamp() * 1000)  # a Monday, on a minute


class Node:
    """Services over the database file; ``restart`` makes a fresh set as a new server process would."""

    def __init__(self, path: Path, clock: ManualClock) -> None:
        self.url = f"sqlite:///{path}"
        self.clock = clock
        self.svc = self._open()

    def _open(self) -> Services:
        return build_services(open_store(self.url), self.clock)

    def restart(self) -> None:
        self.svc.store.close()
        self.svc = self._open()

    def close(self) -> None:
        self.svc.store.close()


@pytest.fixture()
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node(tmp_path / "podium.db", ManualClock(T0))
    n.svc.metadata.update_workflow_defs(
        [{"name": "nightly", "version": 1, "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}]
    )
    yield n
    n.close()


def request(name: str = "every_second", cron: str | None = "* * * * * *", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "cronExpression": cron,
        "startWorkflowRequest": {"name": "nightly", "input": {"region": "eu"}, "correlationId": "c1"},
        **extra,
    }


def fired(svc: Services, name: str) -> list[int]:
    rows = svc.scheduler.search_executions(f"scheduleName = {name}", None, 0, 1000, "scheduledTime:ASC")
    return [r["scheduledTime"] for r in rows["results"]]


def run(node: Node, until: int, step: int = 1000) -> None:
    """Move the clock to ``until`` in steps, running the scheduler after each (an on-time server)."""
    while node.clock.now() < until:
        node.clock.advance(min(step, until - node.clock.now()))
        while node.svc.scheduler.run_due():
            pass


def test_save_fills_defaults_and_next_run(node: Node) -> None:
    saved = node.svc.scheduler.save(request(cron="0 */5 * * * ?", description="d"), "alice")
    assert saved["zoneId"] == "UTC"
    assert saved["runCatchupScheduleInstances"] is False
    assert saved["paused"] is False
    assert saved["createTime"] == saved["updatedTime"] == T0
    assert saved["createdBy"] == saved["updatedBy"] == "alice"
    assert saved["nextRunTime"] == T0 + 5 * 60_000
    assert node.svc.scheduler.get("every_second") == saved
    node.clock.advance(1000)
    again = node.svc.scheduler.save(request(cron="0 0 * * * ?"), "bob")
    assert again["createTime"] == T0 and again["updatedTime"] == T0 + 1000
    assert again["createdBy"] == "alice" and again["updatedBy"] == "bob"
    assert again["nextRunTime"] == T0 + 3_600_000
    assert [s["name"] for s in node.svc.scheduler.all("nightly")] == ["every_second"]
    assert node.svc.scheduler.all("other") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cronExpression": "0 0 * * *"}, "cronExpression"),
        ({"cronExpression": "0 0 0 ? * MON#9"}, "cronExpression"),
        ({"zoneId": "Mars/Olympus"}, "zoneId"),
        ({"name": "has space"}, "name"),
        ({"name": "a/b"}, "name"),
        ({"name": ""}, "name"),
        ({"name": ".."}, "name"),
        ({"name": "search"}, "name"),
        ({"scheduleStartTime": 2000, "scheduleEndTime": 1000}, "scheduleEndTime"),
        ({"startWorkflowRequest": {"name": "no_such_workflow"}}, "startWorkflowRequest.name"),
        ({"startWorkflowRequest": None}, "startWorkflowRequest.name"),
        ({"cronExpression": None}, "cronExpression"),
        ({"cronSchedules": [{"cronExpression": "bad"}], "cronExpression": None}, "cronSchedules[0].cronExpression"),
        ({"runCatchupScheduleInstances": "yes"}, "runCatchupScheduleInstances"),
    ],
)
def test_bad_schedules_name_the_field(node: Node, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        node.svc.scheduler.save(request() | change, None)
    assert field in [e.path for e in caught.value.errors]
    assert node.svc.scheduler.all() == []


def test_each_fire_starts_the_workflow_with_conductors_extra_input(node: Node) -> None:
    node.svc.scheduler.save(request(), None)
    run(node, T0 + 3000)
    assert fired(node.svc, "every_second") == [T0 + 1000, T0 + 2000, T0 + 3000]
    execution = node.svc.scheduler.search_executions(None, None, 0, 1, None)["results"][0]
    assert execution["state"] == "EXECUTED" and execution["scheduledTime"] == T0 + 3000
    assert execution["workflowName"] == "nightly" and execution["zoneId"] == "UTC"
    wf = node.svc.store.get_workflow(execution["workflowId"])
    assert wf is not None and wf["status"] == "RUNNING" and wf.get("correlationId") == "c1"
    assert wf["input"] == {
        "region": "eu",
        "_startedByScheduler": "every_second",
        "_scheduledTime": T0 + 3000,
        "_executedTime": T0 + 3000,
        "_executionId": execution["executionId"],
        "_schedulerCron": "* * * * * *",
    }


def test_a_deleted_definition_makes_a_failed_fire_with_the_reason(node: Node) -> None:
    node.svc.scheduler.save(request(), None)
    node.svc.metadata.delete_workflow_def("nightly", 1)
    run(node, T0 + 2000)
    results = node.svc.scheduler.search_executions("state = FAILED", None, 0, 10, None)["results"]
    assert [r["scheduledTime"] for r in results] == [T0 + 2000, T0 + 1000]
    assert "No such workflow found by name: nightly" in results[0]["reason"]
    assert "workflowId" not in results[0]
    assert node.svc.scheduler.get("every_second")["nextRunTime"] == T0 + 3000


def test_pause_and_resume(node: Node) -> None:
    s = node.svc.scheduler
    s.save(request(), None)
    run(node, T0 + 1000)
    s.pause("every_second", "maintenance", "ops")
    got = s.get("every_second")
    assert got["paused"] is True and got["pausedReason"] == "maintenance" and "nextRunTime" not in got
    run(node, T0 + 5000)
    assert fired(node.svc, "every_second") == [T0 + 1000]
    s.resume("every_second", None)
    got = s.get("every_second")
    assert got["paused"] is False and got["pausedReason"] is None and got["nextRunTime"] == T0 + 6000
    run(node, T0 + 7000)
    assert fired(node.svc, "every_second") == [T0 + 1000, T0 + 6000, T0 + 7000]
    with pytest.raises(NotFound):
        s.pause("missing", None, None)
    bulk = s.bulk(["every_second", "missing"], True, None)
    assert bulk["bulkSuccessfulResults"] == ["every_second"] and list(bulk["bulkErrorResults"]) == ["missing"]
    assert s.pause_all(False, None) == {"resumed": ["every_second"]}


def test_start_and_end_bounds(node: Node) -> None:
    node.svc.scheduler.save(request(scheduleStartTime=T0 + 3000, scheduleEndTime=T0 + 5000), None)
    assert node.svc.scheduler.get("every_second")["nextRunTime"] == T0 + 3000
    run(node, T0 + 10_000)
    assert fired(node.svc, "every_second") == [T0 + 3000, T0 + 4000, T0 + 5000]
    assert "nextRunTime" not in node.svc.scheduler.get("every_second")
    assert node.svc.scheduler.earliest() is None


def test_cron_schedules_list_fires_each_once(node: Node) -> None:
    node.svc.scheduler.save(
        request(
            cron=None,
            cronSchedules=[
                {"cronExpression": "0/2 * * * * *"},
                {"cronExpression": "0/3 * * * * *", "zoneId": "Europe/Berlin"},
            ],
        ),
        None,
    )
    run(node, T0 + 7000)
    assert fired(node.svc, "every_second") == [T0 + s * 1000 for s in (2, 3, 4, 6)]


@pytest.mark.parametrize("catch_up", [True, False])
def test_restart_after_downtime(node: Node, catch_up: bool) -> None:
    """Stopped at T0+2s, restarted 10 s later: with catch-up every missed fire is made, in order; without,
    only the latest missed one; then on time again. No fire time is made twice."""
    node.svc.scheduler.save(request(runCatchupScheduleInstances=catch_up), None)
    run(node, T0 + 2000)
    node.svc.store.close()
    node.clock.advance(10_000)  # down from T0+2s to T0+12s
    node.svc = node._open()
    while node.svc.scheduler.run_due():
        pass
    missed = list(range(3, 13)) if catch_up else [12]
    assert fired(node.svc, "every_second") == [T0 + s * 1000 for s in (1, 2, *missed)]
    run(node, T0 + 14_000)
    assert fired(node.svc, "every_second") == [T0 + s * 1000 for s in (1, 2, *missed, 13, 14)]
    started = [r["workflowId"] for r in node.svc.scheduler.search_executions(None, None, 0, 100, None)["results"]]
    assert len(set(started)) == len(started)
    for wid in started:
        wf = node.svc.store.get_workflow(wid)
        assert wf is not None and wf["workflowName"] == "nightly"


def test_catch_up_after_long_downtime_replays_a_bounded_number_of_fires(node: Node) -> None:
    """A schedule every second, down for 100 s, catch-up on, at most about 5 fires replayed: the five
    latest missed seconds, not all hundred; then on time again."""
    node.svc.store.close()
    node.svc = build_services(open_store(node.url), node.clock, Limits(schedule_catch_up_fires=5))
    node.svc.scheduler.save(request(runCatchupScheduleInstances=True), None)
    run(node, T0 + 2000)
    node.clock.advance(100_000)  # T0+102s: fires 3..102 missed
    while node.svc.scheduler.run_due():
        pass
    assert fired(node.svc, "every_second") == [T0 + s * 1000 for s in (1, 2, 97, 98, 99, 100, 101, 102)]
    run(node, T0 + 104_000)
    assert fired(node.svc, "every_second")[-2:] == [T0 + 103_000, T0 + 104_000]


def test_a_fire_time_already_made_is_not_made_again(node: Node) -> None:
    """Two nodes (services) on one file both see the same due fire: one workflow."""
    node.svc.scheduler.save(request(), None)
    other = build_services(node.svc.store, node.clock)
    node.clock.advance(1000)
    due = node.svc.store.due_schedules(node.clock.now(), 10)
    assert len(due) == 1
    schedule, next_run = due[0]
    assert other.scheduler.fire(schedule, next_run, "* * * * * *", (next_run, next_run + 1000)) is not None
    assert node.svc.scheduler.fire(schedule, next_run, "* * * * * *", (next_run, next_run + 1000)) is None
    assert fired(node.svc, "every_second") == [T0 + 1000]


def test_next_few_and_search(node: Node) -> None:
    s = node.svc.scheduler
    assert s.next_few("0 0 * * * *", T0, None, 3) == [T0, T0 + 3_600_000, T0 + 7_200_000]
    assert s.next_few("0 0 * * * *", T0 + 1, T0 + 3_600_000, 5) == [T0 + 3_600_000]
    with pytest.raises(ValidationFailed):
        s.next_few("nope", None, None, 3)
    s.save(request(name="b_sched", description="the nightly export"), None)
    s.save(request(name="a_sched", paused=True), None)
    assert [r["name"] for r in s.search(None, None, None, None, 0, 10, None)["results"]] == ["a_sched", "b_sched"]
    assert s.search(None, None, True, None, 0, 10, None)["totalHits"] == 1
    assert [r["name"] for r in s.search(None, None, None, "export", 0, 10, None)["results"]] == ["b_sched"]
    assert [r["name"] for r in s.search(None, "b_", None, None, 0, 10, "name:DESC")["results"]] == ["b_sched"]
    with pytest.raises(ValidationFailed):
        s.search_executions("colour = red", None, 0, 10, None)


def test_old_execution_records_are_pruned(node: Node) -> None:
    node.svc.scheduler.save(request(), None)
    run(node, T0 + 5000)
    assert node.svc.scheduler.prune(keep_ms=2500) == 2  # fires at T0+1 s and +2 s are older than 2.5 s
    assert fired(node.svc, "every_second") == [T0 + 3000, T0 + 4000, T0 + 5000]
    run(node, T0 + 6000)  # the schedule goes on
    assert fired(node.svc, "every_second")[-1] == T0 + 6000


def test_the_firing_loop_sleeps_until_due_and_wakes_on_a_change(node: Node) -> None:
    """runtime.scheduler_loop with the manual clock: nothing fires before its time, however often the loop
    looks; a change wakes it at once (it would otherwise sleep until the next fire, here a minute away)."""

    async def scenario() -> list[int]:
        task = asyncio.create_task(scheduler_loop(node.svc, recheck_ms=60_000))
        node.svc.scheduler.save(request(cron="0 * * * * *"), None)  # the next fire: T0 + 60 s
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert fired(node.svc, "every_second") == []  # not due on the manual clock
        node.clock.advance(60_000)
        node.svc.scheduler.changed()  # e.g. another node's notification
        deadline = asyncio.get_running_loop().time() + 10
        while not fired(node.svc, "every_second") and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return fired(node.svc, "every_second")

    assert asyncio.run(scenario()) == [T0 + 60_000]
