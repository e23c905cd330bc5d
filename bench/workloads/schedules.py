"""schedules: 1,000 workflow schedules firing every minute (issue #15).

Measures what the schedules cost while nothing is due (server CPU between two fire rounds, against the
same server idle before any schedule existed) and how late the fires are: per fire, the time the
workflow started (the execution's ``executionTime``) minus its scheduled time, over two rounds.

At ``--scale`` below 1 the schedules fire every 5 s instead of every minute (the smoke test).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.context import Context, CpuMeter
from bench.stats import Result, latency_stats

SCHEDULES = 1000
CONCURRENCY_NOTE = "schedules created one by one over one connection"


def _round_of(api: httpx.Client, name_prefix: str, count: int) -> list[dict[str, Any]]:
    """Every execution of the run's schedules so far (paged: a search answers at most 1000)."""
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        page = api.get("/scheduler/search/executions", params={"start": start, "size": 1000}).json()
        rows = [r for r in page["results"] if str(r.get("scheduleName", "")).startswith(name_prefix)]
        out += rows
        start += 1000
        if start >= page["totalHits"] or start >= count * 4:
            return out


def _wait_for(api: httpx.Client, prefix: str, count: int, rounds: int, deadline_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + deadline_s
    while True:
        rows = _round_of(api, prefix, count)
        if len(rows) >= count * rounds or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def workload(ctx: Context) -> Result:
    res = Result("schedules")
    count = ctx.count(SCHEDULES, minimum=10)
    period_s = 60 if ctx.opts.scale >= 1 else 5
    cron = "0 * * * * *" if period_s == 60 else "*/5 * * * * *"
    idle_s = min(20.0, period_s / 2)
    wd = ctx.workdir("schedules")
    with ctx.server(wd) as srv, httpx.Client(base_url=srv.url + "/api", timeout=60) as api:
        wf = ctx.name("scheduled")
        wd_body = {"name": wf, "version": 1, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}
        r = api.post("/metadata/workflow", json=wd_body)
        if r.status_code not in (200, 204):
            return res.skip(f"could not register the workflow: {r.status_code} {r.text[:200]}")
        # The same server idle, before any schedule exists: the baseline.
        time.sleep(1.0)
        meter = CpuMeter(srv.pid)
        time.sleep(idle_s)
        baseline = meter.stop(1, "run")
        prefix = f"{wf}_s"
        ctx.log(f"schedules: creating {count} schedules ({cron})")
        for i in range(count):
            body = {"name": f"{prefix}{i:05d}", "cronExpression": cron, "startWorkflowRequest": {"name": wf}}
            r = api.post("/scheduler/schedules", json=body)
            if r.status_code != 200:
                return res.skip(f"the scheduler API refused a schedule: {r.status_code} {r.text[:200]}")
        first = _wait_for(api, prefix, count, 1, period_s * 2 + 30)
        if len(first) < count:
            return res.fail(f"only {len(first)} of {count} schedules fired in the first round")
        round_at = max(e["scheduledTime"] for e in first)
        # Between fires: from a second after the first round ended to a second before the next.
        settle = max(0.0, (round_at + 1000) / 1000 - time.time()) + 1.0
        time.sleep(settle)
        window = max(1.0, (round_at + period_s * 1000) / 1000 - time.time() - 1.0)
        window = min(window, idle_s)
        meter = CpuMeter(srv.pid)
        time.sleep(window)
        between = meter.stop(1, "run")
        rows = _wait_for(api, prefix, count, 2, period_s * 2 + 30)
    lateness = [(e["executionTime"] - e["scheduledTime"]) / 1000.0 for e in rows]
    per_round: dict[int, list[float]] = {}
    for e in rows:
        per_round.setdefault(e["scheduledTime"], []).append((e["executionTime"] - e["scheduledTime"]) / 1000.0)
    base_util = (baseline["server_cpu_s"] or 0.0) / idle_s
    between_util = (between["server_cpu_s"] or 0.0) / window
    m: dict[str, Any] = {
        "schedules": count,
        "period_s": period_s,
        "fires": len(rows),
        "failed_fires": sum(1 for e in rows if e.get("state") != "EXECUTED"),
        **latency_stats(lateness, "lateness"),
        "round_spread_max_ms": round(max((max(v) - min(v)) * 1000 for v in per_round.values()), 1),
        "idle_cpu_ms_per_s_before": round(1000 * base_util, 3),
        "idle_cpu_ms_per_s_between_fires": round(1000 * between_util, 3),
        "idle_cpu_added_ms_per_s": round(1000 * (between_util - base_util), 3),
        "between_window_s": round(window, 1),
    }
    res.metrics.update(m)
    res.notes.append(
        "lateness = executionTime - scheduledTime of each fire (server clock; the workflow starts in the same "
        "transaction); idle CPU = the server's CPU while no fire is due, per second of wall time"
    )
    res.notes.append(CONCURRENCY_NOTE)
    res.target("lateness_p99_ms", "<=", 1000)
    res.target("idle_cpu_added_ms_per_s", "<=", 5)
    return res
