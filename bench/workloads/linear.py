"""linear-5: workflows of 5 SIMPLE tasks in sequence, driven by worker processes over HTTP."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.api import Setup, linear_def, task_def
from bench.context import Context, CpuMeter, pids_named, reference_loop_ms
from bench.httpc import run
from bench.loadgen import fetch_workflows, start_workflows, wait_until
from bench.pgstats import PgCounters, postgres_pids
from bench.profile import PySpy, summarize
from bench.server import Server
from bench.stats import Result, latency_stats
from bench.workers import WorkerConfig, WorkerPool

LENGTH = 5
WORKFLOWS = 2000


def register_linear(srv: Server, ctx: Context, kind: str = "linear5", response_timeout_s: int = 300) -> tuple[str, str]:
    """Register the task and workflow definitions; returns (workflow name, task type)."""
    wf_name, task_type = ctx.name(kind), ctx.name(f"{kind}_task")
    with Setup(srv.url) as s:
        s.task_defs([task_def(task_type, response_timeout_s=response_timeout_s)])
        s.workflow_def(linear_def(wf_name, task_type, LENGTH))
    return wf_name, task_type


def linear_input(i: int) -> dict[str, Any]:
    return {"x": i, "customer": f"c{i % 97}", "note": "benchmark"}


def run_linear(
    ctx: Context,
    srv: Server,
    wf_name: str,
    task_type: str,
    count: int,
    *,
    profile_to: Path | None = None,
    label: str = "linear-5",
    peers: list[Server] | None = None,
    pg_db: str | None = None,
    separate: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """Warm up, then run ``count`` workflows with the worker pool; returns (metrics, notes).

    ``peers`` are more nodes on the same database: worker process i and start connection j go to
    node i (j) modulo the node count, and the server CPU figures add up all nodes. ``pg_db`` (the
    workload's PostgreSQL database) adds what the database did per task (``bench.pgstats``).
    ``separate``: the peers are independent servers, each on a database of its own, loaded the same way.
    """
    o = ctx.opts
    nodes = [srv, *(peers or [])]
    ports = [n.port for n in nodes]
    starters = max(o.starters, len(nodes))
    cfg = WorkerConfig(srv.host, srv.port, task_type, o.pollers, o.batch, o.poll_timeout_ms, final_ref=f"t{LENGTH}")
    pool = WorkerPool(cfg, o.workers, ports).start()
    shared = pool.shared
    notes: list[str] = []
    spy: PySpy | None = None
    try:
        warm = min(100, max(2, count // 20))
        shared.measuring.value = 0
        warm_starts = run(
            start_workflows(srv.host, srv.port, wf_name, linear_input, warm, concurrency=starters, ports=ports)
        )
        if not run(wait_until(lambda: shared.wf_done.value >= len(warm_starts.ids), 60)):
            raise RuntimeError(f"{label}: warm-up workflows did not complete: {srv.log_tail()}")
        offset = shared.wf_done.value
        shared.measuring.value = 1
        spy = PySpy(srv.pid, profile_to) if profile_to is not None else None
        # With PostgreSQL the database's own work happens in its processes (counted when local).
        db_pids = [] if ctx.sqlite else (postgres_pids(o.db) if o.db else None) or pids_named("postgres")
        counters = PgCounters(o.db, pg_db, o.pg_log) if pg_db is not None and o.db is not None else None
        meter = CpuMeter([n.pid for n in nodes], pool.pids(), db_pids)

        async def measured() -> tuple[Any, bool]:
            starts = await start_workflows(
                srv.host,
                srv.port,
                wf_name,
                lambda i: linear_input(warm + i),
                count,
                concurrency=starters,
                window=o.inflight,
                finished=shared.wf_done,
                finished_offset=offset,
                ports=ports,
            )
            target = len(starts.ids)
            done = await wait_until(lambda: shared.wf_done.value - offset >= target, o.wait_s)
            return starts, done

        starts, done = run(measured())
        cpu = meter.stop(len(starts.ids) * LENGTH)
        if counters is not None:
            pg_figures, pg_notes = counters.stop(len(starts.ids) * LENGTH)
            cpu.update(pg_figures)
            notes += pg_notes
    finally:
        if spy is not None:
            spy.stop()
        rep = pool.stop()
    finished = {wid: t for wid, t in rep["finals"] if wid in starts.sent_at}
    n_done = len(finished)
    end = max(finished.values(), default=starts.first_sent + meter.seconds)
    wall = max(1e-9, end - starts.first_sent)
    tasks = n_done * LENGTH
    e2e = [finished[w] - starts.sent_at[w] for w in finished]
    m: dict[str, Any] = {
        "workflows": count,
        "completed": n_done,
        "tasks": tasks,
        "wall_s": round(wall, 3),
        "tasks_per_s": round(tasks / wall, 1),
        "workflows_per_s": round(n_done / wall, 1),
        **latency_stats(starts.latency_s, "start"),
        **latency_stats(rep.get("poll_s", []), "poll"),
        **latency_stats(rep.get("poll_hit_s", []), "poll_nonempty"),
        **latency_stats(rep.get("update_s", []), "update"),
        **latency_stats(e2e, "e2e"),
        **cpu,
        "total_cpu_ms_per_task": _total_cpu(cpu),
        "polls": rep.get("polls", 0),
        "empty_polls": rep.get("empty_polls", 0),
        "start_errors": starts.errors,
        "worker_errors": rep.get("errors", 0),
    }
    notes.append(
        f"{o.workers} worker processes x {o.pollers} pollers, batch {o.batch}, long-poll {o.poll_timeout_ms} ms; "
        f"{starters} start connections, at most {o.inflight} workflows in flight"
    )
    if len(nodes) > 1:
        kind = "independent servers, each on its own database" if separate else "server nodes on one database"
        notes.append(
            f"{len(nodes)} {kind}: worker process i uses node i mod {len(nodes)}, "
            "start connections likewise; server CPU is the sum over the nodes (nodeN_* per node)"
        )
    notes += meter.note(cpu)
    if not done:
        notes.append(f"timed out after {o.wait_s:.0f} s: {n_done} of {count} workflows finished")
    for sample in starts.error_samples + rep.get("error_samples", []):
        notes.append(sample)
    check = random.Random(7).sample(list(finished), min(100, len(finished)))
    seen: dict[str, Any] = {}
    for node in nodes if separate else [srv]:  # separate servers: each knows its own workflows
        got = run(fetch_workflows(node.host, node.port, check)) if check else {}
        seen.update({k: v for k, v in got.items() if isinstance(v, dict) and v.get("status")})
    completed = sum(1 for v in seen.values() if isinstance(v, dict) and v.get("status") == "COMPLETED")
    m["checked_completed"] = f"{completed}/{len(check)}"
    if profile_to is not None and profile_to.exists():
        notes.append(f"profile: {profile_to}")
    return m, notes


# Issue #18: with peers, the CPU per task (all nodes + the database) at most this many times one node's.
PEER_TAX_MAX = 1.15
# The bound on a row lock's wait with peers: a group holds its locks at most ``PEER_GROUP_HOLD_S`` of the
# store (5 ms) plus its COMMIT round trip; waits are measured from PostgreSQL's log (``--pg-log``).
LOCK_WAIT_P99_MAX_MS = 10.0


def _total_cpu(cpu: dict[str, Any]) -> float | None:
    server, db = cpu.get("server_cpu_ms_per_task"), cpu.get("db_cpu_ms_per_task")
    return None if server is None else round(server + (db or 0.0), 4)


def workload(ctx: Context) -> Result:
    """linear-5 once per node count (``--nodes 1,2,3``), each ``--repeat`` times; the first count leads.

    With several counts the runs go in rounds (1, 2, 3 nodes, then again), and each round's ratio to
    one node compares runs made a minute apart: this machine's speed drifts more than that between
    the first and the last of nine runs. The median round's ratio is reported, every round listed.
    """
    res = Result("linear-5")
    counts = ctx.opts.nodes
    runs_of: dict[int, list[tuple[dict[str, Any], list[str]]]] = {n: [] for n in counts}
    # The control for each cluster size: as many independent servers, each on a database of its own,
    # loaded the same way (PostgreSQL; every server needs a worker process of its own).
    controls = [n for n in counts if n > 1 and not ctx.sqlite and n <= ctx.opts.workers]
    separate_of: dict[int, list[dict[str, Any]]] = {n: [] for n in controls}
    for i in range(ctx.opts.repeat):
        for ci, n in enumerate(counts):
            runs_of[n].append(_run_once(ctx, i, n, first=ci == 0 and i == 0))
            if n in controls:
                separate_of[n].append(_run_once(ctx, i, n, separate=True)[0])
    rounds = [{n: runs_of[n][i][0] for n in counts} for i in range(ctx.opts.repeat)]
    picked: dict[int, dict[str, Any]] = {}
    for ci, n in enumerate(counts):
        runs = [m for m, _ in runs_of[n]]
        cpu = [m["server_cpu_ms_per_task"] for m in runs]
        median = sorted(range(len(runs)), key=lambda i: cpu[i])[len(runs) // 2]
        metrics, notes = runs_of[n][median]
        picked[n] = metrics
        if ci == 0:
            res.metrics.update(metrics)
            res.notes += notes
            if len(runs) > 1:
                res.metrics["server_cpu_ms_per_task_runs"] = cpu
                res.metrics["tasks_per_s_runs"] = [m["tasks_per_s"] for m in runs]
                res.metrics["machine_reference_loop_ms_runs"] = [m["machine_reference_loop_ms"] for m in runs]
        else:
            res.notes += [f"{n} nodes: {note}" for note in notes if not note.startswith(f"{ctx.opts.workers} worker")]
            for key in _PER_COUNT:
                if key in metrics:
                    res.metrics[f"n{n}_{key}"] = metrics[key]
            res.metrics[f"n{n}_tasks_per_s_runs"] = [m["tasks_per_s"] for m in runs]
            res.metrics[f"n{n}_server_cpu_ms_per_task_runs"] = cpu
    if ctx.opts.repeat > 1 and len(counts) > 1:
        res.notes.append(
            f"{ctx.opts.repeat} rounds on fresh servers, each running every node count in turn;"
            " reported per count: the run with the median server CPU per task;"
            " per ratio to one node: the median of the rounds' ratios"
        )
    elif ctx.opts.repeat > 1:
        res.notes.append(
            f"{ctx.opts.repeat} runs on fresh servers; reported: the run with the median server CPU per task"
        )
    if counts != (1,):
        res.config["nodes"] = list(counts)
    for n in counts:
        if n == 1 or 1 not in counts:
            continue
        ratios = [
            round(r[n]["total_cpu_ms_per_task"] / r[1]["total_cpu_ms_per_task"], 3)
            for r in rounds
            if r[n].get("total_cpu_ms_per_task") and r[1].get("total_cpu_ms_per_task")
        ]
        if ratios:
            res.metrics[f"n{n}_total_cpu_vs_1_node"] = sorted(ratios)[len(ratios) // 2]
            if len(ratios) > 1:
                res.metrics[f"n{n}_total_cpu_vs_1_node_rounds"] = ratios
    for n, separate in separate_of.items():
        # What having peers costs, the machine's share taken out: the cluster against independent servers.
        vs = [
            round(r[n]["total_cpu_ms_per_task"] / sep["total_cpu_ms_per_task"], 3)
            for r, sep in zip(rounds, separate, strict=True)
            if r[n].get("total_cpu_ms_per_task") and sep.get("total_cpu_ms_per_task")
        ]
        res.metrics[f"n{n}_separate_total_cpu_ms_per_task_runs"] = [m.get("total_cpu_ms_per_task") for m in separate]
        if vs:
            res.metrics[f"n{n}_total_cpu_vs_{n}_separate"] = sorted(vs)[len(vs) // 2]
            if len(vs) > 1:
                res.metrics[f"n{n}_total_cpu_vs_{n}_separate_rounds"] = vs
    if separate_of:
        res.notes.append(
            "control: per round, as many independent servers as the cluster has nodes, each on a database of"
            " its own, workers and starts spread the same way; n<k>_total_cpu_vs_<k>_separate is the cluster's"
            " total CPU per task over theirs (what peers cost once the machine's share is taken out)"
        )
    one = picked.get(1)
    if ctx.sqlite:
        add_linear_targets(res)
        return res
    # PostgreSQL (issue #18): one node's pace and CPU, no tax for peers, bounded lock waits.
    if one is not None:
        prefix = "" if counts[0] == 1 else "n1_"
        for key in ("tasks_per_s", "server_cpu_ms_per_task", "db_cpu_ms_per_task"):
            if prefix and key in one:
                res.metrics[prefix + key] = one[key]
        res.target(prefix + "tasks_per_s", ">=", 1500)
        res.target(prefix + "server_cpu_ms_per_task", "<=", 0.5)
        res.target(prefix + "db_cpu_ms_per_task", "<=", 0.3)
    for n in counts:
        if n > 1 and one is not None:
            res.target(f"n{n}_total_cpu_vs_1_node", "<=", PEER_TAX_MAX)
        key = "pg_lock_wait_p99_ms" if n == counts[0] else f"n{n}_pg_lock_wait_p99_ms"
        if n > 1 and key in res.metrics:
            res.target(key, "<=", LOCK_WAIT_P99_MAX_MS)
    return res


# The figures reported for each further node count (prefixed ``n<count>_``).
_PER_COUNT = (
    "tasks_per_s",
    "completed",
    "server_cpu_ms_per_task",
    "db_cpu_ms_per_task",
    "total_cpu_ms_per_task",
    "other_cpu_s",
    "update_p50_ms",
    "update_p99_ms",
    "polls",
    "empty_polls",
    "pg_statements_per_task",
    "pg_work_statements_per_task",
    "pg_commits_per_task",
    "pg_rollbacks_per_task",
    "pg_wal_bytes_per_task",
    "pg_exec_ms_per_task",
    "pg_buffers_per_task",
    "pg_lock_waits_logged",
    "pg_lock_wait_p99_ms",
    "pg_lock_wait_max_ms",
    "start_errors",
    "worker_errors",
)


def _run_once(
    ctx: Context, index: int, nodes: int | None = None, first: bool = False, separate: bool = False
) -> tuple[dict[str, Any], list[str]]:
    count = ctx.count(WORKFLOWS)
    n = nodes or ctx.opts.nodes[0]
    wd = ctx.workdir("linear-5" if first else f"linear-5-n{n}-{index + 1}{'-separate' if separate else ''}")
    prof = None
    if ctx.opts.profile_dir is not None and first:
        ctx.opts.profile_dir.mkdir(parents=True, exist_ok=True)
        prof = ctx.opts.profile_dir / "linear-5.pyspy.txt"
    servers = ctx.servers(wd, n, separate=separate)
    pg_db = None if ctx.sqlite or separate else servers[0].db_url
    try:
        for s in servers:
            s.launch()
        for s in servers:
            s.wait_ready()
        srv = servers[0]
        for s in servers if separate else [srv]:
            wf_name, task_type = register_linear(s, ctx)
        where = f" on {n} separate servers" if separate else f" on {n} nodes" if n > 1 else ""
        ctx.log(f"linear-5: {count} workflows{where}")
        reference = reference_loop_ms()
        metrics, notes = run_linear(
            ctx, srv, wf_name, task_type, count, profile_to=prof, peers=servers[1:], pg_db=pg_db, separate=separate
        )
        metrics["machine_reference_loop_ms"] = reference
    finally:
        for s in servers:
            s.stop()
    if prof is not None and prof.exists():
        summary = summarize(prof)
        (prof.with_suffix(".summary.txt")).write_text(summary + "\n")
        ctx.log("server profile during linear-5:\n" + summary)
    return metrics, notes


def add_linear_targets(res: Result) -> None:
    res.target("tasks_per_s", ">=", 1000)
    res.target("server_cpu_ms_per_task", "<=", 0.4)


def compared_with_linear5(ctx: Context, run_once: Callable[[Context, int, float | None], Result], ratio: str) -> Result:
    """Run a workload whose target is a ratio to linear-5's tasks/s.

    Once: against this run's linear-5. With ``--repeat N``: N times, each against a fresh linear-5 run
    made just before it (this machine's speed drifts within minutes, so only neighbours compare
    fairly), and the run with the median ratio is reported, every pair listed.
    """
    n = ctx.opts.repeat
    if n <= 1:
        return run_once(ctx, 0, baseline(ctx).metrics.get("tasks_per_s"))
    pairs: list[tuple[Result, float | None]] = []
    for i in range(n):
        base, _ = _run_once(ctx, 100 + i)
        pairs.append((run_once(ctx, i, base.get("tasks_per_s")), base.get("tasks_per_s")))
    scored = [(r, b) for r, b in pairs if r.status == "ok" and r.metrics.get(ratio) is not None]
    if not scored:
        return pairs[-1][0]
    scored.sort(key=lambda p: p[0].metrics[ratio])
    picked = scored[len(scored) // 2][0]
    picked.metrics[f"{ratio}_runs"] = [r.metrics.get(ratio) for r, _ in pairs]
    picked.metrics["linear5_tasks_per_s_runs"] = [b for _, b in pairs]
    picked.notes.append(f"{n} runs, each after its own empty-store linear-5; reported: the run with the median {ratio}")
    return picked


def baseline(ctx: Context) -> Result:
    """The empty-store linear-5 result of this run (runs it once if it has not run)."""
    got = ctx.results.get("linear-5")
    if got is None or got.status != "ok":
        ctx.log("running linear-5 on an empty store as the baseline")
        got = workload(ctx)
        ctx.results["linear-5"] = got
    return got


Workload = Callable[[Context], Result]
