"""The runner against a real server over HTTP: execution, concurrency, update-v2, failures,
callbacks, leases, domains, pause/resume, process execution."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from workerkit import metric, register, runner, simple, taskdef

from conftest import ServerProcess, wait_until
from podium.client import PodiumClient
from podium.worker import InProgress, NonRetryableError, TaskContext, env_key, worker_task


@pytest.fixture()
def client(server: ServerProcess) -> Iterator[PodiumClient]:
    with PodiumClient(server.url, timeout=30) as c:
        yield c


def test_sync_and_async_workers_run_a_workflow(server: ServerProcess, client: PodiumClient, uniq: str) -> None:
    a, b = f"a_{uniq}", f"b_{uniq}"

    @worker_task(a)
    def add(x: int, ctx: TaskContext) -> dict[str, Any]:
        ctx.log(f"adding to {x}")
        return {"y": x + 1}

    @worker_task(b)
    async def times(y: int) -> int:
        await asyncio.sleep(0)
        return y * 10

    name = register(
        client,
        uniq,
        [simple(a, "a", x="${workflow.input.x}"), simple(b, "b", y="${a.output.y}")],
        [taskdef(a), taskdef(b)],
        outputParameters={"r": "${b.output.result}"},
    )
    with runner([add, times], server.url):
        ids = [client.start_workflow(name, {"x": i}) for i in range(3)]
        runs = [client.wait_for_workflow(w, timeout=20) for w in ids]
    assert [r["output"]["r"] for r in runs] == [10, 20, 30]
    first = runs[0]["tasks"][0]
    assert first["workerId"] == "test-worker" and first["status"] == "COMPLETED"
    assert [lg["log"] for lg in client.get_task_logs(first["taskId"])] == ["adding to 0"]


def test_concurrency_runs_tasks_side_by_side(server: ServerProcess, client: PodiumClient, uniq: str) -> None:
    s, a = f"s_{uniq}", f"as_{uniq}"
    barrier = threading.Barrier(4, timeout=15)
    arrived = 0
    everyone: asyncio.Event | None = None

    @worker_task(s, concurrency=4)
    def sync_fn() -> dict[str, Any]:
        barrier.wait()  # breaks (and fails the task) unless four run at once
        return {"thread": threading.current_thread().name}

    @worker_task(a, concurrency=4)
    async def async_fn() -> dict[str, Any]:
        nonlocal arrived, everyone
        everyone = everyone or asyncio.Event()
        arrived += 1
        if arrived == 4:
            everyone.set()
        await asyncio.wait_for(everyone.wait(), 15)
        return {"ok": True}

    name = register(client, uniq, [simple(s, "s"), simple(a, "a")], [taskdef(s), taskdef(a)])
    ids = [client.start_workflow(name) for _ in range(4)]
    with runner([sync_fn, async_fn], server.url):
        runs = [client.wait_for_workflow(w, timeout=30) for w in ids]
    assert [r["status"] for r in runs] == ["COMPLETED"] * 4
    assert len({r["tasks"][0]["outputData"]["thread"] for r in runs}) == 4


@pytest.mark.parametrize("v2", [True, False])
def test_update_v2_chains_tasks_without_polls(server: ServerProcess, client: PodiumClient, uniq: str, v2: bool) -> None:
    t = f"chain_{uniq}"
    done: list[str] = []

    @worker_task(t)
    def work(ctx: TaskContext) -> None:
        done.append(ctx.task_id)

    name = register(client, uniq, [simple(t, "t")], [taskdef(t)])
    ids = [client.start_workflow(name) for _ in range(5)]  # queued before the worker starts
    with runner([work], server.url, update_v2=v2):
        runs = [client.wait_for_workflow(w, timeout=20) for w in ids]
    assert all(r["status"] == "COMPLETED" for r in runs) and len(done) == 5
    # One poll hands out the first task; each update-v2 answer carries the next one.
    assert metric("task_poll_received_total", taskType=t) == (1 if v2 else 5)


def test_failures_report_reason_traceback_and_retry_semantics(
    server: ServerProcess, client: PodiumClient, uniq: str, caplog: pytest.LogCaptureFixture
) -> None:
    flaky, fatal = f"flaky_{uniq}", f"fatal_{uniq}"

    @worker_task(flaky)
    def flaky_fn(ctx: TaskContext) -> dict[str, int]:
        if ctx.retry_count == 0:
            raise ValueError(f"first attempt of {ctx.task_id} fails")
        return {"attempt": ctx.retry_count}

    @worker_task(fatal)
    def fatal_fn() -> None:
        raise NonRetryableError("account closed")

    defs = [taskdef(flaky, retryCount=1, retryDelaySeconds=0), taskdef(fatal, retryCount=3, retryDelaySeconds=0)]
    name = register(client, uniq, [simple(flaky, "flaky"), simple(fatal, "fatal")], defs)
    caplog.set_level(logging.WARNING, logger="podium.worker")
    with runner([flaky_fn, fatal_fn], server.url):
        run = client.wait_for_workflow(client.start_workflow(name), timeout=20)
    first, retry, terminal = run["tasks"]
    assert first["status"] == "FAILED" and first["reasonForIncompletion"] == f"first attempt of {first['taskId']} fails"
    assert retry["status"] == "COMPLETED" and retry["outputData"] == {"attempt": 1}
    assert terminal["status"] == "FAILED_WITH_TERMINAL_ERROR" and terminal["reasonForIncompletion"] == "account closed"
    assert run["status"] == "FAILED" and len(run["tasks"]) == 3  # no retry of the terminal failure
    [log] = client.get_task_logs(first["taskId"])
    assert "Traceback (most recent call last)" in log["log"] and "ValueError: first attempt" in log["log"]
    failures = [r for r in caplog.records if getattr(r, "task_id", None) == first["taskId"]]
    assert failures and failures[0].workflow_id == run["workflowId"]  # type: ignore[attr-defined]


def test_in_progress_callbacks_resume_with_the_previous_output(
    server: ServerProcess, client: PodiumClient, uniq: str
) -> None:
    t = f"steps_{uniq}"

    @worker_task(t)
    def step(ctx: TaskContext) -> Any:
        steps = ctx.previous_output.get("steps", [])
        if ctx.poll_count < 3:
            return InProgress(callback_after_seconds=0, output={"steps": [*steps, ctx.poll_count]})
        return {"steps": [*steps, ctx.poll_count], "done": True}

    name = register(client, uniq, [simple(t, "t")], [taskdef(t)])
    with runner([step], server.url):
        run = client.wait_for_workflow(client.start_workflow(name), timeout=20)
    [task] = run["tasks"]
    assert task["status"] == "COMPLETED" and task["pollCount"] == 3
    assert task["outputData"] == {"steps": [1, 2, 3], "done": True}


def test_lease_extension_keeps_long_tasks_alive(server: ServerProcess, client: PodiumClient, uniq: str) -> None:
    manual, auto, silent = f"manual_{uniq}", f"auto_{uniq}", f"silent_{uniq}"
    pause = threading.Event()  # never set: waiting on it stands for slow work

    @worker_task(manual)
    def manual_fn(ctx: TaskContext) -> str:
        for _ in range(4):
            pause.wait(0.45)
            ctx.extend_lease()
        return "manual"

    @worker_task(auto, lease_extend=True)
    async def auto_fn() -> str:
        await asyncio.sleep(1.8)
        return "auto"

    @worker_task(silent)
    def silent_fn() -> str:
        pause.wait(1.8)
        return "late"

    defs = [taskdef(n, responseTimeoutSeconds=1) for n in (manual, auto, silent)]
    name = register(
        client,
        uniq,
        [
            {
                "name": "fork",
                "taskReferenceName": "fork",
                "type": "FORK_JOIN",
                "forkTasks": [[simple(manual, "m")], [simple(auto, "a")]],
            },
            {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["m", "a"]},
        ],
        defs,
    )
    control = register(client, f"{uniq}_control", [simple(silent, "s")], [])
    with runner([manual_fn, auto_fn, silent_fn], server.url):
        wid, cid = client.start_workflow(name), client.start_workflow(control)
        run, timed_out = client.wait_for_workflow(wid, timeout=30), client.wait_for_workflow(cid, timeout=30)
    tasks = {t["referenceTaskName"]: t for t in run["tasks"]}
    assert run["status"] == "COMPLETED"
    assert tasks["m"]["status"] == "COMPLETED" and tasks["m"]["outputData"] == {"result": "manual"}
    assert tasks["a"]["status"] == "COMPLETED" and tasks["a"]["outputData"] == {"result": "auto"}
    # The control: without extension the lease runs out and the late result is ignored.
    assert timed_out["status"] == "TIMED_OUT" and timed_out["tasks"][0]["status"] == "TIMED_OUT"


def test_domains_from_decorator_and_environment(server: ServerProcess, client: PodiumClient, uniq: str) -> None:
    by_env, by_code = f"env_{uniq}", f"code_{uniq}"

    @worker_task(by_env)
    def env_fn(ctx: TaskContext) -> dict[str, Any]:
        return {"domain": ctx.domain}

    @worker_task(by_code, domain="green")
    def code_fn(ctx: TaskContext) -> dict[str, Any]:
        return {"domain": ctx.domain}

    name = register(client, uniq, [simple(by_env, "e"), simple(by_code, "c")], [taskdef(by_env), taskdef(by_code)])
    env = {f"PODIUM_WORKER_{env_key(by_env)}_DOMAIN": "blue"}
    plain = client.start_workflow(name)  # no domains: nobody here polls the plain queues
    with runner([env_fn, code_fn], server.url, env=env):
        routed = client.start_workflow(name, task_to_domain={by_env: "blue", by_code: "green"})
        run = client.wait_for_workflow(routed, timeout=20)
        assert [t["outputData"] for t in run["tasks"]] == [{"domain": "blue"}, {"domain": "green"}]
        wait_until(lambda: any(p.get("domain") == "blue" for p in client.poll_data(by_env)), what="poll data")
        waiting = client.get_workflow(plain)["tasks"][0]
        assert waiting["status"] == "SCHEDULED" and waiting.get("pollCount", 0) == 0
    [row] = [p for p in client.poll_data(by_env) if p.get("domain") == "blue"]
    assert row["workerId"] == "test-worker"
    client.terminate_workflow(plain)


def test_pause_and_resume(server: ServerProcess, client: PodiumClient, uniq: str) -> None:
    t = f"pause_{uniq}"

    @worker_task(t, paused=True)
    def fn() -> str:
        return "ran"

    def paused_rounds() -> float:
        return metric("task_paused_total", taskType=t)

    name = register(client, uniq, [simple(t, "t")], [taskdef(t)])
    with runner([fn], server.url) as r:
        first = client.start_workflow(name)
        base = paused_rounds()
        wait_until(lambda: paused_rounds() >= base + 3, what="paused rounds")
        assert client.get_workflow(first)["tasks"][0]["status"] == "SCHEDULED"
        r.resume(t)
        assert client.wait_for_workflow(first, timeout=20)["status"] == "COMPLETED"
        r.pause()
        base = paused_rounds()
        wait_until(lambda: paused_rounds() >= base + 1, what="pause to take effect")
        second = client.start_workflow(name)
        wait_until(lambda: paused_rounds() >= base + 4, what="paused rounds")
        assert client.get_workflow(second)["tasks"][0].get("pollCount", 0) == 0
        assert r.is_paused(t)
        r.resume()
        assert client.wait_for_workflow(second, timeout=20)["status"] == "COMPLETED"


def test_process_executor_runs_functions_in_worker_processes(
    server: ServerProcess, client: PodiumClient, uniq: str
) -> None:
    import cli_workers

    from podium.worker import WorkerTask

    sync_t, async_t = f"proc_{uniq}", f"aproc_{uniq}"
    workers = [
        WorkerTask(sync_t, cli_workers.in_process, executor="process", concurrency=2),
        WorkerTask(async_t, cli_workers.in_process_async, executor="process"),
    ]
    name = register(
        client,
        uniq,
        [simple(sync_t, "p", value=21), simple(async_t, "q", value=5)],
        [taskdef(sync_t), taskdef(async_t)],
    )
    with runner(workers, server.url):
        run = client.wait_for_workflow(client.start_workflow(name), timeout=60)
    p, q = (t["outputData"] for t in run["tasks"])
    assert p["doubled"] == 42 and q["tripled"] == 15
    assert p["pid"] != os.getpid() and q["pid"] != os.getpid()
