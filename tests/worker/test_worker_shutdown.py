"""Graceful shutdown of `podium worker` on SIGTERM, and results kept across a server restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from workerkit import metric, register, runner, simple, taskdef

from conftest import ServerProcess, wait_until
from podium.client import PodiumClient
from podium.worker import TaskContext, worker_task

HERE = Path(__file__).resolve().parent


def start_cli(server: ServerProcess, task: str, folder: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = folder / "worker.log"
    env = {**os.environ, "PODIUM_TEST_BLOCKING_TASK": task, "PODIUM_TEST_DIR": str(folder)}
    cmd = [
        sys.executable,
        "-m",
        "podium.cli.main",
        "worker",
        "cli_workers",
        "--server",
        server.url,
        "--poll-timeout-ms",
        "100",
        "--worker-id",
        "cli-worker",
        *args,
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=HERE, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def started(folder: Path) -> list[str]:
    return sorted(p.name.removeprefix("started-") for p in folder.glob("started-*"))


def test_sigterm_finishes_in_flight_tasks_and_posts_them(server: ServerProcess, tmp_path: Path, uniq: str) -> None:
    t = f"block_{uniq}"
    with PodiumClient(server.url) as api:
        name = register(api, uniq, [simple(t, "t")], [taskdef(t)])
        first = [api.start_workflow(name) for _ in range(2)]
        proc, log = start_cli(server, t, tmp_path)
        try:
            wait_until(lambda: len(started(tmp_path)) == 2, timeout=30, what="both tasks to start")
            proc.send_signal(signal.SIGTERM)
            wait_until(
                lambda: b"stopping: no new polls; waiting for 2 in-flight tasks" in log.read_bytes(),
                what="the stop to begin",
            )
            late = api.start_workflow(name)  # must not be picked up any more
            (tmp_path / "release").touch()
            assert proc.wait(30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
        runs = [api.get_workflow(w) for w in first]
        assert [r["status"] for r in runs] == ["COMPLETED", "COMPLETED"]
        assert sorted(r["tasks"][0]["outputData"]["finished"] for r in runs) == started(tmp_path)
        assert {r["tasks"][0]["workerId"] for r in runs} == {"cli-worker"}
        pending = api.get_workflow(late)["tasks"][0]
        assert pending["status"] == "SCHEDULED" and pending.get("pollCount", 0) == 0
        assert "worker cli-worker stopped" in log.read_text()
        api.terminate_workflow(late)


def test_a_second_sigterm_forces_the_exit(server: ServerProcess, tmp_path: Path, uniq: str) -> None:
    t = f"force_{uniq}"
    with PodiumClient(server.url) as api:
        name = register(api, uniq, [simple(t, "t")], [taskdef(t)])
        wid = api.start_workflow(name)
        proc, log = start_cli(server, t, tmp_path, "--log-format", "json")
        try:
            wait_until(lambda: len(started(tmp_path)) == 1, timeout=30, what="the task to start")
            proc.send_signal(signal.SIGTERM)
            wait_until(lambda: b"stopping" in log.read_bytes(), what="the stop to begin")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 1
        finally:
            if proc.poll() is None:
                proc.kill()
        entries = [json.loads(line) for line in log.read_text().splitlines()]  # JSON lines, nothing else
        assert any(e["message"] == "second stop signal: abandoning in-flight tasks" for e in entries)
        assert {e["logger"] for e in entries} == {"podium.worker"}
        assert api.get_workflow(wid)["tasks"][0]["status"] == "IN_PROGRESS"  # never answered
        api.terminate_workflow(wid)


def test_results_held_while_the_server_restarts_are_not_lost(tmp_path: Path, uniq: str) -> None:
    hold_t, then_t = f"hold_{uniq}", f"then_{uniq}"
    release = threading.Event()
    executed: Counter[str] = Counter()

    @worker_task(hold_t, concurrency=3)
    def hold(ctx: TaskContext) -> dict[str, Any]:
        executed[ctx.task_id] += 1
        release.wait(60)
        return {"held": ctx.task_id}

    @worker_task(then_t, concurrency=3)
    def then(previous: str) -> dict[str, Any]:
        return {"after": previous}

    db = tmp_path / "restart.db"
    srv = ServerProcess(db).start()
    again: ServerProcess | None = None
    try:
        with PodiumClient(srv.url) as api:
            name = register(
                api,
                uniq,
                [simple(hold_t, "h"), simple(then_t, "t", previous="${h.output.held}")],
                [taskdef(hold_t), taskdef(then_t)],
            )
            ids = [api.start_workflow(name) for _ in range(3)]
            with runner([hold, then], srv.url, error_backoff=(0.05, 0.3)):
                wait_until(lambda: len(executed) == 3, what="three tasks in flight")
                srv.kill()
                before = metric("task_update_error_total", taskType=hold_t, exception="ServerUnavailable")
                release.set()
                wait_until(
                    lambda: (
                        metric("task_update_error_total", taskType=hold_t, exception="ServerUnavailable") >= before + 3
                    ),
                    what="every result to fail once",
                )
                again = ServerProcess(db)
                again.port, again.url = srv.port, srv.url  # the same address: the worker keeps its URL
                again.start()
                runs = [api.wait_for_workflow(w, timeout=30) for w in ids]
        assert [r["status"] for r in runs] == ["COMPLETED"] * 3
        for r in runs:
            h, t = r["tasks"]
            assert h["outputData"] == {"held": h["taskId"]} and t["outputData"] == {"after": h["taskId"]}
        assert sorted(executed.values()) == [1, 1, 1]  # posted late, never executed twice
    finally:
        srv.stop()
        if again is not None:
            again.stop()
