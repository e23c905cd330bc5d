"""crash: kill -9 of the server in the middle of linear-5, restart on the same database.

All workflows are started first; the workers run; at 40% done the server is SIGKILLed and started
again on the same file and port. Workers reconnect and resend the request that was cut off (an
update that did commit is then a no-op). Checked afterwards through GET /api/workflow/{id}: every
workflow COMPLETED, and no task reference completed more than once.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.context import Context
from bench.httpc import run
from bench.loadgen import fetch_workflows, start_workflows, wait_until
from bench.stats import Result
from bench.workers import WorkerConfig, WorkerPool
from bench.workloads.fanout import why_not_completed
from bench.workloads.linear import LENGTH, WORKFLOWS, linear_input, register_linear

KILL_AT = 0.4
# A task polled just before the kill never reaches its worker; it is handed out again after its
# response timeout, so keep that short here.
RESPONSE_TIMEOUT_S = 5


def workload(ctx: Context) -> Result:
    res = Result("crash")
    count = ctx.count(WORKFLOWS, minimum=200)
    wd = ctx.workdir("crash")
    o = ctx.opts
    srv = ctx.server(wd)
    srv.start()
    pool: WorkerPool | None = None
    try:
        wf_name, task_type = register_linear(srv, ctx, "crash", response_timeout_s=RESPONSE_TIMEOUT_S)
        ctx.log(f"crash: starting {count} workflows")
        starts = run(start_workflows(srv.host, srv.port, wf_name, linear_input, count, concurrency=o.starters))
        ids = starts.ids
        cfg = WorkerConfig(
            srv.host,
            srv.port,
            task_type,
            o.pollers,
            o.batch,
            o.poll_timeout_ms,
            final_ref=f"t{LENGTH}",
            reconnect_s=120.0,
            record_tasks=True,
        )
        pool = WorkerPool(cfg, o.workers).start()
        shared = pool.shared
        kill_at = max(1, int(len(ids) * KILL_AT))
        if not run(wait_until(lambda: shared.wf_done.value >= kill_at, o.wait_s, interval=0.001)):
            return res.fail(f"never reached {kill_at} finished workflows: {srv.log_tail()}")
        done_at_kill = shared.wf_done.value
        t_kill = time.monotonic()
        srv.kill9()
        ctx.log(f"crash: killed the server at {done_at_kill}/{len(ids)} workflows done; restarting")
        t_launch = time.monotonic()
        srv.launch()
        srv.wait_ready()
        t_ready = time.monotonic()
        finished = run(wait_until(lambda: shared.wf_done.value >= len(ids), o.wait_s, interval=0.01))
        t_all = time.monotonic()
        rep = pool.stop()
        pool = None
        final = run(fetch_workflows(srv.host, srv.port, ids, include_tasks=True))
    finally:
        if pool is not None:
            pool.stop()
        srv.stop()
    after = [t for t in rep["arrivals"] if t > t_launch]
    completed = [w for w in final.values() if isinstance(w, dict) and w.get("status") == "COMPLETED"]
    twice = _completed_twice(final)
    executed = Counter(tid for _wid, _ref, tid, *_ in rep["task_log"])
    res.metrics.update(
        {
            "workflows": len(ids),
            "finished_before_kill": done_at_kill,
            "completed": len(completed),
            "lost": len(ids) - len(completed),
            "refs_completed_twice": len(twice),
            "tasks_executed_twice_by_workers": sum(1 for n in executed.values() if n > 1),
            "restart_to_healthy_ms": round(1000 * (t_ready - t_launch), 1),
            "restart_to_first_task_ms": round(1000 * (min(after) - t_launch), 1) if after else None,
            "kill_to_first_task_ms": round(1000 * (min(after) - t_kill), 1) if after else None,
            "restart_to_all_done_s": round(t_all - t_launch, 2),
            "worker_reconnects": rep.get("reconnects", 0),
        }
    )
    if done_at_kill >= len(ids):
        res.notes.append("every workflow had finished before the kill took effect: use a larger --scale")
    if not finished:
        res.notes.append(f"not all workflows finished within {o.wait_s:.0f} s after the restart")
    bad = [w for w in final.values() if not (isinstance(w, dict) and w.get("status") == "COMPLETED")]
    if bad:
        res.notes.append(f"e.g. {why_not_completed(bad[0])}")
    if twice:
        res.notes.append(f"completed twice, e.g. {twice[0]}")
    res.notes.append(
        f"task responseTimeoutSeconds={RESPONSE_TIMEOUT_S}: a task polled just before the kill comes back after it"
    )
    res.target("lost", "<=", 0)
    res.target("refs_completed_twice", "<=", 0)
    return res


def _completed_twice(final: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for wid, wf in final.items():
        if not isinstance(wf, dict):
            continue
        refs = Counter(t.get("referenceTaskName") for t in wf.get("tasks") or [] if t.get("status") == "COMPLETED")
        out += [f"{wid}/{ref} x{n}" for ref, n in refs.items() if n > 1]
    return out
