"""Retention's store methods on every backend: which workflows have expired, and removing what they own."""
# ruff: noqa: F811  (the store fixture is imported and named as a parameter)

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, cast

from test_store_contract import store, task, wf  # noqa: F401  (the store fixture, on both backends)

from podium.domain.model import TaskExecLog
from podium.domain.search import SearchQuery
from podium.service.container import open_store
from podium.store.protocols import FreeTextIndexer, Store


def ended(store: Store, wid: str, name: str, end: int, status: str = "COMPLETED", **extra: Any) -> None:
    with store.transaction():
        store.insert_workflow(wf(wid, name=name, status=status, start=end - 100, endTime=end, **extra), None)


def test_expired_workflows_by_end_time_and_name(store: Store) -> None:
    ended(store, "a-old", "a", 1_000)
    ended(store, "a-old-failed", "a", 2_000, status="FAILED")
    ended(store, "a-new", "a", 9_000)
    ended(store, "b-old", "b", 1_000, status="TERMINATED")
    ended(store, "c-old", "c", 1_500, status="TIMED_OUT")
    with store.transaction():
        store.insert_workflow(wf("a-running", name="a", start=10), None)  # old, but not ended
    assert sorted(store.expired_workflows(5_000, 100, name="a")) == ["a-old", "a-old-failed"]
    assert sorted(store.expired_workflows(5_000, 100)) == ["a-old", "a-old-failed", "b-old", "c-old"]
    assert sorted(store.expired_workflows(5_000, 100, skip_names=["a", "c"])) == ["b-old"]
    assert sorted(store.expired_workflows(1_000, 100)) == []  # strictly before
    assert len(store.expired_workflows(5_000, 2)) == 2
    assert store.expired_workflows(5_000, 100, name="zzz") == []


def test_removal_takes_tasks_logs_queue_and_side_rows(store: Store) -> None:
    for wid in ("gone", "kept"):
        ended(store, wid, "flow", 1_000)
        ts = [task(f"{wid}-t1", wid, 1, status="COMPLETED"), task(f"{wid}-t2", wid, 2, status="CANCELED")]
        with store.transaction():
            store.upsert_tasks(ts)
            store.queue_push("work", f"{wid}-t2", 0, 1000, 1000)
            store.add_logs([cast(TaskExecLog, {"taskId": t["taskId"], "log": "hi", "createdTime": 1}) for t in ts])
            assert store.claim_idempotency_key("flow", f"key-{wid}", wid) == wid
    with store.transaction():
        store.delete_task_logs(["gone-t1", "gone-t2"])
        store.queue_remove("work", "gone-t2")
        store.delete_workflow_tasks("gone")
        store.delete_workflow("gone")
    assert store.get_workflow("gone") is None and store.get_tasks("gone") == []
    assert store.get_logs("gone-t1") == [] and store.get_logs("gone-t2") == []
    assert not store.queue_contains("work", "gone-t2")
    assert store.claim_idempotency_key("flow", "key-gone", "new") == "new"  # the key is free again
    assert store.get_workflow("kept") is not None and len(store.get_tasks("kept")) == 2
    assert [lg["log"] for lg in store.get_logs("kept-t1")] == ["hi"]
    assert store.queue_contains("work", "kept-t2")
    assert store.claim_idempotency_key("flow", "key-kept", "other") == "kept"
    assert store.delete_task_logs([]) is None


def test_free_text_entries_go_with_their_workflow(store: Store) -> None:
    ended(store, "fx-1", "flow", 1_000, input={"city": "Zanzibarville"})
    ended(store, "fx-2", "flow", 1_000, input={"city": "Zanzibarville"})
    ended(store, "fx-3", "flow", 1_000, input={"city": "Zanzibarville"})
    if isinstance(store, FreeTextIndexer):
        store.index_free_text(100)  # fx-1..3 indexed
    ended(store, "fx-4", "flow", 1_000, input={"city": "Zanzibarville"})  # still queued for indexing
    with store.transaction():
        store.delete_workflow("fx-1")
        store.delete_workflow("fx-4")
    if isinstance(store, FreeTextIndexer):
        store.index_free_text(100)
    total, found = store.search_workflows(SearchQuery(free_text="Zanzibarville", size=10))
    assert total == 2 and sorted(w["workflowId"] for w in found) == ["fx-2", "fx-3"]
    with store.transaction():
        store.delete_workflow("fx-2")
        store.delete_workflow("fx-3")
    assert store.search_workflows(SearchQuery(free_text="Zanzibarville", size=10))[0] == 0


def test_sqlite_free_text_index_forgets_removed_workflows(tmp_path: Path) -> None:
    """The trigram index itself (not only search results, which re-check every hit) loses the entries."""
    path = tmp_path / "fts.db"
    s = open_store(f"sqlite:///{path}")
    assert isinstance(s, FreeTextIndexer)
    try:
        for i in range(6):
            ended(s, f"w{i}", "flow", 1_000, input={"city": "Zanzibarville"})
        s.index_free_text(100)
        ended(s, "w-queued", "flow", 1_000, input={"city": "Zanzibarville"})
        with s.transaction():
            for i in range(4):
                s.delete_workflow(f"w{i}")
            s.delete_workflow("w-queued")
        s.index_free_text(100)
        with sqlite3.connect(path) as db:
            hits = db.execute("SELECT rowid FROM workflow_text WHERE workflow_text MATCH 'Zan AND bar'").fetchall()
            rowids = db.execute("SELECT rowid FROM workflows ORDER BY rowid").fetchall()
            assert sorted(hits) == rowids and len(rowids) == 2
            assert db.execute("SELECT count(*) FROM workflow_text_pending").fetchone() == (0,)
            db.execute("INSERT INTO workflow_text (workflow_text, rank) VALUES ('integrity-check', 0)")
    finally:
        s.close()


def test_postgres_nodes_take_different_expired_workflows(pg_url: str) -> None:
    a, b = open_store(pg_url), open_store(pg_url)
    try:
        for i in range(6):
            ended(a, f"n{i}", "flow", 1_000)
        with a.transaction():
            mine = a.expired_workflows(5_000, 4)
            theirs = b.expired_workflows(5_000, 4)  # another node, meanwhile: the rows a holds are skipped
        assert len(mine) == 4 and len(theirs) == 2 and not set(mine) & set(theirs)
        assert len(b.expired_workflows(5_000, 10)) == 6  # once a's transaction has ended
    finally:
        a.close()
        b.close()
