"""The decoded-workflow cache of single-writer stores (store/state_cache.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from podium.domain.model import Task, Workflow
from podium.store.sqlite import SqliteStore
from podium.store.state_cache import StateCache


def _wf(wid: str, status: str = "RUNNING") -> Workflow:
    return cast(Workflow, {"workflowId": wid, "status": status})


def _task(tid: str, wid: str, seq: int, **extra: Any) -> Task:
    return cast(Task, {"taskId": tid, "workflowInstanceId": wid, "seq": seq, **extra})


def test_terminal_workflows_are_not_kept() -> None:
    cache = StateCache()
    cache.put(_wf("done", "COMPLETED"), [])
    assert cache.get("done") is None
    w = _wf("w")
    cache.put(w, [_task("t1", "w", 1)])
    assert cache.task("t1") is not None
    w["status"] = "FAILED"
    cache.workflow_written(w, None)
    assert cache.get("w") is None
    assert cache.task("t1") is None


def test_written_tasks_replace_or_join_in_seq_order() -> None:
    cache = StateCache()
    records = [_task("t1", "w", 1), _task("t3", "w", 3)]
    cache.put(_wf("w"), records)
    cache.tasks_written([_task("t2", "w", 2), _task("t4", "w", 4), _task("t3", "w", 3, status="X")])
    entry = cache.get("w")
    assert entry is not None
    assert [(t["taskId"], t.get("status")) for t in entry[1]] == [
        ("t1", None),
        ("t2", None),
        ("t3", "X"),
        ("t4", None),
    ]
    cache.tasks_written([_task("other", "not-cached", 1)])
    assert cache.task("other") is None


def test_least_recently_used_workflows_leave_first() -> None:
    cache = StateCache(capacity=2)
    cache.put(_wf("a"), [])
    cache.put(_wf("b"), [])
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put(_wf("c"), [])
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert len(cache) == 2


def test_sqlite_hands_out_the_same_objects_until_a_rollback(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    try:
        with store.transaction():
            body = {"workflowName": "f", "workflowVersion": 1, "startTime": 1, "updateTime": 1}
            store.insert_workflow(cast(Workflow, {**_wf("w"), **body, "workflowDefinition": {"name": "f"}}), None)
            t1 = _task("t1", "w", 1, status="SCHEDULED", taskType="x", referenceTaskName="r", updateTime=1)
            store.upsert_tasks([t1])
        first = store.load_state("w")
        assert first is not None and store.load_state("w") is first
        assert store.states.hits >= 1
        try:
            with store.transaction():
                first[1][0]["status"] = "COMPLETED"
                raise ValueError
        except ValueError:
            pass
        again = store.load_state("w")
        assert again is not None and again is not first
        assert again[1][0]["status"] == "SCHEDULED"
    finally:
        store.close()


def test_indexed_columns_are_remembered_until_they_may_differ(tmp_path: Path) -> None:
    """The store picks a lean UPDATE only when status and correlation id are as stored."""
    cache = StateCache()
    w = _wf("w")
    cache.put(w, [])
    assert cache.columns("w") == ("RUNNING", None, -1)  # next check unknown after a read
    cache.workflow_written(w, 5)
    assert cache.columns("w") == ("RUNNING", None, 5)
    cache.next_check_written("w")
    assert cache.columns("w") == ("RUNNING", None, -1)
    cache.clear()
    assert cache.columns("w") is None


def test_sqlite_lean_updates_keep_search_columns_true(tmp_path: Path) -> None:
    import sqlite3

    store = SqliteStore(str(tmp_path / "s.db"))
    try:
        body = {"workflowName": "f", "workflowVersion": 1, "startTime": 1, "updateTime": 1}
        w = cast(Workflow, {**_wf("w"), **body, "workflowDefinition": {"name": "f"}})
        with store.transaction():
            store.insert_workflow(w, 10)
        for status, corr, check in [("RUNNING", None, 10), ("RUNNING", None, 20), ("PAUSED", "c", 20)]:
            loaded = store.load_state("w")
            assert loaded is not None
            loaded[0]["status"] = status
            if corr:
                loaded[0]["correlationId"] = corr
            loaded[0]["updateTime"] += 1
            with store.transaction():
                store.update_workflow(loaded[0], check)
            with sqlite3.connect(tmp_path / "s.db") as c:
                row = c.execute("SELECT status, correlation_id, next_check, update_time FROM workflows").fetchone()
            assert row == (status, corr, check, loaded[0]["updateTime"])
        with store.transaction():
            store.set_next_check("w", 7)
            loaded = store.load_state("w")
            assert loaded is not None
            store.update_workflow(loaded[0], 20)
        with sqlite3.connect(tmp_path / "s.db") as c:
            assert c.execute("SELECT next_check FROM workflows").fetchone() == (20,)
    finally:
        store.close()
