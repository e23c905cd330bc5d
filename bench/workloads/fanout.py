"""fanout: workflows that are one FORK_JOIN_DYNAMIC of 100 SIMPLE tasks plus a JOIN."""

from __future__ import annotations

import time
from typing import Any

from bench.api import ApiError, Setup, fanout_def, task_def
from bench.context import Context, CpuMeter
from bench.httpc import run
from bench.loadgen import await_terminal, start_workflows, wait_until
from bench.server import Server
from bench.stats import Result, latency_stats
from bench.workers import WorkerConfig, WorkerPool
from bench.workloads.linear import compared_with_linear5

WORKFLOWS = 20
WIDTH = 100


def fanout_input(i: int) -> dict[str, Any]:
    return {"items": [{"x": j, "batch": i} for j in range(WIDTH)]}


def why_not_completed(wf: Any) -> str:
    """A one-line account of a workflow that did not complete."""
    if not isinstance(wf, dict):
        return str(wf)[:300]
    reason = wf.get("reasonForIncompletion") or ""
    bad = [
        f"{t.get('referenceTaskName')}:{t.get('taskType')}={t.get('status')} {t.get('reasonForIncompletion') or ''}"
        for t in wf.get("tasks") or []
        if t.get("status") not in ("COMPLETED", "SCHEDULED")
    ]
    tasks = wf.get("tasks") or []
    if not bad and tasks:
        last = tasks[-1]
        bad = [f"last task {last.get('referenceTaskName')}:{last.get('taskType')}={last.get('status')}"]
    return f"status {wf.get('status')} {reason} {'; '.join(bad[:3])}".strip()[:500]


def workload(ctx: Context) -> Result:
    return compared_with_linear5(ctx, _once, "vs_linear5")


def _once(ctx: Context, index: int, base_tps: float | None) -> Result:
    res = Result("fanout")
    count = ctx.count(WORKFLOWS)
    wd = ctx.workdir("fanout" if index == 0 else f"fanout-{index + 1}")
    with ctx.server(wd) as srv:
        wf_name, task_type = ctx.name("fanout"), ctx.name("fanout_task")
        try:
            with Setup(srv.url) as s:
                s.task_defs([task_def(task_type)])
                s.workflow_def(fanout_def(wf_name, task_type))
        except ApiError as e:
            return res.skip(f"FORK_JOIN_DYNAMIC/JOIN not available yet: the server rejected the definition: {e}")
        o = ctx.opts
        cfg = WorkerConfig(srv.host, srv.port, task_type, o.pollers, o.batch, o.poll_timeout_ms)
        pool = WorkerPool(cfg, o.workers).start()
        try:
            problem = _probe(srv, wf_name, pool)
            if problem:
                return res.skip(f"FORK_JOIN_DYNAMIC/JOIN not working yet: {problem}")
            ctx.log(f"fanout: {count} workflows x {WIDTH} tasks")
            offset = pool.shared.tasks_done.value
            meter = CpuMeter(srv.pid, pool.pids())

            async def measured() -> tuple[Any, dict[str, Any]]:
                starts = await start_workflows(srv.host, srv.port, wf_name, fanout_input, count, concurrency=o.starters)
                expected = len(starts.ids) * WIDTH
                await wait_until(lambda: pool.shared.tasks_done.value - offset >= expected, o.wait_s)
                final = await await_terminal(srv.host, srv.port, starts.ids, 60, interval=0.05)
                return starts, final

            starts, final = run(measured())
            cpu = meter.stop(count * WIDTH)
        finally:
            rep = pool.stop()
    done = [w for w in final.values() if isinstance(w, dict) and w.get("status") == "COMPLETED"]
    tasks = len(done) * WIDTH
    # Server timestamps: first start to last workflow end (the JOIN's completion included).
    wall_ms = max((w.get("endTime") or 0 for w in done), default=0) - min((w["startTime"] for w in done), default=0)
    wall = max(wall_ms, 1) / 1000.0
    tps = tasks / wall if done else None
    res.metrics.update(
        {
            "workflows": count,
            "completed": len(done),
            "tasks": tasks,
            "wall_s": round(wall, 3),
            "tasks_per_s": round(tps, 1) if tps else None,
            **latency_stats(starts.latency_s, "start"),
            **latency_stats(rep.get("update_s", []), "update"),
            **latency_stats(rep.get("poll_hit_s", []), "poll_nonempty"),
            **cpu,
            "worker_errors": rep.get("errors", 0),
        }
    )
    not_done = [w for w in final.values() if not (isinstance(w, dict) and w.get("status") == "COMPLETED")]
    if not_done:
        res.notes.append(f"{len(not_done)} workflows did not complete, e.g. {why_not_completed(not_done[0])}")
    res.notes += starts.error_samples + rep.get("error_samples", []) + meter.note(cpu)
    ratio = tps / base_tps if tps and base_tps else None
    res.metrics["vs_linear5"] = round(ratio, 3) if ratio is not None else None
    res.notes.append(f"compared with linear-5 at {base_tps} tasks/s (same bench run, empty store)")
    res.target("vs_linear5", ">=", 0.7)
    return res


def _probe(srv: Server, wf_name: str, pool: WorkerPool) -> str | None:
    """Run one workflow through; the reason it failed, or None when it completed."""
    with Setup(srv.url) as s:
        try:
            wid = s.start(wf_name, fanout_input(-1))
        except ApiError as e:
            return f"start: {e}"
        t0 = time.monotonic()
        while time.monotonic() < t0 + 30:
            wf = s.workflow(wid, include_tasks=True)
            if wf.get("status") == "COMPLETED":
                return None
            if wf.get("status") != "RUNNING":
                return why_not_completed(wf)
            if time.monotonic() > t0 + 3 and len(wf.get("tasks") or []) < WIDTH:
                return f"after 3 s the workflow has {len(wf.get('tasks') or [])} tasks, not {WIDTH}+ forked ones"
            time.sleep(0.1)
        return f"probe workflow still running after 30 s ({pool.shared.tasks_done.value} tasks done): " + (
            why_not_completed(s.workflow(wid, include_tasks=True))
        )
