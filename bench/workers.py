"""Worker processes: real HTTP clients of the task API (batch long-poll, then update each task).

Each process runs ``pollers`` concurrent poll loops on uvloop, each with its own keep-alive
connection. A poll loop polls a batch, completes its tasks one update at a time, and polls again —
or, with ``separate_updates``, hands the tasks to an updater on another connection and is back in a
long poll at once (the dispatch-latency workload measures that path).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue as queue_mod
import time
from dataclasses import dataclass, replace
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import orjson

from bench.httpc import Connection, ConnectionLost, connect_retry, run

_mono = time.monotonic


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """What one worker process does."""

    host: str
    port: int
    task_type: str
    pollers: int = 4
    batch: int = 8
    poll_timeout_ms: int = 100
    final_ref: str | None = None  # the reference whose completion finishes a workflow
    separate_updates: bool = False
    update_port: int | None = None  # with separate_updates: send updates to this node instead (dispatch, nodes)
    reconnect_s: float = 0.0  # how long to keep retrying an unreachable server (crash workload)
    report_finals: bool = False  # put each finished workflow id on the events queue
    record_tasks: bool = False  # return per-task timings and ids


class Shared:
    """Counters and the stop flag, shared with the worker processes."""

    def __init__(self, ctx: SpawnContext) -> None:
        # Flags are read on every request, so they are lock-free; counters take a lock to add.
        self.stop: Any = ctx.RawValue("b", 0)
        self.measuring: Any = ctx.RawValue("b", 1)
        self.tasks_done: Synchronized[int] = ctx.Value("q", 0)
        self.wf_done: Synchronized[int] = ctx.Value("q", 0)
        self.ready: Synchronized[int] = ctx.Value("q", 0)
        self.events: mp.Queue[Any] = ctx.Queue()
        self.results: mp.Queue[Any] = ctx.Queue()


class _Worker:
    def __init__(self, cfg: WorkerConfig, shared: Shared, index: int) -> None:
        self.cfg = cfg
        self.shared = shared
        self.worker_id = f"bench-{os.getpid()}-{index}"
        self.poll_s: list[float] = []
        self.poll_hit_s: list[float] = []
        self.update_s: list[float] = []
        self.arrivals: list[float] = []
        self.finals: list[tuple[str, float]] = []
        self.task_log: list[tuple[str, str, str, float, float, float]] = []
        self.polls = 0
        self.empty_polls = 0
        self.tasks = 0
        self.errors = 0
        self.error_samples: list[str] = []
        self.reconnects = 0
        self.path = (
            f"/api/tasks/poll/batch/{cfg.task_type}?count={cfg.batch}&timeout={cfg.poll_timeout_ms}"
            f"&workerid={self.worker_id}"
        )

    def _error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])

    async def _call(
        self, conn: Connection, method: str, path: str, body: bytes | None
    ) -> tuple[Connection, int, bytes]:
        """One request; a lost connection is reopened and the request sent again within reconnect_s."""
        while True:
            try:
                status, raw = await conn.request(method, path, body)
                return conn, status, raw
            except ConnectionLost as e:
                if self.cfg.reconnect_s <= 0 or self.shared.stop.value:
                    raise
                self._error(f"connection lost: {e}")
                conn.close()
                loop = asyncio.get_running_loop()
                conn = await connect_retry(self.cfg.host, self.cfg.port, loop.time() + self.cfg.reconnect_s)
                self.reconnects += 1

    async def _update(self, conn: Connection, task: dict[str, Any], t_arrive: float) -> Connection:
        inp = task.get("inputData") or {}
        x = inp.get("x")
        body = orjson.dumps(
            {
                "workflowInstanceId": task["workflowInstanceId"],
                "taskId": task["taskId"],
                "status": "COMPLETED",
                "outputData": {"x": x + 1 if isinstance(x, int) else 1},
                "workerId": self.worker_id,
            }
        )
        t0 = _mono()
        conn, status, raw = await self._call(conn, "POST", "/api/tasks", body)
        t1 = _mono()
        if self.shared.measuring.value:
            self.update_s.append(t1 - t0)
        if status != 200:
            self._error(f"update {status}: {raw[:200]!r}")
            return conn
        self.tasks += 1
        shared = self.shared
        with shared.tasks_done.get_lock():
            shared.tasks_done.value += 1
        wid = task["workflowInstanceId"]
        ref = task.get("referenceTaskName", "")
        if self.cfg.record_tasks:
            self.task_log.append((wid, ref, task["taskId"], t_arrive, t0, t1))
        if ref == self.cfg.final_ref:
            self.finals.append((wid, t1))
            with shared.wf_done.get_lock():
                shared.wf_done.value += 1
            if self.cfg.report_finals:
                shared.events.put(wid)
        return conn

    async def poll_loop(self, handoff: asyncio.Queue[tuple[dict[str, Any], float]] | None) -> None:
        loop = asyncio.get_running_loop()
        conn = await connect_retry(self.cfg.host, self.cfg.port, loop.time() + max(5.0, self.cfg.reconnect_s))
        with self.shared.ready.get_lock():
            self.shared.ready.value += 1
        stop = self.shared.stop
        try:
            while not stop.value:
                t0 = _mono()
                try:
                    conn, status, raw = await self._call(conn, "GET", self.path, None)
                except ConnectionLost:
                    if stop.value:
                        return
                    raise
                t1 = _mono()
                self.polls += 1
                measuring = self.shared.measuring.value
                if measuring:
                    self.poll_s.append(t1 - t0)
                if status != 200:
                    self._error(f"poll {status}: {raw[:200]!r}")
                    await asyncio.sleep(0.05)
                    continue
                tasks = orjson.loads(raw)
                if not tasks:
                    self.empty_polls += 1
                    continue
                self.arrivals.append(t1)
                if measuring:
                    self.poll_hit_s.append(t1 - t0)
                for task in tasks:
                    if handoff is not None:
                        handoff.put_nowait((task, t1))
                    else:
                        conn = await self._update(conn, task, t1)
        finally:
            conn.close()

    async def update_loop(self, handoff: asyncio.Queue[tuple[dict[str, Any], float]]) -> None:
        loop = asyncio.get_running_loop()
        conn = await connect_retry(self.cfg.host, self.cfg.update_port or self.cfg.port, loop.time() + 5.0)
        try:
            while True:
                task, t_arrive = await handoff.get()
                conn = await self._update(conn, task, t_arrive)
        finally:
            conn.close()

    def report(self) -> dict[str, Any]:
        return {
            "poll_s": self.poll_s,
            "poll_hit_s": self.poll_hit_s,
            "update_s": self.update_s,
            "arrivals": self.arrivals,
            "finals": self.finals,
            "task_log": self.task_log,
            "polls": self.polls,
            "empty_polls": self.empty_polls,
            "tasks": self.tasks,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "reconnects": self.reconnects,
        }


async def _serve(cfg: WorkerConfig, shared: Shared) -> dict[str, Any]:
    workers = [_Worker(cfg, shared, i) for i in range(cfg.pollers)]
    jobs: list[asyncio.Task[None]] = []
    updaters: list[asyncio.Task[None]] = []
    for w in workers:
        handoff: asyncio.Queue[tuple[dict[str, Any], float]] | None = None
        if cfg.separate_updates:
            handoff = asyncio.Queue()
            updaters.append(asyncio.create_task(w.update_loop(handoff)))
        jobs.append(asyncio.create_task(w.poll_loop(handoff)))
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    for u in updaters:
        u.cancel()
    await asyncio.gather(*updaters, return_exceptions=True)
    merged = merge([w.report() for w in workers])
    for o in outcomes:
        if isinstance(o, BaseException):
            merged["errors"] += 1
            merged["error_samples"].append(f"poller died: {o!r}"[:300])
    return merged


def _process_main(cfg: WorkerConfig, shared: Shared) -> None:
    out = run(_serve(cfg, shared))
    out["cpu_s"] = time.process_time()
    shared.results.put(out)


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate lists and add up numbers across reports."""
    out: dict[str, Any] = {}
    for rep in reports:
        for k, v in rep.items():
            if isinstance(v, list):
                out.setdefault(k, []).extend(v)
            else:
                out[k] = out.get(k, 0) + v
    return out


class WorkerPool:
    """``procs`` worker processes with one configuration; with ``ports``, process i uses ports[i % len]."""

    def __init__(self, cfg: WorkerConfig, procs: int, ports: list[int] | None = None) -> None:
        self.cfg = cfg
        self.ports = ports or [cfg.port]
        self.ctx = mp.get_context("spawn")
        self.shared = Shared(self.ctx)
        self.procs: list[SpawnProcess] = []
        self.n = procs

    def start(self, timeout: float = 30.0) -> WorkerPool:
        for i in range(self.n):
            cfg = replace(self.cfg, port=self.ports[i % len(self.ports)])
            p = self.ctx.Process(target=_process_main, args=(cfg, self.shared), daemon=True)
            p.start()
            self.procs.append(p)
        deadline = _mono() + timeout
        while self.shared.ready.value < self.n * self.cfg.pollers:
            if _mono() > deadline or any(p.exitcode not in (None, 0) for p in self.procs):
                self.terminate()
                raise RuntimeError("worker processes did not connect")
            time.sleep(0.01)
        return self

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def stop(self, timeout: float = 30.0) -> dict[str, Any]:
        """Stop polling, collect every process's report (merged)."""
        self.shared.stop.value = 1
        reports: list[dict[str, Any]] = []
        deadline = _mono() + timeout
        while len(reports) < len(self.procs):
            try:
                reports.append(self.shared.results.get(timeout=max(0.1, deadline - _mono())))
            except queue_mod.Empty:
                break
        for p in self.procs:
            p.join(max(0.1, deadline - _mono()))
        self.terminate()
        out = merge(reports) if reports else merge([_Worker(self.cfg, self.shared, 0).report()])
        out["processes_reported"] = len(reports)
        out.setdefault("cpu_s", 0.0)
        return out

    def terminate(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.kill()
                p.join(5)
