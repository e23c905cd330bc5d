"""history: linear-5 and workflow search again, with many completed workflows in the store.

The completed workflows are clones of one real execution, written straight through the store API
(bench/history_fill.py) while the server is stopped — far faster than running them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.api import Setup
from bench.context import Context
from bench.httpc import run
from bench.loadgen import qs, timed_gets
from bench.server import Server
from bench.stats import Result, latency_stats, percentile
from bench.workloads.linear import (
    LENGTH,
    WORKFLOWS,
    compared_with_linear5,
    linear_input,
    register_linear,
    run_linear,
)

SEARCH_REPEAT = 25
DAY_MS = 86_400_000


def workload(ctx: Context) -> Result:
    return compared_with_linear5(ctx, _once, "vs_empty_store")


def _once(ctx: Context, index: int, base_tps: float | None) -> Result:
    res = Result("history")
    size = ctx.count(ctx.opts.history_size)
    wd = ctx.workdir("history" if index == 0 else f"history-{index + 1}")
    srv = ctx.server(wd)
    with srv:
        hist_name, hist_type = register_linear(srv, ctx, "history")
        live_name, live_type = register_linear(srv, ctx, "linear5h")
        template = _run_one(srv, hist_name, hist_type)
    ctx.log(f"history: inserting {size:,} completed workflows (server stopped)")
    filled = _fill(srv, template, size)
    res.metrics["history_workflows"] = size
    res.metrics["insert_s"] = round(filled["seconds"], 1)
    res.metrics["insert_per_s"] = round(size / max(1e-9, filled["seconds"]))
    res.metrics["settle_s"] = round(filled.get("settle_seconds", 0.0), 1)
    with srv:
        count = ctx.count(WORKFLOWS)
        ctx.log(f"history: linear-5 ({count} workflows) on the filled store")
        metrics, notes = run_linear(ctx, srv, live_name, live_type, count, label="history")
        ctx.log("history: search")
        queries = _queries(hist_name, filled, size)
        lat = run(timed_gets(srv.host, srv.port, list(queries.values()), SEARCH_REPEAT))
        totals = _total_hits(srv, queries)
    for k in (
        "tasks_per_s",
        "workflows_per_s",
        "server_cpu_ms_per_task",
        "e2e_p50_ms",
        "e2e_p99_ms",
        "update_p50_ms",
        "update_p99_ms",
        "start_p50_ms",
        "start_p99_ms",
        "completed",
        "other_cpu_s",
    ):
        res.metrics[k] = metrics.get(k)
    res.notes += notes[1:]
    every = [v for vs in lat.values() for v in vs]
    res.metrics.update(latency_stats(every, "search"))
    for label, path in queries.items():
        vs = lat[path]
        res.metrics[f"search_{label}_p50_ms"] = round(1000 * (percentile(vs, 50) or 0), 2)
        res.metrics[f"search_{label}_p99_ms"] = round(1000 * (percentile(vs, 99) or 0), 2)
    res.metrics["search_total_hits"] = totals
    tps = metrics.get("tasks_per_s")
    ratio = tps / base_tps if tps and base_tps else None
    res.metrics["vs_empty_store"] = round(ratio, 3) if ratio is not None else None
    res.notes.append(f"empty-store linear-5: {base_tps} tasks/s (same bench run)")
    res.notes.append(
        f"search: {len(queries)} queries x {SEARCH_REPEAT}, sequential on one connection: " + ", ".join(queries)
    )
    res.target("vs_empty_store", ">=", 0.9)
    res.target("search_p99_ms", "<=", 100)
    return res


def _run_one(srv: Server, wf_name: str, task_type: str) -> str:
    """One real workflow, completed by hand: the template of the history."""
    with Setup(srv.url) as s:
        wid = s.start(wf_name, linear_input(0))
        for _ in range(LENGTH):
            tasks = s.poll(task_type, 1, 2000)
            if not tasks:
                raise RuntimeError("template workflow: no task to poll")
            x = (tasks[0].get("inputData") or {}).get("x", 0)
            s.complete(tasks[0], {"x": x + 1})
        wf = s.workflow(wid)
        if wf.get("status") != "COMPLETED":
            raise RuntimeError(f"template workflow ended {wf.get('status')}")
    return wid


def _fill(srv: Server, template: str, size: int) -> dict[str, Any]:
    """Run the bulk insert in a child process with the server's code and environment."""
    cmd = [sys.executable, "-m", "bench.history_fill", srv.db_url, template, str(size)]
    out = subprocess.run(cmd, env=srv.env, capture_output=True, text=True, check=False, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"history fill failed: {out.stderr[-2000:]}")
    filled: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return filled


def _queries(hist_name: str, filled: dict[str, Any], size: int) -> dict[str, str]:
    """Typical UI and API searches, against the history."""
    mid = (filled["first_start"] + filled["last_start"]) // 2
    some_id = filled["sample_ids"][len(filled["sample_ids"]) // 2]
    order = f"order-{size // 3}"
    base = "/api/workflow/search?"
    return {
        "recent": base + qs(start=0, size=100, sort="startTime:DESC", freeText="*"),
        "type_status": base
        + qs(
            start=0,
            size=100,
            sort="startTime:DESC",
            freeText="*",
            query=f"workflowType IN ({hist_name}) AND status IN (COMPLETED)",
        ),
        "running": base + qs(start=0, size=100, freeText="*", query="status IN (RUNNING)"),
        "time_window": base + qs(start=0, size=100, query=f"startTime > {mid} AND startTime < {mid + DAY_MS}"),
        "correlation": base + qs(start=0, size=100, query=f"correlationId = '{order}'"),
        "workflow_id": base + qs(start=0, size=100, query=f"workflowId = '{some_id}'"),
        "page_11": base + qs(start=1000, size=100, sort="startTime:DESC", freeText="*"),
        "free_text": base + qs(start=0, size=100, freeText=order),
    }


def _total_hits(srv: Server, queries: dict[str, str]) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {}
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        for label, path in queries.items():
            r = c.get(path)
            out[label] = r.json().get("totalHits") if r.status_code == 200 else f"HTTP {r.status_code}"
    return out
