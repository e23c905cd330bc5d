"""system-only: workflows of server-side tasks only — decider throughput with no workers at all.

SET_VARIABLE → INLINE (JavaScript) → SWITCH (value-param) → JSON_JQ_TRANSFORM or SET_VARIABLE.
"""

from __future__ import annotations

from typing import Any

import httpx

from bench.api import ApiError, Setup, system_def, system_input
from bench.context import Context, CpuMeter
from bench.httpc import run
from bench.loadgen import await_terminal, start_workflows
from bench.stats import Result, latency_stats
from bench.workloads.fanout import why_not_completed

WORKFLOWS = 2000
CONCURRENCY = 4


def workload(ctx: Context) -> Result:
    res = Result("system-only")
    count = ctx.count(WORKFLOWS)
    wd = ctx.workdir("system-only")
    note = "SET_VARIABLE/INLINE/SWITCH/JSON_JQ_TRANSFORM not all available yet"
    with ctx.server(wd) as srv:
        wf_name = ctx.name("system")
        with Setup(srv.url) as s:
            try:
                s.workflow_def(system_def(wf_name))
                probe = [s.start(wf_name, system_input(i)) for i in range(2)]
            except ApiError as e:
                return res.skip(f"{note}: {e}")
        run(await_terminal(srv.host, srv.port, probe, 3))
        with Setup(srv.url) as s:
            for wid in probe:
                wf = s.workflow(wid, include_tasks=True)
                if wf.get("status") != "COMPLETED":
                    return res.skip(f"{note}: probe workflow {why_not_completed(wf)}")
        ctx.log(f"system-only: {count} workflows over {CONCURRENCY} connections")
        meter = CpuMeter(srv.pid)
        starts = run(start_workflows(srv.host, srv.port, wf_name, system_input, count, concurrency=CONCURRENCY))
        cpu = meter.stop(len(starts.ids), "workflow")
        final = run(await_terminal(srv.host, srv.port, starts.ids, ctx.opts.wait_s))
        evaluations = script_evaluations(srv.url)
    done = [w for w in final.values() if isinstance(w, dict) and w.get("status") == "COMPLETED"]
    wall_ms = max((w.get("endTime") or 0 for w in done), default=0) - min((w["startTime"] for w in done), default=0)
    wall = max(wall_ms, 1) / 1000.0
    client_wall = max(1e-9, starts.last_done - starts.first_sent)
    m: dict[str, Any] = {
        "workflows": count,
        "completed": len(done),
        "wall_s": round(wall, 3),
        "workflows_per_s": round(len(done) / wall, 1) if done else None,
        "client_workflows_per_s": round(len(starts.ids) / client_wall, 1),
        **latency_stats(starts.latency_s, "start"),
        **cpu,
        "start_errors": starts.errors,
        **evaluations,
    }
    res.metrics.update(m)
    not_done = [w for w in final.values() if not (isinstance(w, dict) and w.get("status") == "COMPLETED")]
    if not_done:
        res.notes.append(f"{len(not_done)} workflows did not complete, e.g. {why_not_completed(not_done[0])}")
    res.notes += starts.error_samples + meter.note(cpu)
    res.notes.append("wall = first startTime to last endTime as recorded by the server")
    res.target("workflows_per_s", ">=", 500)
    return res


def script_evaluations(url: str) -> dict[str, float]:
    """The server's script evaluations by outcome (answered at once / in the background / killed)."""
    text = httpx.get(url + "/metrics", timeout=10).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("script_evaluations_total{"):
            outcome = line.split('outcome="', 1)[1].split('"', 1)[0]
            out[f"evaluations_{outcome}"] = float(line.rsplit(" ", 1)[1])
    return out
