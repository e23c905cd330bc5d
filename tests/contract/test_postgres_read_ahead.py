"""Reading ahead across units: the workflows of requests already parsed come back with one locked read.

A node alone with group commit (``PostgresStore.expect``) queues the locked reads of the workflows that
waiting update requests will decide behind the read of the running unit. A row read ahead is used only
while nothing can have changed it: a write to its workflow or tasks, any other write to them, a failed
unit (its locks are gone) and the end of the group each drop it.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from test_postgres_batching import task, workflow

from podium.store.postgres import PostgresStore


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    for wid in ("w1", "w2", "w3"):
        s.insert_workflow(workflow(wid), None)
        s.upsert_tasks([task(wid, f"{wid}-a", 0)])
    s.enable_group_commit(lambda: None)
    s.notify_peers = False  # as when the listener found no other node
    try:
        yield s
    finally:
        s.close()


def ahead(store: PostgresStore) -> set[str]:
    return set(store._c.main.ahead)


def locked_elsewhere(url: str, wid: str) -> bool:
    """Whether another transaction holds the row lock of workflow ``wid``."""
    with psycopg.connect(url) as c:
        try:
            c.execute("SELECT 1 FROM workflows WHERE workflow_id = %s FOR NO KEY UPDATE NOWAIT", (wid,))
        except psycopg.errors.LockNotAvailable:
            return True
        return False


def expect(store: PostgresStore, *wids: str) -> None:
    for wid in wids:
        assert store.expect(wid)


def test_the_expected_workflows_come_back_locked_with_the_first_read(store: PostgresStore) -> None:
    expect(store, "w1", "w2", "w3")
    with store.transaction():
        loaded = store.load_state("w1")
        assert loaded is not None and loaded[0]["workflowId"] == "w1"
    assert ahead(store) == {"w2", "w3"}
    assert locked_elsewhere(store.url, "w2") and locked_elsewhere(store.url, "w3")
    with store.transaction():
        loaded = store.load_state("w2")
    assert loaded is not None
    assert loaded[0]["workflowId"] == "w2" and [t["taskId"] for t in loaded[1]] == ["w2-a"]
    assert ahead(store) == {"w3"}  # each row read ahead is used once
    store.commit()
    assert not ahead(store) and not locked_elsewhere(store.url, "w3")  # the group's end drops the rest


def test_a_write_to_a_workflow_read_ahead_drops_it(store: PostgresStore) -> None:
    expect(store, "w1", "w2", "w3")
    with store.transaction():
        store.load_state("w1")
        store.update_workflow(workflow("w2", status="PAUSED"), None)
        store.upsert_tasks([task("w3", "w3-b", 1)])
        store.queue_push("work", "w1-b", 0, 10, 10)  # the queue's writes leave rows read ahead alone
    assert ahead(store) == set()
    with store.transaction():
        two = store.load_state("w2")
        three = store.load_state("w3")
    assert two is not None and two[0]["status"] == "PAUSED"
    assert three is not None and [t["taskId"] for t in three[1]] == ["w3-a", "w3-b"]
    store.commit()


def test_a_queue_write_keeps_what_was_read_ahead(store: PostgresStore) -> None:
    expect(store, "w1", "w2")
    with store.transaction():
        store.load_state("w1")
        store.update_workflow(workflow("w1", status="PAUSED"), None)
        store.upsert_tasks([task("w1", "w1-b", 1)])
        store.queue_push("work", "w1-b", 0, 10, 10)
        store.queue_remove("work", "w1-a")
    assert ahead(store) == {"w2"}
    store.commit()


def test_any_other_write_drops_everything_read_ahead(store: PostgresStore) -> None:
    expect(store, "w1", "w2", "w3")
    with store.transaction():
        store.load_state("w1")
        store.delete_workflow_tasks("w3")  # not a write that says which rows read ahead it changes
    assert ahead(store) == set()
    with store.transaction():
        three = store.load_state("w3")
    assert three is not None and three[1] == []
    store.commit()


def test_a_failed_unit_drops_what_it_read_ahead_and_its_locks(store: PostgresStore) -> None:
    expect(store, "w1", "w2")
    with pytest.raises(RuntimeError), store.transaction():
        store.load_state("w1")
        assert ahead(store) == {"w2"}
        raise RuntimeError("boom")
    assert ahead(store) == set()
    assert not locked_elsewhere(store.url, "w2")  # rolled back with the unit's savepoint
    store.update_workflow(workflow("w2", status="PAUSED"), None)  # another writer, now the lock is gone
    with store.transaction():
        two = store.load_state("w2")
    assert two is not None and two[0]["status"] == "PAUSED"
    store.commit()


def test_a_failed_nested_block_drops_what_was_read_ahead(store: PostgresStore) -> None:
    expect(store, "w1", "w2")
    with store.transaction():
        with pytest.raises(RuntimeError), store.transaction():
            store.load_state("w1")
            raise RuntimeError("boom")
        assert ahead(store) == set()
    store.commit()


def test_nothing_is_read_ahead_with_peers_or_without_group_commit(pg_url: str, store: PostgresStore) -> None:
    store.notify_peers = True  # another node listens: a group locks one workflow at a time
    assert not store.expect("w2")
    store.notify_peers = False
    expect(store, "w2")
    store.notify_peers = True  # a peer appeared after the request was parsed
    with store.transaction():
        store.load_state("w1")
    assert ahead(store) == set() and not store._c.main.expected
    store.commit()
    plain = PostgresStore(pg_url)
    try:
        assert not plain.expect("w2")
    finally:
        plain.close()


def test_an_unknown_workflow_expected_reads_nothing(store: PostgresStore) -> None:
    expect(store, "w1", "nope")
    with store.transaction():
        store.load_state("w1")
    with store.transaction():
        assert store.load_state("nope") is None
    store.commit()


def test_the_later_units_send_no_read_of_their_own(monkeypatch: pytest.MonkeyPatch, store: PostgresStore) -> None:
    expect(store, "w1", "w2", "w3")
    with store.transaction():
        store.load_state("w1")
    wire = store._c.main.wire
    assert wire is not None
    sent: list[str] = []
    query = wire.query
    monkeypatch.setattr(wire, "query", lambda sql, args: sent.append(sql) or query(sql, args))
    for wid in ("w2", "w3"):
        with store.transaction():
            loaded = store.load_state(wid)
        assert loaded is not None and [t["taskId"] for t in loaded[1]] == [f"{wid}-a"]
    assert sent == []
    with store.transaction():
        store.load_state("w1")  # read once already, and not expected again: read now
    assert len(sent) == 2
    store.commit()
