"""Response timeouts without the poll writing the workflow's next check (issue #18): a worker that polls
a task and vanishes still sees it TIMED_OUT and retried ``responseTimeoutSeconds`` after its poll, however
long after scheduling the poll came. Engine-level over a real SQLite file and a real PostgreSQL database,
with a manual clock and the sweeper stepped second by second (docs/architecture.md, "Next checks").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.domain import statuses as st
from podium.domain.clock import ManualClock
from podium.domain.model import Task
from podium.runtime.sweeper import sweep_once
from podium.service.container import Services, build_services, open_store
from podium.service.starting import start
from podium.service.workflows import pause, resume, skip_task

RT_S = 10  # responseTimeoutSeconds of the task
STEP_MS = 1000  # how often the simulated sweeper looks


@pytest.fixture(params=["sqlite", "postgres"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path / 'rt.db'}" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))
    services = build_services(open_store(url), ManualClock())
    services.metadata.register_task_defs(
        [{"name": "work", "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": RT_S}]
    )
    services.metadata.register_workflow_def(
        {
            "name": "rt",
            "version": 1,
            "tasks": [
                {"name": "work", "taskReferenceName": "a", "type": "SIMPLE"},
                {"name": "work", "taskReferenceName": "b", "type": "SIMPLE"},
            ],
        },
        overwrite=True,
    )
    try:
        yield services
    finally:
        services.store.close()


def clock_of(svc: Services) -> ManualClock:
    clock = svc.clock
    assert isinstance(clock, ManualClock)
    return clock


def sweep_until(svc: Services, at: int) -> None:
    """Move the clock to ``at``, letting the sweeper run at every step on the way (and at ``at``)."""
    clock = clock_of(svc)
    while True:
        sweep_once(svc)
        if clock.now() >= at:
            return
        clock.advance(min(STEP_MS, at - clock.now()))


def tasks(svc: Services, wid: str) -> list[Task]:
    return svc.store.get_tasks(wid)


def poll_one(svc: Services) -> Task:
    [task] = svc.tasks.poll("work", "vanishing-worker", None, 1)
    return task


def assert_times_out_at(svc: Services, wid: str, task: Task, deadline: int) -> None:
    """Still IN_PROGRESS just before ``deadline``; TIMED_OUT and retried at it."""
    sweep_until(svc, deadline - 1)
    got = svc.store.get_task(task["taskId"])
    assert got is not None and got["status"] == st.IN_PROGRESS, "timed out before its response deadline"
    sweep_until(svc, deadline)
    got = svc.store.get_task(task["taskId"])
    assert got is not None and got["status"] == st.TIMED_OUT, "not timed out at its response deadline"
    retry = tasks(svc, wid)[-1]
    assert retry["status"] == st.SCHEDULED and retry["retriedTaskId"] == task["taskId"] and retry["retryCount"] == 1
    again = poll_one(svc)
    assert again["taskId"] == retry["taskId"]


def test_polled_at_once_times_out_after_the_response_timeout(svc: Services) -> None:
    wid = start(svc.engine, {"name": "rt"})
    task = poll_one(svc)
    assert_times_out_at(svc, wid, task, task["updateTime"] + RT_S * 1000)


@pytest.mark.parametrize("late_s", [3, 10, 25, 61])
def test_polled_late_times_out_after_its_poll(svc: Services, late_s: int) -> None:
    """The task waits ``late_s`` seconds in its queue (the sweeper looks at it every response timeout
    meanwhile), then a worker polls it and vanishes."""
    wid = start(svc.engine, {"name": "rt"})
    sweep_until(svc, clock_of(svc).now() + late_s * 1000 + 500)  # off the sweeper's steps
    task = poll_one(svc)
    assert task["updateTime"] == clock_of(svc).now()
    assert_times_out_at(svc, wid, task, task["updateTime"] + RT_S * 1000)


def test_requeued_by_a_callback_times_out_after_its_next_poll(svc: Services) -> None:
    """A worker's IN_PROGRESS with callbackAfterSeconds puts the task back to SCHEDULED: polled again
    when the callback is due, it times out a response timeout after that poll."""
    wid = start(svc.engine, {"name": "rt"})
    first = poll_one(svc)
    clock_of(svc).advance(2000)
    svc.tasks.update(
        {"workflowInstanceId": wid, "taskId": first["taskId"], "status": "IN_PROGRESS", "callbackAfterSeconds": 25}
    )
    sweep_until(svc, clock_of(svc).now() + 25_000)
    task = poll_one(svc)
    assert task["taskId"] == first["taskId"] and task["pollCount"] == 2
    assert_times_out_at(svc, wid, task, task["updateTime"] + RT_S * 1000)


def test_skipping_a_later_task_keeps_the_running_one_checked(svc: Services) -> None:
    """A skip writes the workflow without a decide; a task polled after it is still checked."""
    wid = start(svc.engine, {"name": "rt"})
    clock_of(svc).advance(1000)
    skip_task(svc.engine, wid, "b", None)
    sweep_until(svc, clock_of(svc).now() + 3000)
    task = poll_one(svc)
    assert_times_out_at(svc, wid, task, task["updateTime"] + RT_S * 1000)


def test_resumed_workflow_is_checked_for_its_polled_task(svc: Services) -> None:
    """Paused, a workflow's check counts only its own timeout; resuming decides it with every record,
    so a task polled before the pause still times out (once resumed) at its response deadline."""
    wid = start(svc.engine, {"name": "rt"})
    task = poll_one(svc)
    clock_of(svc).advance(1000)
    pause(svc.engine, wid)
    clock_of(svc).advance(1000)
    svc.engine.decide(wid)  # as PUT /api/workflow/decide/{id} does: a decide while paused
    clock_of(svc).advance(1000)
    resume(svc.engine, wid)
    assert_times_out_at(svc, wid, task, task["updateTime"] + RT_S * 1000)
