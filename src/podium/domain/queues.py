"""Task queues: how a queue is named and which domain a task is routed to
(docs/workers.md#domains-and-environment-settings)."""

from __future__ import annotations

from collections.abc import Callable

from podium.domain.model import Task

NO_DOMAIN = "NO_DOMAIN"


def queue_name(
    task_type: str, domain: str | None = None, namespace: str | None = None, isolation_group: str | None = None
) -> str:
    """``[domain:]taskType[@executionNameSpace][-isolationGroupId]``."""
    name = task_type
    if namespace:
        name = f"{name}@{namespace}"
    if isolation_group:
        name = f"{name}-{isolation_group}"
    if domain:
        name = f"{domain}:{name}"
    return name


def task_queue(task: Task) -> str:
    """The queue a task record lives on."""
    return queue_name(
        task["taskType"], task.get("domain"), task.get("executionNameSpace"), task.get("isolationGroupId")
    )


def choose_domain(task_name: str, task_to_domain: dict[str, str], active: Callable[[str, str], bool]) -> str | None:
    """The domain a worker task is routed to (docs/workers.md#domains-and-environment-settings), or None
    for no domain.
    """
    spec = task_to_domain.get(task_name) or task_to_domain.get("*")
    if not spec:
        return None
    domains = [d.strip() for d in spec.split(",") if d.strip()]
    if not domains:
        return None
    for d in domains:
        if d != NO_DOMAIN and active(task_name, d):
            return d
    last = domains[-1]
    return None if last == NO_DOMAIN else last
