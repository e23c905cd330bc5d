"""A unit of work that fails leaves nothing behind: not in the database, not in memory.

Engine-level, over a real SQLite file: the store is made to fail once in the middle of a worker's
update (after the decide pass, while it is being persisted); later, unrelated work on the same
workflow must not resurrect the rolled-back result, and the workflow must still run to its end.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podium.domain import statuses as st
from podium.domain.clock import ManualClock
from podium.domain.errors import BackendUnavailable
from podium.service.container import Services, build_services
from podium.service.starting import start
from podium.store.sqlite import SqliteStore


def _services(tmp_path: Path) -> Services:
    svc = build_services(SqliteStore(f"sqlite:///{tmp_path / 'uow.db'}"), ManualClock())
    svc.metadata.register_task_defs([{"name": "work"}])
    wd = {
        "name": "two",
        "version": 1,
        "tasks": [
            {"name": "work", "taskReferenceName": "a", "type": "SIMPLE"},
            {"name": "work", "taskReferenceName": "b", "type": "SIMPLE"},
        ],
    }
    svc.metadata.register_workflow_def(wd, overwrite=True)
    return svc


def _fail_once(store: Any, method: str) -> Callable[[], None]:
    """Make ``store.<method>`` raise once, as a lost database would; returns the undo."""
    real = getattr(store, method)

    def failing(*args: Any, **kwargs: Any) -> Any:
        setattr(store, method, real)
        raise BackendUnavailable(f"injected failure in {method}")

    setattr(store, method, failing)
    return lambda: setattr(store, method, real)


@pytest.mark.parametrize("method", ["update_workflow", "upsert_tasks", "queue_push"])
def test_rolled_back_update_never_comes_back(tmp_path: Path, method: str) -> None:
    svc = _services(tmp_path)
    wid = start(svc.engine, {"name": "two", "input": {}})
    (a,) = svc.tasks.poll("work", "w1", None, 1)
    undo = _fail_once(svc.store, method)
    with pytest.raises(BackendUnavailable):
        svc.tasks.update(
            {"workflowInstanceId": wid, "taskId": a["taskId"], "status": "COMPLETED", "outputData": {"x": 1}}
        )
    undo()
    # The sweeper decides the workflow for its own reasons: the rolled-back result must not reappear.
    svc.engine.decide(wid)
    stored = {t["referenceTaskName"]: t for t in svc.store.get_tasks(wid)}
    assert stored["a"]["status"] == st.IN_PROGRESS
    assert stored["a"].get("outputData", {}) == {}
    assert "b" not in stored
    # The worker retries its update (as it does after a 503): the workflow goes on to its end.
    svc.tasks.update({"workflowInstanceId": wid, "taskId": a["taskId"], "status": "COMPLETED", "outputData": {"x": 1}})
    (b,) = svc.tasks.poll("work", "w1", None, 1)
    assert b["referenceTaskName"] == "b"
    svc.tasks.update({"workflowInstanceId": wid, "taskId": b["taskId"], "status": "COMPLETED"})
    wf = svc.store.get_workflow(wid)
    assert wf is not None and wf["status"] == st.COMPLETED


def test_a_unit_may_not_span_two_asyncio_tasks(tmp_path: Path) -> None:
    import asyncio

    svc = _services(tmp_path)
    wid = start(svc.engine, {"name": "two", "input": {}})

    async def main() -> None:
        with svc.engine.unit() as unit:
            state = unit.load(wid)

            async def elsewhere() -> None:
                unit.decide(state)

            with pytest.raises(RuntimeError, match="outside the asyncio task"):
                await asyncio.create_task(elsewhere())
            unit.decide(state)  # in its own task it works

    asyncio.run(main())
    wf = svc.store.get_workflow(wid)
    assert wf is not None and wf["status"] == st.RUNNING


def test_wake_ups_wait_for_the_unit_to_end_well(tmp_path: Path) -> None:
    svc = _services(tmp_path)
    sent: list[str] = []
    svc.notifier.notify = lambda queue, delay_ms=0: sent.append(queue)  # type: ignore[method-assign]
    with pytest.raises(BackendUnavailable), svc.engine.unit() as unit:
        from podium.service.starting import new_workflow

        new_workflow(unit, svc.metadata.get_workflow_def("two"), {"name": "two"})
        assert sent == []  # nothing is announced before the unit ends
        raise BackendUnavailable("the commit failed")
    assert sent == []  # a failed unit announces nothing
    start(svc.engine, {"name": "two", "input": {}})
    assert "work" in sent


def test_a_failed_poll_does_not_use_up_the_rate_limit(tmp_path: Path) -> None:
    svc = _services(tmp_path)
    svc.metadata.update_task_def({"name": "work", "rateLimitPerFrequency": 1, "rateLimitFrequencyInSeconds": 60})
    start(svc.engine, {"name": "two", "input": {}})
    undo = _fail_once(svc.store, "upsert_tasks")
    with pytest.raises(BackendUnavailable):
        svc.tasks.poll("work", "w1", None, 1)
    undo()
    (a,) = svc.tasks.poll("work", "w1", None, 1)  # the failed poll handed out nothing
    assert a["referenceTaskName"] == "a"
    start(svc.engine, {"name": "two", "input": {}})
    assert svc.tasks.poll("work", "w1", None, 1) == []  # this one did: 1 per 60 s
