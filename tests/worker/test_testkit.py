"""podium.testing: workflows run in-process on the real engine with a clock that skips ahead."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from podium.testing import WorkflowEnvironment
from podium.worker import InProgress, TaskContext, worker_task

HOUR_MS = 3_600_000


def wf(name: str, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "version": 1, "tasks": tasks, "timeoutSeconds": 0, **extra}


def simple(name: str, ref: str | None = None, **inputs: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref or name, "inputParameters": inputs}


def test_hour_long_retry_delays_finish_instantly() -> None:
    @worker_task("charge")
    def charge(amount: int, ctx: TaskContext) -> dict[str, Any]:
        if ctx.retry_count < 3:
            raise ConnectionError(f"gateway down (attempt {ctx.retry_count})")
        return {"charged": amount}

    wall = time.perf_counter()
    with WorkflowEnvironment([charge]) as env:
        env.register_task_defs(
            {
                "name": "charge",
                "retryCount": 3,
                "retryDelaySeconds": 3600,
                "responseTimeoutSeconds": 60,
                "timeoutSeconds": 0,
            }
        )
        env.register_workflow(wf("pay", [simple("charge", amount="${workflow.input.amount}")]))
        started = env.now
        run = env.execute("pay", {"amount": 12})
        assert run["status"] == "COMPLETED" and run["output"] == {"charged": 12}
        attempts = run["tasks"]
        assert [t["status"] for t in attempts] == ["FAILED", "FAILED", "FAILED", "COMPLETED"]
        assert [t["retryCount"] for t in attempts] == [0, 1, 2, 3]
        starts = [t["startTime"] for t in attempts]
        assert [b - a for a, b in itertools.pairwise(starts)] == [HOUR_MS] * 3
        assert env.now - started == 3 * HOUR_MS
        assert "ConnectionError: gateway down (attempt 0)" in env.task_logs(attempts[0]["taskId"])[0]["log"]
    assert time.perf_counter() - wall < 10  # three hours of back-off in (far) less than real time


def test_exponential_backoff_delays() -> None:
    calls: list[int] = []

    @worker_task("sync")
    def sync(ctx: TaskContext) -> None:
        calls.append(ctx.retry_count)
        if ctx.retry_count < 3:
            raise RuntimeError("busy")

    with WorkflowEnvironment([sync]) as env:
        env.register_task_defs(
            {
                "name": "sync",
                "retryCount": 3,
                "retryDelaySeconds": 600,
                "retryLogic": "EXPONENTIAL_BACKOFF",
                "timeoutSeconds": 0,
            }
        )
        run = env.execute(wf("backoff", [simple("sync")]))  # an inline definition
        starts = [t["startTime"] for t in run["tasks"]]
        assert run["status"] == "COMPLETED" and calls == [0, 1, 2, 3]
        assert [(b - a) // 1000 for a, b in itertools.pairwise(starts)] == [600, 1200, 2400]


def test_a_crashed_worker_is_caught_by_the_response_timeout() -> None:
    @worker_task("fragile")
    def fragile(ctx: TaskContext) -> dict[str, int]:
        return {"attempt": ctx.retry_count}

    with WorkflowEnvironment([fragile]) as env:
        env.register_task_defs(
            {
                "name": "fragile",
                "retryCount": 1,
                "retryDelaySeconds": 0,
                "responseTimeoutSeconds": 600,
                "timeoutSeconds": 0,
            }
        )
        env.drop_next("fragile")  # the first delivery is taken and never answered
        started = env.now
        run = env.execute(wf("crash", [simple("fragile")]))
        lost, retry = run["tasks"]
        assert lost["status"] == "TIMED_OUT" and retry["status"] == "COMPLETED"
        assert retry["outputData"] == {"attempt": 1}
        assert env.now - started == 600_000
        assert [t["taskId"] for t in env.dropped] == [lost["taskId"]]


def test_an_unserved_task_times_the_workflow_out() -> None:
    with WorkflowEnvironment() as env:
        env.register_task_defs({"name": "nobody", "retryCount": 0, "pollTimeoutSeconds": 120, "timeoutSeconds": 0})
        started = env.now
        run = env.execute(wf("orphan", [simple("nobody")]))
        assert run["status"] == "TIMED_OUT" and run["tasks"][0]["status"] == "TIMED_OUT"
        assert env.now - started == 120_000


def test_time_skipping_passes_a_task_nobody_serves() -> None:
    """A task nobody serves, with a short response timeout, does not stop the skipping every response
    timeout (the environment's polls move their checks themselves): a two-day WAIT beside it ends."""

    @worker_task("after")
    def after() -> str:
        return "done"

    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [
            [simple("nobody")],
            [{"name": "nap", "taskReferenceName": "nap", "type": "WAIT", "inputParameters": {"duration": "2 days"}},
             simple("after")],
        ],
    }  # fmt: skip
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["nobody", "after"]}
    with WorkflowEnvironment([after]) as env:
        env.register_task_defs({"name": "nobody", "responseTimeoutSeconds": 1, "timeoutSeconds": 0})
        started = env.now
        run = env.execute(wf("beside", [fork, join]))
        status = {t["referenceTaskName"]: t["status"] for t in run["tasks"]}
        assert status["nap"] == "COMPLETED" and status["after"] == "COMPLETED" and status["nobody"] == "SCHEDULED"
        assert env.now - started == 48 * HOUR_MS


def test_waits_of_hours_and_days_are_skipped() -> None:
    @worker_task("after")
    def after() -> str:
        return "done"

    tasks = [
        {"name": "nap", "taskReferenceName": "nap", "type": "WAIT", "inputParameters": {"duration": "2 hours"}},
        {"name": "sleep", "taskReferenceName": "sleep", "type": "WAIT", "inputParameters": {"duration": "3 days"}},
        simple("after"),
    ]
    with WorkflowEnvironment([after]) as env:
        started = env.now
        run = env.execute(wf("waits", tasks))
        assert run["status"] == "COMPLETED" and run["output"] == {"result": "done"}
        nap, sleep, _ = run["tasks"]
        assert nap["endTime"] - nap["startTime"] == 2 * HOUR_MS
        assert sleep["endTime"] - sleep["startTime"] == 72 * HOUR_MS
        assert env.now - started == 74 * HOUR_MS


def test_a_human_task_blocks_until_completed_without_moving_the_clock() -> None:
    @worker_task("archive")
    def archive(decision: str) -> dict[str, str]:
        return {"archived": decision}

    tasks = [
        {"name": "review", "taskReferenceName": "review", "type": "HUMAN"},
        simple("archive", decision="${review.output.decision}"),
    ]
    with WorkflowEnvironment([archive]) as env:
        wid = env.start(wf("review_flow", tasks))
        before = env.now
        blocked = env.run(wid)
        assert blocked["status"] == "RUNNING" and blocked["tasks"][0]["status"] == "IN_PROGRESS"
        assert env.now == before  # nothing was due, so no time passed
        env.complete_task(wid, "review", {"decision": "approved"})
        run = env.run(wid)
        assert run["status"] == "COMPLETED" and run["output"] == {"archived": "approved"}
        with pytest.raises(LookupError):
            env.complete_task(wid, "review")


def test_in_progress_callbacks_and_async_workers() -> None:
    @worker_task("poll_job")
    async def poll_job(job: str, ctx: TaskContext) -> Any:
        ctx.extend_lease()  # available in the kit too
        if ctx.poll_count < 3:
            return InProgress(callback_after_seconds=3600, output={"checks": ctx.poll_count})
        return {"job": job, "checks": ctx.poll_count}

    with WorkflowEnvironment([poll_job]) as env:
        started = env.now
        run = env.execute(wf("job", [simple("poll_job", job="${workflow.input.job}")]), {"job": "j1"})
        assert run["status"] == "COMPLETED" and run["output"] == {"job": "j1", "checks": 3}
        assert env.now - started == 2 * HOUR_MS


def test_without_time_skipping_the_clock_moves_only_on_advance() -> None:
    @worker_task("tick")
    def tick() -> str:
        return "tock"

    tasks = [
        {"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1h"}},
        simple("tick"),
    ]
    with WorkflowEnvironment([tick], time_skipping=False) as env:
        wid = env.start(wf("manual", tasks))
        assert env.run(wid)["status"] == "RUNNING"
        env.advance(1800)
        assert env.run(wid)["status"] == "RUNNING"
        env.advance(1800)
        assert env.run(wid)["status"] == "COMPLETED"


def test_sub_workflows_and_domains_run_in_process() -> None:
    @worker_task("leaf", domain="eu")
    def leaf(n: int, ctx: TaskContext) -> dict[str, Any]:
        return {"n": n + 1, "domain": ctx.domain}

    child = wf(
        "child",
        [
            {"name": "pause", "taskReferenceName": "pause", "type": "WAIT", "inputParameters": {"duration": "30m"}},
            simple("leaf", n="${workflow.input.n}"),
        ],
        outputParameters={"n": "${leaf.output.n}", "domain": "${leaf.output.domain}"},
    )
    parent = wf(
        "parent",
        [
            {
                "name": "call",
                "taskReferenceName": "call",
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": "child", "version": 1},
                "inputParameters": {"n": "${workflow.input.n}"},
            }
        ],
        outputParameters={"n": "${call.output.n}", "domain": "${call.output.domain}"},
    )
    with WorkflowEnvironment([leaf]) as env:
        env.register_workflow(child, parent)
        run = env.execute("parent", {"n": 1}, task_to_domain={"leaf": "eu,NO_DOMAIN"})
        assert run["status"] == "COMPLETED" and run["output"] == {"n": 2, "domain": "eu"}


def test_complete_task_finds_a_task_in_nested_loops() -> None:
    inner = {
        "name": "inner",
        "taskReferenceName": "inner",
        "type": "DO_WHILE",
        "loopCondition": "$.inner.iteration < 1",
        "loopOver": [{"name": "h", "taskReferenceName": "h", "type": "HUMAN"}],
    }
    outer = {
        "name": "outer",
        "taskReferenceName": "outer",
        "type": "DO_WHILE",
        "loopCondition": "$.outer.iteration < 1",
        "loopOver": [inner],
    }
    with WorkflowEnvironment([]) as env:
        wid = env.start(wf("nested", [outer]))
        assert [t["referenceTaskName"] for t in env.run(wid)["tasks"]] == ["outer", "inner__1", "h__1__1"]
        env.complete_task(wid, "h", {"ok": 1})
        run = env.run(wid)
        assert run["status"] == "COMPLETED" and run["tasks"][-1]["outputData"] == {"ok": 1}
