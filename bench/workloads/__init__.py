"""The workloads, in the order they run."""

from __future__ import annotations

from collections.abc import Callable

from bench.context import Context
from bench.stats import Result
from bench.workloads import crash, dispatch, fanout, history, linear, memory, retention, schedules, system_only

WORKLOADS: dict[str, Callable[[Context], Result]] = {
    "linear-5": linear.workload,
    "dispatch": dispatch.workload,
    "fanout": fanout.workload,
    "system-only": system_only.workload,
    "history": history.workload,
    "retention": retention.workload,
    "memory": memory.workload,
    "crash": crash.workload,
    "schedules": schedules.workload,
}
