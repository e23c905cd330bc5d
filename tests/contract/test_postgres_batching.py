"""PostgreSQL hot-path machinery: deferred row runs, group commit, and notifying only when peers listen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, cast

import psycopg
import pytest

from conftest import wait_until
from pg_cluster import PgCluster
from podium.domain.errors import BackendUnavailable
from podium.domain.model import Task, Workflow
from podium.store.postgres import PostgresStore
from podium.store.postgres import group as postgres_group
from podium.store.postgres import listen as postgres_listen
from podium.store.postgres.runs import row_values, rows_sql


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    try:
        yield s
    finally:
        s.close()


def workflow(wid: str, **extra: Any) -> Workflow:
    wf = {
        "workflowId": wid,
        "workflowName": "flow",
        "workflowVersion": 1,
        "status": "RUNNING",
        "startTime": 1,
        "updateTime": 1,
        "workflowDefinition": {"name": "flow", "version": 1, "tasks": []},
        **extra,
    }
    return cast(Workflow, wf)


def task(wid: str, tid: str, seq: int, status: str = "SCHEDULED") -> Task:
    t = {"taskId": tid, "workflowInstanceId": wid, "seq": seq, "taskType": "work", "status": status}
    return cast(Task, {**t, "referenceTaskName": tid})


def outside(url: str, sql: str, *args: Any) -> list[Any]:
    """Rows as another connection sees them (committed data only)."""
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute(sql, args).fetchall()


def test_rows_sql_repeats_the_tuple() -> None:
    sql = "UPDATE t SET a = u.a FROM (VALUES ROWS(%(a)s::int, lower(%(b)s))) AS u (a, b) WHERE t.b = u.b"
    two = "UPDATE t SET a = u.a FROM (VALUES (%s::int, lower(%s)), (%s::int, lower(%s))) AS u (a, b) WHERE t.b = u.b"
    assert rows_sql(sql, 2) == two
    # Each row binds by name, whatever order its mapping lists them in.
    assert row_values(sql, [{"b": "x", "a": 1}, {"a": 2, "b": "y"}]) == [1, "x", 2, "y"]
    with pytest.raises(ValueError):
        rows_sql("SELECT 1", 1)


def test_runs_of_row_writes_keep_order_and_last_write_wins(store: PostgresStore) -> None:
    with store.transaction():
        store.insert_workflow(workflow("w1"), 500)
        store.upsert_tasks([task("w1", "a", 0), task("w1", "b", 1), task("w1", "c", 2)])
        store.upsert_tasks([task("w1", "a", 0, "IN_PROGRESS")])  # same run: replaces the first row of a
        for tid in ("a", "b", "c"):
            store.queue_push("work", tid, 0, 10, 10)
        store.queue_set_visible("work", "a", 900, 10)
        store.queue_set_visible("work", "b", 700, 10)
        store.queue_set_visible("work", "a", 800, 10)
        # A read sends the runs first, so it sees them.
        assert [t["status"] for t in store.get_tasks("w1")] == ["IN_PROGRESS", "SCHEDULED", "SCHEDULED"]
        assert store.queue_peek("work", 10, 10) == ["c"]
        store.queue_remove("work", "c")
        store.delete_tasks(["c"])
        store.upsert_tasks([task("w1", "b", 1, "COMPLETED")])
    assert store.get_task("b") == task("w1", "b", 1, "COMPLETED")
    rows = outside(store.url, "SELECT task_id, visible_at FROM queue ORDER BY task_id")
    assert rows == [("a", 800), ("b", 700)]
    assert store.due_workflows(500, 10) == ["w1"]
    # Outside a transaction the same calls run at once.
    store.upsert_tasks([task("w1", "x", 5), task("w1", "y", 6)])
    assert [t["taskId"] for t in store.get_tasks("w1")] == ["a", "b", "x", "y"]
    store.delete_tasks(["x", "y"])
    assert [t["taskId"] for t in store.get_tasks("w1")] == ["a", "b"]


def test_loading_a_workflow_sees_the_writes_before_it(store: PostgresStore) -> None:
    store.insert_workflow(workflow("w1"), None)
    with store.transaction():
        store.upsert_tasks([task("w1", "t1", 0)])
        assert store.get_workflow("w1") is not None
        assert [t["taskId"] for t in store.get_tasks("w1")] == ["t1"]


def test_close_commits_an_open_group(pg_url: str) -> None:
    s = PostgresStore(pg_url)
    grouped(s)
    with s.transaction():
        s.insert_workflow(workflow("w1"), None)
    s.close()
    assert outside(pg_url, "SELECT count(*) FROM workflows") == [(1,)]


def test_a_failed_block_drops_its_deferred_writes_only(store: PostgresStore) -> None:
    with store.transaction():
        store.insert_workflow(workflow("w1"), None)
        store.upsert_tasks([task("w1", "kept", 0)])
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_tasks([task("w1", "dropped", 1)])
            raise RuntimeError("boom")
        store.upsert_tasks([task("w1", "after", 2)])
    assert [t["taskId"] for t in store.get_tasks("w1")] == ["kept", "after"]


def grouped(store: PostgresStore) -> list[int]:
    pending: list[int] = []
    store.enable_group_commit(lambda: pending.append(1))
    store.notify_peers = False  # as when the listener found no other node
    return pending


def test_group_commit_shares_one_transaction(store: PostgresStore) -> None:
    pending = grouped(store)
    assert not store.uncommitted
    with store.transaction():
        store.insert_workflow(workflow("w1"), None)
        store.upsert_tasks([task("w1", "t1", 0)])
    with store.transaction():
        store.queue_push("work", "t1", 0, 10, 10)
    assert store.uncommitted and len(pending) == 2
    # The node sees its own units (a read outside a unit runs as one); nobody else does yet.
    assert store.queue_peek("work", 10, 5) == ["t1"]
    assert store.get_workflow("w1") is not None
    assert outside(store.url, "SELECT count(*) FROM workflows") == [(0,)]
    store.commit()
    assert not store.uncommitted
    assert outside(store.url, "SELECT count(*) FROM queue") == [(1,)]
    store.commit()  # nothing open: a no-op


def test_a_failed_unit_is_undone_alone(store: PostgresStore) -> None:
    grouped(store)
    with store.transaction():
        store.insert_workflow(workflow("w1"), None)
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_workflow(workflow("w2"), None)
        raise RuntimeError("boom")
    # A statement that fails in the database is undone alone too.
    with pytest.raises(psycopg.Error), store.transaction():
        store.upsert_tasks([task("w1", "t1", 0)])
        store._c.fetch("SELECT 1/0", ())
    with store.transaction():
        store.upsert_tasks([task("w1", "t2", 0)])
    store.commit()
    assert outside(store.url, "SELECT workflow_id FROM workflows") == [("w1",)]
    assert outside(store.url, "SELECT task_id FROM tasks") == [("t2",)]


def test_a_lost_group_fails_its_commit(postgres: PgCluster, store: PostgresStore) -> None:
    grouped(store)
    with store.transaction():
        store.insert_workflow(workflow("w1"), None)
    with postgres.admin() as c:
        c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'podium'")
    with pytest.raises(BackendUnavailable), store.transaction():
        store.get_workflow("w1")
    assert store.uncommitted  # the waiting unit is owed an error
    with pytest.raises(BackendUnavailable):
        store.commit()
    assert not store.uncommitted
    assert outside(store.url, "SELECT count(*) FROM workflows") == [(0,)]
    with store.transaction():  # the next group starts on a new connection
        store.insert_workflow(workflow("w2"), None)
    store.commit()
    assert outside(store.url, "SELECT workflow_id FROM workflows") == [("w2",)]


def test_with_peers_a_group_commits_once_it_has_held_its_locks_long_enough(
    monkeypatch: pytest.MonkeyPatch, store: PostgresStore
) -> None:
    pending = grouped(store)
    store.notify_peers = True  # another node listens: groups stay short
    monkeypatch.setattr(postgres_group, "PEER_GROUP_HOLD_S", 3600.0)
    with store.transaction():
        store.insert_workflow(workflow("w1"), None)
    with store.transaction():
        store.insert_workflow(workflow("w2"), None)
    assert store.uncommitted and len(pending) == 2  # within the bound: one group, not yet committed
    assert outside(store.url, "SELECT count(*) FROM workflows") == [(0,)]
    monkeypatch.setattr(postgres_group, "PEER_GROUP_HOLD_S", 0.0)
    with store.transaction():  # the group is past its bound: it commits as this unit ends
        store.insert_workflow(workflow("w3"), None)
    assert not store.uncommitted and len(pending) == 3
    assert outside(store.url, "SELECT count(*) FROM workflows") == [(3,)]
    store.commit()  # the barrier's commit finds nothing left


def test_with_peers_a_group_commits_at_its_unit_bound(monkeypatch: pytest.MonkeyPatch, store: PostgresStore) -> None:
    grouped(store)
    store.notify_peers = True
    monkeypatch.setattr(postgres_group, "PEER_GROUP_HOLD_S", 3600.0)
    monkeypatch.setattr(postgres_group, "PEER_GROUP_UNITS", 3)
    for i in range(4):
        with store.transaction():
            store.insert_workflow(workflow(f"w{i}"), None)
    assert outside(store.url, "SELECT count(*) FROM workflows") == [(3,)]
    store.commit()
    assert outside(store.url, "SELECT count(*) FROM workflows") == [(4,)]


def test_a_unit_meeting_another_nodes_lock_commits_the_group_before_waiting(
    monkeypatch: pytest.MonkeyPatch, store: PostgresStore
) -> None:
    """Two nodes' groups never wait on each other while both hold locks (which could deadlock them)."""
    monkeypatch.setattr(postgres_group, "PEER_GROUP_HOLD_S", 3600.0)
    with store.transaction():
        for wid in ("w1", "w2"):
            store.insert_workflow(workflow(wid), None)
    grouped(store)
    store.notify_peers = True
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_node() -> None:  # a peer's open group holds w1 until told to commit
        try:
            peer = PostgresStore(store.url)
            try:
                grouped(peer)
                peer.notify_peers = True
                with peer.transaction():
                    assert peer.get_workflow("w1") is not None
                locked.set()
                release.wait(30)
                peer.commit()
            finally:
                peer.close()
        except BaseException as e:
            errors.append(e)
            locked.set()

    t = threading.Thread(target=other_node)
    t.start()
    assert locked.wait(30) and not errors
    with store.transaction():  # the first unit of this node's group locks w2
        assert store.get_workflow("w2") is not None
        store.upsert_tasks([task("w2", "t1", 0)])

    def commit_peer_once_earlier_units_are_durable() -> None:
        try:  # (without the early commit this node would wait on w1 holding w2: the wait times out)
            first_unit_durable = lambda: outside(store.url, "SELECT count(*) FROM tasks") == [(1,)]  # noqa: E731
            wait_until(first_unit_durable, timeout=10, what="the first unit's commit")
        except BaseException as e:
            errors.append(e)
        finally:
            release.set()

    helper = threading.Thread(target=commit_peer_once_earlier_units_are_durable)
    helper.start()
    try:
        with store.transaction():  # w1 is held by the peer: the group commits, then this unit waits alone
            assert store.get_workflow("w1") is not None
            store.upsert_tasks([task("w1", "t2", 0)])
    finally:
        release.set()
        helper.join(30)
        t.join(30)
    assert not errors
    assert store.uncommitted  # the second unit is in a group of its own, not yet committed
    store.commit()
    assert outside(store.url, "SELECT task_id FROM tasks ORDER BY task_id") == [("t1",), ("t2",)]


def test_a_node_notifies_only_while_other_nodes_listen(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    monkeypatch.setattr(postgres_listen, "PEER_RECOUNT_S", 0.02)
    monkeypatch.setattr(postgres_listen, "_WAKE_CHECK_S", 0.02)
    a, b = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        assert a.notify_peers  # no listener yet: notify, to be safe
        queues: list[str] = []
        a.subscribe(lambda q, d: queues.append(q), lambda: None)
        assert a.wait_listening(10)
        wait_until(lambda: not a.notify_peers, what="a to find itself alone")
        b.subscribe(lambda q, d: queues.append(q), lambda: None)
        assert b.wait_listening(10)
        wait_until(lambda: a.notify_peers and b.notify_peers, what="both nodes to see each other")
        b.close()
        wait_until(lambda: not a.notify_peers, what="a to find itself alone again")
    finally:
        a.close()
        b.close()


def test_a_group_wakes_the_other_nodes_once_on_all_its_channels(
    monkeypatch: pytest.MonkeyPatch, store: PostgresStore
) -> None:
    monkeypatch.setattr(postgres_group, "PEER_GROUP_HOLD_S", 3600.0)
    with store.transaction():
        store.insert_workflow(workflow("w1"), None)
    grouped(store)
    store.notify_peers = True
    with psycopg.connect(store.url, autocommit=True) as other:
        other.execute("LISTEN podium_queue")
        with store.transaction():
            store.queue_push("work", "t1", 0, 10, 10)
            store.queue_push("work", "t2", 0, 10, 10)
            store.queue_push("other", "t3", 0, 10, 10)
        with pytest.raises(RuntimeError), store.transaction():
            store.queue_push("dropped", "t4", 0, 10, 10)
            raise RuntimeError("boom")
        with store.transaction():
            store.update_workflow(workflow("w1"), None)
        assert list(other.notifies(timeout=0.2)) == []  # nothing before the commit
        store.commit()
        got = [n.payload for n in other.notifies(timeout=5, stop_after=1)]
        got += [n.payload for n in other.notifies(timeout=0.2)]
    assert len(got) == 1
    node, at, channels = got[0].split("|", 2)
    assert node == store.node and at == ""
    assert sorted(channels.split("\x1f")) == ["other", "wf:w1", "work"]
    assert outside(store.url, "SELECT task_id FROM queue ORDER BY task_id") == [("t1",), ("t2",), ("t3",)]


def test_the_listener_wakes_each_channel_of_a_notification() -> None:
    woken: list[tuple[str, int | None]] = []
    lst = postgres_listen.Listener("postgresql://unused", "me", lambda q, at: woken.append((q, at)), lambda: None, list)
    for payload in postgres_listen.wake_payloads("other", ["work", "wf:w1"]):
        lst._dispatch(postgres_listen.QUEUE_CHANNEL, payload)
    lst._dispatch(postgres_listen.QUEUE_CHANNEL, postgres_listen.queue_payload("me", "mine", None))
    assert woken == [("work", None), ("wf:w1", None)]
    many = postgres_listen.wake_payloads("n", [f"wf:{i:032d}" for i in range(1000)])
    assert len(many) > 1 and all(len(p.encode()) < 8000 for p in many)
