"""Podium's worker SDK: plain Python functions as workers of task types.

::

    from podium.worker import Runner, TaskContext, worker_task

    @worker_task("charge_card", concurrency=8)
    def charge(order_id: str, amount: float, ctx: TaskContext) -> dict:
        ctx.log(f"charging {amount}")
        return {"charged": amount}

    Runner([charge], "http://localhost:8080").run()   # or: podium worker mymodule:charge

It talks to the server over HTTP only (httpx + msgspec); metrics need prometheus-client.
"""

from podium.worker._config import NO_DOMAIN, env_key
from podium.worker._context import LeaseExtender, TaskContext, current_task
from podium.worker._errors import InProgress, InputError, NonRetryableError, TaskError
from podium.worker._execute import Completed, run_async, run_sync
from podium.worker._logging import JsonFormatter, TaskIdsFilter, TextFormatter, configure_logging
from podium.worker._metrics import NullMetrics, WorkerMetrics, default_metrics
from podium.worker._runner import Runner
from podium.worker._spec import WorkerTask, as_worker, collect, worker_task

__all__ = [
    "NO_DOMAIN",
    "Completed",
    "InProgress",
    "InputError",
    "JsonFormatter",
    "LeaseExtender",
    "NonRetryableError",
    "NullMetrics",
    "Runner",
    "TaskContext",
    "TaskError",
    "TaskIdsFilter",
    "TextFormatter",
    "WorkerMetrics",
    "WorkerTask",
    "as_worker",
    "collect",
    "configure_logging",
    "current_task",
    "default_metrics",
    "env_key",
    "run_async",
    "run_sync",
    "worker_task",
]
