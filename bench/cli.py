"""`python -m bench`: run the workloads, print a table and one JSON line per workload."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench.context import Context, Options, machine, system_busy_cpu
from bench.stats import Result, table
from bench.workloads import WORKLOADS


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, list[str], Path | None]:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Podium benchmark suite: starts its own server and drives it over HTTP.",
    )
    p.add_argument("--db", help="postgresql://... to test PostgreSQL (default: a temp SQLite file per workload)")
    p.add_argument("--only", help=f"comma-separated workloads (default all): {', '.join(WORKLOADS)}")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every workflow count (0.01 = smoke run)")
    p.add_argument("--json-out", type=Path, help="also write all results as one JSON document")
    p.add_argument("--history-size", type=int, default=100_000, help="completed workflows for 'history'")
    p.add_argument("--workers", type=int, default=2, help="worker processes (linear-5, fanout, history)")
    p.add_argument("--pollers", type=int, default=4, help="concurrent pollers per worker process")
    p.add_argument("--batch", type=int, default=8, help="batch poll count")
    p.add_argument("--poll-timeout", type=int, default=100, help="long-poll timeout, ms")
    p.add_argument("--inflight", type=int, default=128, help="most workflows in flight during linear-5")
    p.add_argument("--starters", type=int, default=2, help="connections starting workflows")
    p.add_argument("--profile", type=Path, help="record a py-spy profile of the server during linear-5 here")
    p.add_argument("--server-pythonpath", help="run the server from this source dir (A/B comparisons)")
    p.add_argument("--wait", type=float, default=300.0, help="longest wait for a workload to finish, s")
    p.add_argument(
        "--wait-idle", type=float, default=0.0, help="before each workload, wait up to this many s for an idle machine"
    )
    p.add_argument(
        "--nodes",
        default="1",
        help="PostgreSQL only: server processes on the same database (workers and starts spread); a list such as"
        " 1,2,3 runs linear-5 once per count and compares the CPU per task with one node's; dispatch uses the"
        " largest count (start on one node, poll on another, update on a third)",
    )
    p.add_argument("--pg-log", type=Path, help="the PostgreSQL server's log file, for lock waits (log_lock_waits = on)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="linear-5: run N times on fresh servers and report the run with the median server CPU per task",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dirs (databases, server logs)")
    a = p.parse_args(argv)
    only = [w.strip() for w in a.only.split(",") if w.strip()] if a.only else list(WORKLOADS)
    unknown = [w for w in only if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if a.scale <= 0:
        p.error("--scale must be > 0")
    if a.repeat < 1:
        p.error("--repeat must be >= 1")
    try:
        nodes = tuple(int(n) for n in str(a.nodes).split(",") if n.strip())
    except ValueError:
        p.error("--nodes takes a count or a comma-separated list of counts (1,2,3)")
    if not nodes or min(nodes) < 1:
        p.error("--nodes must be >= 1")
    if max(nodes) > 1 and (a.db is None or a.db.startswith("sqlite")):
        p.error("--nodes > 1 needs --db postgresql://... (nodes share one database; SQLite is single-node)")
    opts = Options(
        db=a.db,
        scale=a.scale,
        history_size=a.history_size,
        workers=a.workers,
        pollers=a.pollers,
        batch=a.batch,
        poll_timeout_ms=a.poll_timeout,
        inflight=a.inflight,
        starters=a.starters,
        profile_dir=a.profile,
        server_pythonpath=a.server_pythonpath,
        keep=a.keep,
        wait_s=a.wait,
        wait_idle_s=a.wait_idle,
        nodes=nodes,
        pg_log=a.pg_log,
        repeat=a.repeat,
    )
    return opts, only, a.json_out


def main(argv: Sequence[str] | None = None) -> int:
    opts, only, json_out = parse_args(argv)
    # On SIGTERM unwind normally, so the server and worker processes are stopped and temp dirs removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ctx = Context(opts)
    info = machine()
    header = (
        f"Podium benchmark  run {ctx.run_id}  db={'sqlite (temp file per workload)' if opts.db is None else opts.db}"
        f"  scale={opts.scale:g}" + (f"  nodes={','.join(map(str, opts.nodes))}" if max(opts.nodes) > 1 else "") + "\n"
        f"machine: {info['cores']} cores, Python {info['python']}, SQLite {info['sqlite']}"
        " - server, worker processes and load generator share these cores\n"
    )
    ordered = [w for w in WORKLOADS if w in only]
    try:
        for name in ordered:
            t0 = time.monotonic()
            busy = wait_idle(ctx, opts.wait_idle_s) if opts.wait_idle_s > 0 else None
            ctx.log(f"workload {name} ...")
            try:
                res = WORKLOADS[name](ctx)
            except Exception as e:
                res = Result(name).fail(f"{type(e).__name__}: {e}"[:2000])
                ctx.log(traceback.format_exc())
            res.seconds = time.monotonic() - t0
            if busy is not None:
                res.config["machine_busy_cores_before"] = round(busy, 2)
            ctx.results[name] = res
            ctx.cleanup(name)
            print(json.dumps(res.to_json(), separators=(",", ":")), flush=True)
    finally:
        ctx.close()
    results = [ctx.results[n] for n in ordered if n in ctx.results]
    print()
    print(table(results, header))
    if json_out is not None:
        doc = {
            "run": ctx.run_id,
            "machine": info,
            "options": _opts_json(opts),
            "results": [r.to_json() for r in results],
        }
        json_out.write_text(json.dumps(doc, indent=2) + "\n")
    return 0


def wait_idle(ctx: Context, limit_s: float, threshold: float = 0.15) -> float:
    """Wait until other processes use under ``threshold`` cores (over 1 s), at most ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while True:
        b0, t0 = system_busy_cpu(), time.monotonic()
        time.sleep(1.0)
        busy = (system_busy_cpu() - b0) / (time.monotonic() - t0)
        if busy < threshold or time.monotonic() > deadline:
            if busy >= threshold:
                ctx.log(f"machine still busy ({busy:.2f} cores in use); going on")
            return busy
        ctx.log(f"waiting for an idle machine ({busy:.2f} cores in use)")


def _opts_json(o: Options) -> dict[str, object]:
    from dataclasses import asdict

    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(o).items()}


if __name__ == "__main__":
    sys.exit(main())
