"""The service hot path without HTTP: start, poll and update linear-5 workflows in-process.

Meant for A/B comparisons of the engine, the unit of work and the store that the HTTP benchmarks
cannot resolve on a noisy machine: run it under ``valgrind --tool=callgrind`` (instruction counts are
repeatable whatever else the machine does) with ``PYTHONPATH`` pointing at each tree:

    PYTHONPATH=src valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python -m bench.hotpath --workflows 200 2>&1 | grep 'Collected'

It subtracts nothing: run it once with ``--workflows 0`` for the fixed cost (imports, schema, a
warm-up of 5 workflows) and take the difference, divided by the task count. Without valgrind it
prints CPU seconds per task.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any


def _clock() -> Any:
    try:
        from podium.domain.clock import ManualClock
    except ImportError:  # trees before the clock moved to domain/
        from podium.service.clock import ManualClock  # type: ignore[import-not-found, no-redef]
    return ManualClock()


def run(workflows: int, db: Path) -> int:
    """Drive ``workflows`` linear-5 runs to completion; returns the number of tasks done."""
    from podium.service.container import build_services, open_store
    from podium.service.starting import start

    svc = build_services(open_store(f"sqlite:///{db}"), _clock())
    svc.metadata.register_task_defs([{"name": "work"}])
    tasks = [{"name": "work", "taskReferenceName": f"t{i}", "type": "SIMPLE"} for i in range(5)]
    svc.metadata.register_workflow_def({"name": "linear5", "version": 1, "tasks": tasks}, overwrite=True)
    done = 0
    for _ in range(workflows):
        start(svc.engine, {"name": "linear5", "input": {}})
    while True:
        polled = svc.tasks.poll("work", "w", None, 32)
        if not polled:
            break
        for t in polled:
            svc.tasks.update(
                {"workflowInstanceId": t["workflowInstanceId"], "taskId": t["taskId"], "status": "COMPLETED",
                 "outputData": {"n": done}}
            )  # fmt: skip
            done += 1
    svc.store.close()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.process_time()

        async def on_the_loop() -> int:  # as in the server: every unit runs in an asyncio task
            run(5, Path(tmp) / "warm-up.db")  # lazy imports and first-use caches, also with --workflows 0
            return run(args.workflows, Path(tmp) / "hotpath.db")

        done = asyncio.run(on_the_loop())
        cpu = time.process_time() - started
    per = f"{cpu / done * 1000:.3f} ms CPU per task" if done else "no tasks"
    print(f"hotpath: {args.workflows} workflows, {done} tasks, {cpu:.2f} s CPU, {per}")


if __name__ == "__main__":
    main()
