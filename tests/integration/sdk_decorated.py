"""Decorated conductor-python workers (imported by TaskHandler in the parent and its spawned children)."""

# No `from __future__ import annotations`: the SDK binds inputs from real (non-string) annotations.
from conductor.client.worker.worker_task import worker_task

DOMAIN_TASK = "sdk_deco_domain_task"
FLAKY_TASK = "sdk_deco_flaky_task"


@worker_task(task_definition_name=DOMAIN_TASK, domain="devbox", poll_interval_millis=20, thread_count=2)
def in_domain(word: str) -> dict[str, str]:
    return {"echo": word.upper()}


@worker_task(task_definition_name=FLAKY_TASK, poll_interval_millis=20)
def flaky(attempt_ok: bool) -> dict[str, bool]:
    if not attempt_ok:
        raise RuntimeError("not this time")
    return {"ok": True}
