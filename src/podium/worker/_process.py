"""Running a task function in a worker process (``executor="process"``)."""

from __future__ import annotations

import asyncio
import importlib
from functools import cache

from podium.domain.model import Task
from podium.worker._execute import Completed, run_async, run_sync
from podium.worker._spec import WorkerTask, as_worker


def reference(spec: WorkerTask) -> tuple[str, str]:
    """(module, qualified name) by which a process finds the function again."""
    module = getattr(spec.fn, "__module__", None)
    qualname = getattr(spec.fn, "__qualname__", "")
    if not module or "<" in qualname:
        raise ValueError(f"worker {spec.name}: process execution needs a module-level function")
    return module, qualname


@cache
def _spec(module: str, qualname: str, name: str) -> WorkerTask:
    obj: object = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    spec = as_worker(obj)
    return spec if spec.name == name else spec.with_options(name=name)


def run_in_process(module: str, qualname: str, name: str, task: Task, worker_id: str) -> Completed:
    """The process-pool entry point: import the function (once per process) and run one task."""
    spec = _spec(module, qualname, name)
    if spec.is_async:
        return asyncio.run(run_async(spec, task, worker_id))
    return run_sync(spec, task, worker_id)
