"""dispatch: how fast a task reaches a worker that is already waiting in a long poll.

One worker process keeps a long poll open at all times (updates go over a second connection, so the
poll is back on the server before the update is sent). Workflows are started one after another;
measured: start sent → first task received, and a task's update sent → the next task received.

With PostgreSQL and ``--nodes`` above 1 (the largest count given), that many nodes run on the database:
workflows start on node 0, the worker long-polls node 1 and sends its updates to node 2 (node 0 with
two nodes), so every task is pushed on one node and polled on another.
"""

from __future__ import annotations

import asyncio
import queue
import time
from typing import Any

import orjson

from bench.context import Context
from bench.httpc import Connection, run
from bench.stats import Result, latency_stats
from bench.workers import WorkerConfig, WorkerPool
from bench.workloads.linear import LENGTH, linear_input, register_linear

STARTS = 200
WARMUP = 10
LONG_POLL_MS = 1000


def workload(ctx: Context) -> Result:
    res = Result("dispatch")
    count = ctx.count(STARTS, minimum=5)
    wd = ctx.workdir("dispatch")
    n = 1 if ctx.sqlite else max(ctx.opts.nodes)
    servers = ctx.servers(wd, n)
    for s in servers:
        s.launch()
    try:
        for s in servers:
            s.wait_ready()
        srv = servers[0]
        poll_node, update_node = servers[1 % n], servers[2 % n]
        wf_name, task_type = register_linear(srv, ctx, "dispatch")
        cfg = WorkerConfig(
            srv.host,
            poll_node.port,
            task_type,
            pollers=1,
            batch=1,
            poll_timeout_ms=LONG_POLL_MS,
            final_ref=f"t{LENGTH}",
            separate_updates=True,
            update_port=update_node.port,
            report_finals=True,
            record_tasks=True,
        )
        pool = WorkerPool(cfg, 1).start()
        events = pool.shared.events
        try:
            ctx.log(f"dispatch: {count} sequential workflows (+{WARMUP} warm-up)")
            sent_at, start_lat, timeouts = run(_sequential(srv.host, srv.port, wf_name, WARMUP + count, events))
        finally:
            rep = pool.stop()
    finally:
        for s in servers:
            s.stop()
    measured = set(list(sent_at)[WARMUP:])
    first: list[float] = []
    follow: list[float] = []
    by_wf: dict[str, dict[str, tuple[float, float]]] = {}
    for wid, ref, _tid, t_arrive, t_upd, _t_done in rep["task_log"]:
        by_wf.setdefault(wid, {})[ref] = (t_arrive, t_upd)
    for wid in measured:
        refs = by_wf.get(wid, {})
        if "t1" in refs:
            first.append(refs["t1"][0] - sent_at[wid])
        for i in range(1, LENGTH):
            a, b = refs.get(f"t{i}"), refs.get(f"t{i + 1}")
            if a and b:
                follow.append(b[0] - a[1])
    res.metrics.update(
        {
            "workflows": count,
            "start_to_task_samples": len(first),
            **latency_stats(first, "start_to_task"),
            "update_to_next_samples": len(follow),
            **latency_stats(follow, "update_to_next"),
            **latency_stats(start_lat[WARMUP:], "start_request"),
            "timeouts": timeouts,
            "worker_errors": rep.get("errors", 0),
        }
    )
    res.notes.append(
        f"1 worker process, long poll {LONG_POLL_MS} ms always outstanding (batch count 1), updates on a 2nd "
        f"connection; workflows of {LENGTH} SIMPLE tasks started one at a time"
    )
    if n > 1:
        res.config["nodes"] = n
        res.notes.append(f"{n} nodes: start on node 0, long poll on node {1 % n}, updates to node {2 % n}")
    res.notes += rep.get("error_samples", [])
    for kind in ("start_to_task", "update_to_next"):
        res.target(f"{kind}_p50_ms", "<=", 3)
        res.target(f"{kind}_p99_ms", "<=", 15)
    return res


async def _sequential(
    host: str, port: int, wf_name: str, n: int, events: Any
) -> tuple[dict[str, float], list[float], int]:
    """Start ``n`` workflows one at a time, each after the previous one finished."""
    loop = asyncio.get_running_loop()
    conn = await Connection.open(host, port)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    timeouts = 0
    try:
        for i in range(n):
            body = orjson.dumps({"name": wf_name, "input": linear_input(i)})
            t0 = time.monotonic()
            status, raw = await conn.request("POST", "/api/workflow", body)
            latencies.append(time.monotonic() - t0)
            if status != 200:
                raise RuntimeError(f"start failed: HTTP {status}: {raw[:300]!r}")
            wid = raw.decode()
            sent_at[wid] = t0
            while True:
                try:
                    done = await loop.run_in_executor(None, events.get, True, 10.0)
                except queue.Empty:
                    timeouts += 1
                    break
                if done == wid:
                    break
    finally:
        conn.close()
    return sent_at, latencies, timeouts
