"""Retention (issue #16): exactly the workflows past their retention go, with everything they own, while
the others stay whole. Engine-level on a real SQLite file and a real PostgreSQL database, manual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.domain.clock import ManualClock
from podium.domain.limits import Limits
from podium.service.container import Services, build_services, open_store
from podium.service.retention import RetentionService, Rules, retention_of, run_batches
from podium.service.starting import start
from podium.store.payloads import FilesystemPayloads

HOUR = 3600 * 1000
# Inputs and outputs over 1 KiB go to the payload store, so removed workflows have payloads to take along.
LIMITS = Limits(workflow_input_threshold_bytes=1024, task_output_threshold_bytes=1024)
BIG = "x" * 4096


def flow(name: str, **extra: Any) -> dict[str, Any]:
    work = {"name": "rt_work", "taskReferenceName": "work", "type": "SIMPLE"}
    return {"name": name, "version": 1, "tasks": [work], **extra}


@pytest.fixture(params=["sqlite", "postgres"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path / 'ret.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    services = build_services(
        open_store(url), ManualClock(1_700_000_000_000), LIMITS, payloads=FilesystemPayloads(tmp_path / "payloads")
    )
    services.metadata.register_task_defs([{"name": "rt_work", "responseTimeoutSeconds": 30 * 86400}])
    services.metadata.update_workflow_defs(
        [
            flow("rt_default"),  # the server's retention: one day
            flow("rt_short", metadata={"retention": "1h"}),
            flow("rt_forever", metadata={"retention": "forever"}),
            flow("rt_orphan"),  # its definition is deleted later: the server's retention applies
        ]
    )
    try:
        yield services
    finally:
        services.store.close()


def run(svc: Services, name: str, big: bool = False, key: str | None = None, finish: bool = True) -> str:
    req: dict[str, Any] = {"name": name, "input": {"blob": BIG} if big else {"n": 1}}
    if key:
        req["idempotencyKey"] = key
    wid = start(svc.engine, req)
    (task,) = svc.tasks.poll("rt_work", "worker-1", None, 1)
    assert task["workflowInstanceId"] == wid
    if finish:
        svc.tasks.update(
            {
                "workflowInstanceId": wid,
                "taskId": task["taskId"],
                "status": "COMPLETED",
                "outputData": {"blob": BIG} if big else {"ok": True},
                "logs": [{"log": f"done {wid}", "createdTime": svc.clock.now()}],
            }
        )
    return wid


def owned(svc: Services, wid: str) -> dict[str, Any]:
    """Everything of a workflow the store and the payload store hold."""
    store = svc.store
    wf = store.get_workflow(wid)
    tasks = store.get_tasks(wid)
    records = [r for r in (wf, *tasks) if r is not None]
    paths = [r.get(k) for r in records for k in ("externalInputPayloadStoragePath", "externalOutputPayloadStoragePath")]
    return {
        "workflow": wf is not None,
        "tasks": len(tasks),
        "logs": sum(len(store.get_logs(t["taskId"])) for t in tasks),
        "payloads": [p for p in paths if p],
    }


def test_exactly_the_expired_workflows_go_with_all_they_own(svc: Services) -> None:
    clock = svc.clock
    assert isinstance(clock, ManualClock)
    old_default = run(svc, "rt_default", big=True, key="k-old")
    old_short = run(svc, "rt_short", big=True)
    old_forever = run(svc, "rt_forever", big=True)
    orphan = run(svc, "rt_orphan")
    svc.metadata.delete_workflow_def("rt_orphan", 1)
    still_running = run(svc, "rt_default", finish=False)
    clock.advance(2 * HOUR)
    recent_short = run(svc, "rt_short")
    recent_default = run(svc, "rt_default", big=True)
    clock.advance(23 * HOUR)  # 25 h after the first ones ended, 23 h after the others

    gone = {old_default, old_short, recent_short, orphan}
    kept = {old_forever, still_running, recent_default}
    before = {wid: owned(svc, wid) for wid in gone | kept}
    payload_files = {p for wid in gone for p in before[wid]["payloads"]}
    assert len(payload_files) == 4 and before[old_default]["logs"] == 1  # the test has something to remove

    service = RetentionService(svc.engine, default_s=24 * 3600, batch=2)
    preview = service.preview(examples=10)
    assert preview["count"] == 4 and not preview["capped"]
    assert {e["workflowId"] for e in preview["examples"]} == gone
    assert preview["retentionByName"] == {"rt_short": 3600, "rt_forever": 0}
    assert all(owned(svc, wid) == before[wid] for wid in gone | kept), "a dry run removes nothing"

    removed = asyncio.run(run_batches(service, None, max_batches=10, pause_s=0))
    assert sorted(removed) == sorted(gone)
    for wid in gone:
        assert owned(svc, wid) == {"workflow": False, "tasks": 0, "logs": 0, "payloads": []}
        assert all(svc.engine.payloads.store.get(p) is None for p in before[wid]["payloads"])
    for wid in kept:
        assert owned(svc, wid) == before[wid]
        assert all(svc.engine.payloads.store.get(p) is not None for p in before[wid]["payloads"])
    # The removed workflow's idempotency key is free again; the running one still has its queued task.
    assert svc.store.queue_size("rt_work") == 1
    assert start(svc.engine, {"name": "rt_default", "input": {}, "idempotencyKey": "k-old"}) != old_default
    assert service.preview()["count"] == 0
    assert asyncio.run(run_batches(service, None, max_batches=10, pause_s=0)) == []


def test_nothing_goes_without_a_retention(svc: Services) -> None:
    assert isinstance(svc.clock, ManualClock)
    wid = run(svc, "rt_default")
    svc.clock.advance(10_000 * 24 * HOUR)
    service = RetentionService(svc.engine, default_s=0, batch=10)
    removed = asyncio.run(run_batches(service, None, max_batches=10, pause_s=0))
    assert removed == [] and svc.store.get_workflow(wid) is not None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7d", 7 * 86400), ("1h 30m", 5400), (90, 90), ("120", 120), ("forever", 0), (0, 0),
     ("soon", None), (None, None), (True, None), ({"d": 1}, None)],
)  # fmt: skip
def test_definition_retention_values(value: Any, seconds: int | None) -> None:
    assert retention_of(value) == seconds


def test_the_latest_definition_version_decides() -> None:
    defs: list[Any] = [
        {"name": "a", "version": 2, "metadata": {"retention": "2h"}},
        {"name": "a", "version": 1, "metadata": {"retention": "1h"}},
        {"name": "b", "version": 1, "metadata": {"owner": "x"}},
        {"name": "c", "version": 3},
    ]
    assert Rules.of(defs, 60).by_name == {"a": 7200}
    assert not Rules(0, {"x": 0}).active and Rules(0, {"x": 5}).active
