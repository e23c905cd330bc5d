"""memory: server RSS with many RUNNING workflows, each waiting on its first task (no workers)."""

from __future__ import annotations

import random

from bench.context import Context
from bench.httpc import run
from bench.loadgen import fetch_workflows, start_workflows
from bench.stats import Result, latency_stats
from bench.workloads.linear import linear_input, register_linear

WORKFLOWS = 10_000
MB = 1024 * 1024


def workload(ctx: Context) -> Result:
    res = Result("memory")
    count = ctx.count(WORKFLOWS)
    wd = ctx.workdir("memory")
    with ctx.server(wd) as srv:
        wf_name, _task_type = register_linear(srv, ctx, "memory")
        idle = srv.memory()
        ctx.log(f"memory: starting {count} workflows, no workers")
        starts = run(start_workflows(srv.host, srv.port, wf_name, linear_input, count, concurrency=4))
        loaded = srv.memory()
        sample = random.Random(3).sample(starts.ids, min(50, len(starts.ids)))
        seen = run(fetch_workflows(srv.host, srv.port, sample))
        after_reads = srv.memory()
    running = sum(1 for w in seen.values() if isinstance(w, dict) and w.get("status") == "RUNNING")
    n = max(1, len(starts.ids))
    res.metrics.update(
        {
            "workflows": count,
            "started": len(starts.ids),
            "running_in_sample": f"{running}/{len(sample)}",
            "rss_idle_mb": round(idle["VmRSS"] / MB, 1),
            "rss_mb": round(max(loaded["VmRSS"], after_reads["VmRSS"]) / MB, 1),
            "rss_growth_mb": round((loaded["VmRSS"] - idle["VmRSS"]) / MB, 1),
            "peak_rss_mb": round(after_reads["VmHWM"] / MB, 1),
            "kb_per_workflow": round((loaded["VmRSS"] - idle["VmRSS"]) / 1024 / n, 2),
            "starts_per_s": round(n / max(1e-9, starts.last_done - starts.first_sent), 1),
            **latency_stats(starts.latency_s, "start"),
            "start_errors": starts.errors,
        }
    )
    res.notes += starts.error_samples
    res.notes.append("RSS = VmRSS of the server process from /proc; peak = VmHWM")
    res.target("rss_mb", "<=", 300)
    return res
