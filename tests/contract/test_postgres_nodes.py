"""What only PostgreSQL does: several nodes (stores) on one database, notifications, lost connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from conftest import wait_until
from pg_cluster import PgCluster
from podium.domain.errors import BackendUnavailable
from podium.domain.model import Task, TaskDef, Workflow
from podium.store.postgres import SWEEP_LEASE_MS, PostgresStore
from podium.store.postgres.listen import APP_NAME, LEGACY_APP_NAME

FAR = 99_999_999_999_999
Nodes = tuple[PostgresStore, PostgresStore]


@pytest.fixture()
def nodes(pg_url: str) -> Iterator[Nodes]:
    a, b = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def seed(store: PostgresStore, wid: str, n: int = 2) -> list[str]:
    wf = {
        "workflowId": wid,
        "workflowName": "flow",
        "workflowVersion": 1,
        "status": "RUNNING",
        "startTime": 1,
        "updateTime": 1,
        "workflowDefinition": {"name": "flow", "version": 1, "tasks": []},
    }
    ids = [f"{wid}-t{i}" for i in range(n)]
    with store.transaction():
        store.insert_workflow(cast(Workflow, wf), None)
        for i, tid in enumerate(ids):
            t = {"taskId": tid, "workflowInstanceId": wid, "seq": i, "taskType": "work", "status": "SCHEDULED"}
            store.upsert_tasks([cast(Task, {**t, "referenceTaskName": tid})])
            store.queue_push("work", tid, 0, 10 + i, 10)
    return ids


def backend_pids(postgres: PgCluster, app: str) -> list[int]:
    with postgres.admin() as c:
        rows = c.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app,)).fetchall()
    return [int(r[0]) for r in rows]


def terminate(postgres: PgCluster, pid: int) -> None:
    with postgres.admin() as c:
        c.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_message_is_dequeued_by_one_node(nodes: Nodes) -> None:
    a, b = nodes
    w1 = seed(a, "w1", 1)
    w2 = seed(a, "w2", 1)
    with a.transaction():
        assert a.queue_peek("work", 100, 1) == w1
        with b.transaction():
            assert b.queue_peek("work", 100, 5) == w2  # w1's message is held by node a: skipped
        a.queue_set_visible("work", w1[0], FAR, 100)
    with b.transaction():
        assert b.queue_peek("work", 100, 5) == w2  # a committed its lease


def test_polls_skip_a_workflow_being_decided(nodes: Nodes) -> None:
    a, b = nodes
    seed(a, "w1", 2)
    w2 = seed(a, "w2", 1)
    with a.transaction():
        assert a.get_workflow("w1") is not None
        with b.transaction():
            assert b.queue_peek("work", 100, 5) == w2
    with b.transaction():
        assert len(b.queue_peek("work", 100, 5)) == 3


def test_two_nodes_never_decide_a_workflow_at_once(postgres: PgCluster, nodes: Nodes) -> None:
    a, b = nodes
    seed(a, "w1", 1)
    seen: list[Any] = []

    def other_node() -> None:
        with b.transaction():
            wf = b.get_workflow("w1")
            seen.append(wf and wf["status"])
            seen.append([t["status"] for t in b.get_tasks("w1")])

    with a.transaction():
        wf = a.get_workflow("w1")
        assert wf is not None
        t = threading.Thread(target=other_node)
        t.start()
        with postgres.admin() as c:
            wait_until(
                lambda: c.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone() == (1,),
                what="the other node to wait for the workflow lock",
            )
        assert seen == []
        wf["status"] = "PAUSED"
        a.update_workflow(wf, None)
        task = a.get_tasks("w1")[0]
        task["status"] = "IN_PROGRESS"
        a.upsert_tasks([task])
    t.join(10)
    assert seen == ["PAUSED", ["IN_PROGRESS"]]


def test_the_sweeper_claims_each_due_workflow_once(nodes: Nodes) -> None:
    a, b = nodes
    seed(a, "w1", 0)
    a.set_next_check("w1", 50)
    assert a.due_workflows(100, 10) == ["w1"]
    assert b.due_workflows(100, 10) == []
    assert b.due_workflows(100 + SWEEP_LEASE_MS, 10) == ["w1"]  # the claim lapsed (its node died)


def test_event_messages_are_leased_to_one_node(nodes: Nodes) -> None:
    a, b = nodes
    a.event_publish("q", "m1", "{}", 1)
    assert [m[2] for m in a.event_peek(10, 0)] == ["m1"]
    assert b.event_peek(10, 0) == []


class Calls:
    def __init__(self) -> None:
        self.queues: list[tuple[str, int | None]] = []
        self.metadata = 0

    def on_queue(self, queue: str, visible_at: int | None) -> None:
        self.queues.append((queue, visible_at))

    def on_metadata(self) -> None:
        self.metadata += 1


def test_other_nodes_pushes_and_definition_changes_are_notified(nodes: Nodes) -> None:
    a, b = nodes
    calls = Calls()
    b.subscribe(calls.on_queue, calls.on_metadata)
    assert b.wait_listening(10)
    base = calls.metadata
    b.queue_push("own", "x", 0, 0, 0)  # a node's own pushes are woken in-process, not echoed back
    with a.transaction():
        a.queue_push("work", "t1", 0, 5, 10)
        a.queue_push("work", "t2", 0, 5, 10)
        assert calls.queues == []  # delivered on commit only
    wait_until(lambda: ("work", None) in calls.queues, what="the push notification")
    a.queue_push("later", "t3", 0, FAR, 10)
    wait_until(lambda: ("later", FAR) in calls.queues, what="a delayed push notification")
    assert all(q != "own" for q, _ in calls.queues)
    a.put_task_def(cast(TaskDef, {"name": "td"}))
    wait_until(lambda: calls.metadata > base, what="the definition change notification")
    seed(a, "w9", 0)
    loaded = a.get_workflow("w9")
    assert loaded is not None
    a.update_workflow(loaded, None)  # a wait on the workflow elsewhere (execute) is woken
    wait_until(lambda: ("wf:w9", None) in calls.queues, what="the workflow change notification")


def test_the_listener_reconnects_and_catches_up(postgres: PgCluster, nodes: Nodes) -> None:
    a, b = nodes
    calls = Calls()
    b.subscribe(calls.on_queue, calls.on_metadata)
    assert b.wait_listening(10)
    a.queue_push("waiting", "t1", 0, 0, 0)
    wait_until(lambda: ("waiting", None) in calls.queues, what="the first notification")
    calls.queues.clear()
    for pid in backend_pids(postgres, APP_NAME):
        terminate(postgres, pid)
    # Back on line, the listener wakes every queue with messages (it may have missed pushes).
    wait_until(lambda: ("waiting", None) in calls.queues, what="the catch-up after reconnecting")
    a.queue_push("fresh", "t2", 0, 0, 0)
    wait_until(lambda: ("fresh", None) in calls.queues, what="notifications after reconnecting")


def test_a_lost_connection_is_a_503_then_reconnects(postgres: PgCluster, pg_url: str) -> None:
    s = PostgresStore(pg_url)
    try:
        s.put_task_def(cast(TaskDef, {"name": "before"}))
        for pid in backend_pids(postgres, "podium"):
            terminate(postgres, pid)
        with pytest.raises(BackendUnavailable):
            s.get_task_def("before")
        assert s.get_task_def("before") == {"name": "before"}
        # Lost inside a transaction: the unit fails as a whole and the next one runs on a new connection.
        with pytest.raises(BackendUnavailable), s.transaction():
            s.put_task_def(cast(TaskDef, {"name": "lost"}))
            for pid in backend_pids(postgres, "podium"):
                terminate(postgres, pid)
            s.get_task_def("lost")
        with s.transaction():
            s.put_task_def(cast(TaskDef, {"name": "after"}))
        assert [t["name"] for t in s.list_task_defs()] == ["after", "before"]
    finally:
        s.close()


def test_other_threads_use_the_pool(pg_url: str) -> None:
    s = PostgresStore(pg_url)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with s.transaction():
                s.put_task_def(cast(TaskDef, {"name": f"t{i}"}))
                assert s.get_task_def(f"t{i}") == {"name": f"t{i}"}
            assert s.get_task_def(f"t{i}") is not None
        except BaseException as e:
            errors.append(e)

    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert errors == []
        assert len(s.list_task_defs()) == 6
    finally:
        s.close()


def test_commits_wake_other_nodes_only_on_channels_they_wait_on(nodes: Nodes) -> None:
    """Each node claims what it waits on; another node's commits notify only claimed channels (and delayed
    pushes), once every claim can have been heard (one lease after its listener connected)."""
    from podium.store.postgres.interest import Interest

    a, b = nodes
    a.interest, b.interest = Interest(lease_s=0.5), Interest(lease_s=0.5)
    calls_a, calls_b = Calls(), Calls()
    a.subscribe(calls_a.on_queue, calls_a.on_metadata)
    b.subscribe(calls_b.on_queue, calls_b.on_metadata)
    assert a.wait_listening(10) and b.wait_listening(10)
    wait_until(lambda: a.notify_peers and not a.interest.wanted("idle"), what="a past its listening lease")
    seed(a, "w1", 0)
    a.queue_push("idle", "t1", 0, 0, 0)  # nobody waits on it: no notification
    loaded = a.get_workflow("w1")
    assert loaded is not None
    a.update_workflow(loaded, None)  # nobody waits on the workflow either
    assert b.want_wakes("busy") is True  # a fresh claim
    assert b.want_wakes("busy") is False  # renewed only at half-life
    wait_until(lambda: a.interest.wanted("busy"), what="a hearing b's claim")
    a.queue_push("busy", "t2", 0, 0, 0)
    a.queue_push("idle", "t3", 0, FAR, 10)  # a delayed push notifies anyway
    wait_until(lambda: ("busy", None) in calls_b.queues and ("idle", FAR) in calls_b.queues, what="notifications")
    assert ("idle", None) not in calls_b.queues and ("wf:w1", None) not in calls_b.queues
    wait_until(lambda: not a.interest.wanted("busy"), what="b's claim lapsing unrenewed")


def test_a_node_of_a_version_that_does_not_claim_gets_every_wake_up(pg_url: str, nodes: Nodes) -> None:
    """During a rolling upgrade older nodes never claim what they wait on: while one listens, every
    channel wakes (they are told apart by their listener's name)."""
    import psycopg

    from podium.store.postgres.interest import Interest

    a, _ = nodes
    a.interest = Interest(lease_s=0.3)
    a.subscribe(Calls().on_queue, Calls().on_metadata)
    assert a.wait_listening(10)
    wait_until(lambda: not a.interest.wanted("q"), what="a past its listening lease")
    with psycopg.connect(pg_url, autocommit=True, application_name=LEGACY_APP_NAME) as old:
        old.execute("LISTEN podium_queue")
        old.execute("SELECT pg_notify('podium_meta', 'join|old-node')")
        wait_until(lambda: a.interest.wanted("q"), what="a counting the old node")
    wait_until(lambda: not a.interest.wanted("q"), what="the old node gone at a recount", timeout=15)
