"""retention: linear-5 while the retention loop removes a backlog of expired workflows beside it.

The store is filled (server stopped, as in ``history``) with clones of a completed workflow whose start
times spread over the last 60 days; the server then runs with ``PODIUM_RETENTION=7d``, so most of
them are expired, and its retention loop removes them batch by batch while linear-5 runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from bench.context import Context
from bench.server import Server
from bench.stats import Result
from bench.workloads.history import _run_one
from bench.workloads.linear import WORKFLOWS, compared_with_linear5, register_linear, run_linear

BACKLOG = 60_000
SPAN_DAYS = 60
RETENTION = "7d"


def workload(ctx: Context) -> Result:
    return compared_with_linear5(ctx, _once, "vs_linear5")


def _total(url: str) -> int:
    r = httpx.get(f"{url}/api/workflow/search", params={"size": 0}, timeout=60)
    r.raise_for_status()
    return int(r.json()["totalHits"])


def _once(ctx: Context, index: int, base_tps: float | None) -> Result:
    res = Result("retention")
    size = ctx.count(BACKLOG)
    wd = ctx.workdir("retention" if index == 0 else f"retention-{index + 1}")
    # Retention off while the template runs and the store is filled; on (7 days, a pass a second) for the run.
    srv = ctx.server(wd)
    with srv:
        hist_name, hist_type = register_linear(srv, ctx, "retained")
        live_name, live_type = register_linear(srv, ctx, "linear5r")
        template = _run_one(srv, hist_name, hist_type)
    ctx.log(f"retention: inserting {size:,} completed workflows over {SPAN_DAYS} days (server stopped)")
    filled = _fill_span(srv, template, size)
    res.metrics["backlog_workflows"] = size
    res.metrics["insert_s"] = round(filled, 1)
    on = ctx.server(wd, env={"PODIUM_RETENTION": RETENTION, "PODIUM_RETENTION_INTERVAL_MS": "1000"})
    t0 = time.monotonic()  # the retention loop starts with the server
    with on:
        count = ctx.count(WORKFLOWS)
        ctx.log(f"retention: linear-5 ({count} workflows) while retention removes the expired ones")
        metrics, notes = run_linear(ctx, on, live_name, live_type, count, label="retention")
        total_after = _total(on.url)
        run_s = time.monotonic() - t0
        left = httpx.get(f"{on.url}/api/admin/retention", params={"examples": 0}, timeout=60).json()
    warm = min(100, max(2, count // 20))  # run_linear's warm-up workflows
    removed = size + 1 + warm + count - total_after  # backlog, template, warm-up and run, less what is left
    res.metrics["removed_from_start_to_end"] = removed
    res.metrics["removed_per_s"] = round(removed / max(1e-9, run_s))
    res.metrics["expired_left_after_run"] = f"{left['count']}{'+' if left['capped'] else ''}"
    for k in (
        "tasks_per_s",
        "workflows_per_s",
        "server_cpu_ms_per_task",
        "e2e_p50_ms",
        "e2e_p99_ms",
        "poll_p99_ms",
        "update_p50_ms",
        "update_p99_ms",
        "start_p99_ms",
        "completed",
        "other_cpu_s",
    ):
        res.metrics[k] = metrics.get(k)
    res.notes += notes[1:]
    tps = metrics.get("tasks_per_s")
    ratio = tps / base_tps if tps and base_tps else None
    res.metrics["vs_linear5"] = round(ratio, 3) if ratio is not None else None
    res.notes.append(f"linear-5 without retention: {base_tps} tasks/s (same bench run)")
    res.notes.append(
        f"backlog: {size:,} completed workflows started over {SPAN_DAYS} days, PODIUM_RETENTION={RETENTION}"
    )
    res.target("vs_linear5", ">=", 0.9)
    return res


def _fill_span(srv: Server, template: str, size: int) -> float:
    """Insert the clones in a child process with the server's code; returns the seconds it took."""
    cmd = [sys.executable, "-m", "bench.history_fill", srv.db_url, template, str(size), str(SPAN_DAYS)]
    out = subprocess.run(cmd, env=srv.env, capture_output=True, text=True, check=False, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"backlog fill failed: {out.stderr[-2000:]}")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
