"""The store contract: the same cases against every backend (SQLite file, real PostgreSQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

from podium.domain.model import EventHandler, Task, TaskDef, Workflow, WorkflowDef
from podium.domain.search import SearchQuery
from podium.service.container import open_store
from podium.store.protocols import Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'contract.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


def wdef(name: str = "flow", version: int = 1, **extra: Any) -> WorkflowDef:
    return cast(WorkflowDef, {"name": name, "version": version, "tasks": [], **extra})


def wf(wid: str, name: str = "flow", status: str = "RUNNING", start: int = 1000, **extra: Any) -> Workflow:
    version = extra.pop("version", 1)
    body: dict[str, Any] = {
        "workflowId": wid,
        "workflowName": name,
        "workflowVersion": version,
        "status": status,
        "startTime": start,
        "createTime": start,
        "updateTime": start,
        "workflowDefinition": extra.pop("definition", wdef(name, version)),
        "input": {"n": wid},
        **extra,
    }
    return cast(Workflow, body)


def task(tid: str, wid: str, seq: int, ttype: str = "work", status: str = "SCHEDULED", **extra: Any) -> Task:
    body: dict[str, Any] = {
        "taskId": tid,
        "workflowInstanceId": wid,
        "seq": seq,
        "taskType": ttype,
        "taskDefName": extra.pop("taskDefName", ttype),
        "referenceTaskName": f"{tid}_ref",
        "status": status,
        "updateTime": extra.pop("updateTime", 1000 + seq),
        **extra,
    }
    return cast(Task, body)


def seed(store: Store, wid: str = "w1", tasks: int = 2, ttype: str = "work") -> list[Task]:
    """A workflow with ``tasks`` scheduled tasks, each on its queue (as the engine leaves them)."""
    ts = [task(f"{wid}-t{i}", wid, i, ttype) for i in range(1, tasks + 1)]
    with store.transaction():
        store.insert_workflow(wf(wid), None)
        store.upsert_tasks(ts)
        for i, t in enumerate(ts):
            store.queue_push(ttype, t["taskId"], 0, 1000 + i, 1000)
    return ts


# -- metadata -----------------------------------------------------------------------------------
def test_task_defs_round_trip(store: Store) -> None:
    store.put_task_def(cast(TaskDef, {"name": "b", "retryCount": 1}))
    store.put_task_def(cast(TaskDef, {"name": "a", "retryCount": 2}))
    store.put_task_def(cast(TaskDef, {"name": "b", "retryCount": 3}))
    assert store.get_task_def("b") == {"name": "b", "retryCount": 3}
    assert [t["name"] for t in store.list_task_defs()] == ["a", "b"]
    assert store.delete_task_def("a") is True
    assert store.delete_task_def("a") is False
    assert store.get_task_def("a") is None


def test_workflow_defs_versions(store: Store) -> None:
    store.put_workflow_def(wdef("f", 1, description="one"), 10)
    store.put_workflow_def(wdef("f", 3, description="three"), 11)
    store.put_workflow_def(wdef("f", 2), 12)
    store.put_workflow_def(wdef("e", 1), 13)
    latest = store.get_workflow_def("f")
    assert latest is not None and latest["version"] == 3
    one = store.get_workflow_def("f", 1)
    assert one is not None and one.get("description") == "one"
    assert store.get_workflow_def("f", 9) is None
    assert [(d["name"], d["version"]) for d in store.list_workflow_defs()] == [("e", 1), ("f", 1), ("f", 2), ("f", 3)]
    assert store.delete_workflow_def("f", 3) is True
    assert store.delete_workflow_def("f", 3) is False
    again = store.get_workflow_def("f")
    assert again is not None and again["version"] == 2


# -- executions ---------------------------------------------------------------------------------
def test_workflow_round_trip_keeps_definition(store: Store) -> None:
    d = wdef("flow", 1, tasks=[{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}])
    w = wf("w1", definition=d, correlationId="c1", output={"x": [1, "é"]})
    store.insert_workflow(w, None)
    got = store.get_workflow("w1")
    assert got == w
    assert store.get_workflow("nope") is None
    w2 = dict(w, status="COMPLETED", endTime=2000, updateTime=2000)
    store.update_workflow(cast(Workflow, w2), None)
    got2 = store.get_workflow("w1")
    assert got2 is not None and got2["status"] == "COMPLETED" and got2.get("endTime") == 2000
    assert got2["workflowDefinition"] == d
    store.delete_workflow("w1")
    assert store.get_workflow("w1") is None


def test_tasks_ordered_upserted_deleted(store: Store) -> None:
    store.insert_workflow(wf("w1"), None)
    store.upsert_tasks([task("t2", "w1", 2), task("t1", "w1", 1), task("t3", "w1", 3)])
    assert [t["taskId"] for t in store.get_tasks("w1")] == ["t1", "t2", "t3"]
    store.upsert_tasks([task("t2", "w1", 2, status="COMPLETED", outputData={"ok": True})])
    t2 = store.get_task("t2")
    assert t2 is not None and t2["status"] == "COMPLETED" and t2.get("outputData") == {"ok": True}
    store.delete_tasks(["t1", "t3"])
    assert [t["taskId"] for t in store.get_tasks("w1")] == ["t2"]
    store.delete_workflow_tasks("w1")
    assert store.get_tasks("w1") == [] and store.get_task("t2") is None


def test_next_checks(store: Store) -> None:
    for i, at in enumerate([300, 100, 200, None, 900]):
        store.insert_workflow(wf(f"w{i}"), at)
    assert store.due_workflows(250, 10) == ["w1", "w2"]
    store.set_next_check("w4", 50)
    store.set_next_check("w0", 10)
    store.set_next_check("w2", None)
    due = store.due_workflows(60, 10)
    assert sorted(due) == ["w0", "w4"]


def test_due_workflows_limit_and_order(store: Store) -> None:
    for i in range(5):
        store.insert_workflow(wf(f"w{i}"), 100 - i)
    assert store.due_workflows(1000, 3) == ["w4", "w3", "w2"]


def test_execution_lookups(store: Store) -> None:
    store.insert_workflow(wf("a", start=100, correlationId="c"), None)
    store.insert_workflow(wf("b", start=200, correlationId="c", parentWorkflowId="a"), None)
    store.insert_workflow(wf("c", start=300, status="COMPLETED", parentWorkflowId="a"), None)
    store.insert_workflow(wf("d", start=400, version=2), None)
    assert store.running_workflow_ids("flow", 1, 0, 1000) == ["a", "b"]
    assert store.running_workflow_ids("flow", 1, 150, 1000) == ["b"]
    assert [w["workflowId"] for w in store.workflows_by_correlation("flow", "c")] == ["a", "b"]
    assert sorted(store.child_workflow_ids("a")) == ["b", "c"]
    store.upsert_tasks(
        [
            task("t1", "a", 1, "x", "IN_PROGRESS", updateTime=5),
            task("t2", "a", 2, "x", "IN_PROGRESS", updateTime=3),
            task("t3", "b", 1, "x", "SCHEDULED", updateTime=4),
            task("t4", "b", 2, "x", "COMPLETED", updateTime=1),
            task("t5", "b", 3, "y", "IN_PROGRESS", updateTime=2),
        ]
    )
    assert store.count_in_progress("x") == 2
    assert [t["taskId"] for t in store.pending_tasks_of_type("x", 0, 10)] == ["t2", "t3", "t1"]
    assert [t["taskId"] for t in store.pending_tasks_of_type("x", 1, 1)] == ["t3"]


# -- queues -------------------------------------------------------------------------------------
def test_queue_order_and_visibility(store: Store) -> None:
    store.queue_push("q", "late", 0, 500, 1)
    store.queue_push("q", "first", 0, 100, 3)
    store.queue_push("q", "second", 0, 100, 4)
    store.queue_push("q", "urgent", 9, 200, 5)
    store.queue_push("other", "x", 0, 0, 1)
    assert store.queue_peek("q", 300, 10) == ["urgent", "first", "second"]
    assert store.queue_peek("q", 300, 2) == ["urgent", "first"]
    assert store.queue_peek("q", 600, 10)[-1] == "late"
    assert store.queue_size("q") == 4
    assert store.queue_sizes(300) == {"q": (4, 1), "other": (1, 0)}
    assert store.queue_next_visible("q") == 100
    assert store.queue_next_visible("empty") is None


def test_queue_push_twice_updates(store: Store) -> None:
    store.queue_push("q", "t", 0, 100, 1)
    store.queue_push("q", "t", 0, 900, 2)
    assert store.queue_size("q") == 1
    assert store.queue_peek("q", 500, 10) == []
    assert store.queue_contains("q", "t") and not store.queue_contains("q", "u")


def test_queue_set_visible_remove_requeue(store: Store) -> None:
    for i in range(3):
        store.queue_push("q", f"t{i}", 0, 0, i)
    store.queue_set_visible("q", "t0", 5000, 100)
    store.queue_set_visible("q", "t1", 6000, 100)
    assert store.queue_peek("q", 100, 10) == ["t2"]
    assert store.queue_requeue("q", 100) == 2
    assert sorted(store.queue_peek("q", 100, 10)) == ["t0", "t1", "t2"]
    store.queue_remove("q", "t0")
    store.queue_push("q2", "t1", 0, 0, 0)
    store.queue_remove_task("t1")
    assert store.queue_peek("q", 100, 10) == ["t2"]
    assert store.queue_size("q2") == 0


def test_dequeue_in_transaction_returns_tasks(store: Store) -> None:
    ts = seed(store, tasks=3)
    with store.transaction():
        ids = store.queue_peek("work", 5000, 2)
        assert ids == [ts[0]["taskId"], ts[1]["taskId"]]
        got = [store.get_task(i) for i in ids]
        assert [g["taskId"] for g in got if g] == ids
        for i in ids:
            store.queue_set_visible("work", i, 99_999_999_999, 5000)
    assert store.queue_peek("work", 5000, 10) == [ts[2]["taskId"]]


# -- transactions -------------------------------------------------------------------------------
def test_transaction_commits_and_rolls_back(store: Store) -> None:
    with store.transaction():
        store.put_task_def(cast(TaskDef, {"name": "kept"}))
    with pytest.raises(RuntimeError), store.transaction():
        store.put_task_def(cast(TaskDef, {"name": "lost"}))
        store.insert_workflow(wf("lost"), 1)
        raise RuntimeError("boom")
    assert store.get_task_def("kept") is not None
    assert store.get_task_def("lost") is None and store.get_workflow("lost") is None


def test_nested_failure_rolls_back_only_the_inner_block(store: Store) -> None:
    with store.transaction():
        store.put_task_def(cast(TaskDef, {"name": "outer"}))
        with pytest.raises(KeyError), store.transaction():
            store.put_task_def(cast(TaskDef, {"name": "inner"}))
            raise KeyError("x")
        with store.transaction():
            store.put_task_def(cast(TaskDef, {"name": "inner2"}))
        assert store.get_task_def("inner") is None
    assert [t["name"] for t in store.list_task_defs()] == ["inner2", "outer"]


def test_failed_statement_in_nested_block_keeps_the_outer_one(store: Store) -> None:
    store.insert_workflow(wf("dup"), None)
    with store.transaction():
        store.put_task_def(cast(TaskDef, {"name": "survives"}))
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)), store.transaction():
            store.insert_workflow(wf("dup"), None)
            store.get_workflow("dup")  # a read forces any queued write to run
    assert store.get_task_def("survives") is not None


def test_reads_inside_a_transaction_see_its_writes(store: Store) -> None:
    seed(store, "w1", tasks=1)
    with store.transaction():
        loaded = store.get_workflow("w1")
        assert loaded is not None
        store.upsert_tasks([task("w1-t9", "w1", 9)])
        assert [t["taskId"] for t in store.get_tasks("w1")] == ["w1-t1", "w1-t9"]
        loaded["status"] = "PAUSED"
        store.update_workflow(loaded, None)
        again = store.get_workflow("w1")
        assert again is not None and again["status"] == "PAUSED"


# -- poll data, logs, events --------------------------------------------------------------------
def test_poll_data_and_logs(store: Store) -> None:
    store.put_poll_data(
        [
            {"queueName": "b", "workerId": "w1", "lastPollTime": 5},
            {"queueName": "a", "domain": "d", "workerId": "w2", "lastPollTime": 6},
        ]
    )
    store.put_poll_data([{"queueName": "b", "workerId": "w3", "lastPollTime": 7}])
    assert store.list_poll_data() == [
        {"queueName": "a", "domain": "d", "workerId": "w2", "lastPollTime": 6},
        {"queueName": "b", "workerId": "w3", "lastPollTime": 7},
    ]
    store.add_logs([{"taskId": "t", "log": "one", "createdTime": 2}, {"taskId": "t", "log": "two", "createdTime": 1}])
    store.add_logs([{"taskId": "u", "log": "other", "createdTime": 3}])
    assert [lg["log"] for lg in store.get_logs("t")] == ["one", "two"]
    assert store.get_logs("t")[0] == {"taskId": "t", "log": "one", "createdTime": 2}


def test_event_handlers(store: Store) -> None:
    def handler(name: str, event: str, active: bool) -> EventHandler:
        return cast(EventHandler, {"name": name, "event": event, "active": active, "actions": []})

    store.put_event_handler(handler("h2", "conductor:q1", True))
    store.put_event_handler(handler("h1", "conductor:q1", False))
    store.put_event_handler(handler("h3", "conductor:q2", True))
    assert [h["name"] for h in store.list_event_handlers()] == ["h1", "h2", "h3"]
    assert [h["name"] for h in store.list_event_handlers("conductor:q1")] == ["h1", "h2"]
    got = store.get_event_handler("h1")
    assert got is not None and got["active"] is False
    assert store.delete_event_handler("h1") is True and store.delete_event_handler("h1") is False


def test_event_queue_and_executions(store: Store) -> None:
    store.event_publish("q1", "m1", '{"a": 1}', 10)
    store.event_publish("q2", "m2", '"x"', 11)
    store.event_publish("q1", "m3", "{}", 12)
    msgs = store.event_peek(2, 0)
    assert [(m[1], m[2], m[3]) for m in msgs] == [("q1", "m1", '{"a": 1}'), ("q2", "m2", '"x"')]
    assert store.event_queue_sizes() == {"q1": 2, "q2": 1}
    for seq, *_ in msgs:
        store.event_ack(seq)
    assert [m[2] for m in store.event_peek(10, 0)] == ["m3"]
    store.put_event_execution("k1", {"id": "k1", "name": "h", "messageId": "m1", "created": 5, "status": "IN_PROGRESS"})
    store.put_event_execution("k1", {"id": "k1", "name": "h", "messageId": "m1", "created": 5, "status": "COMPLETED"})
    store.put_event_execution("k2", {"id": "k2", "name": "h", "messageId": "m2", "created": 6})
    got = store.get_event_execution("k1")
    assert got is not None and got["status"] == "COMPLETED"
    assert store.get_event_execution("nope") is None
    assert [e["id"] for e in store.list_event_executions("h", 10)] == ["k2", "k1"]


# -- search (the search suite covers the query language; this checks the plumbing) ---------------
def test_search_plumbing(store: Store) -> None:
    for i in range(4):
        store.insert_workflow(wf(f"w{i}", status="RUNNING" if i % 2 else "COMPLETED", start=100 + i), None)
    store.upsert_tasks([task("t1", "w1", 1, "enc", "IN_PROGRESS"), task("t2", "w2", 1, "enc", "COMPLETED")])
    total, rows = store.search_workflows(SearchQuery(start=0, size=1, clauses=[("status", "=", "RUNNING")]))
    assert total == 2 and [r["workflowId"] for r in rows] == ["w3"]
    assert rows[0]["workflowDefinition"]["name"] == "flow"
    total, trows = store.search_tasks(SearchQuery(clauses=[("taskType", "=", "enc")], free_text="IN_PROGRESS"))
    assert total == 1 and trows[0]["taskId"] == "t1"


# -- load_state: what the engine changes in a transaction ------------------------------------------
def test_load_state_reads_what_was_written(store: Store) -> None:
    with store.transaction():
        store.insert_workflow(wf("w1"), None)
        store.upsert_tasks([task("t2", "w1", 2), task("t1", "w1", 1)])
    loaded = store.load_state("w1")
    assert loaded is not None
    w, tasks = loaded
    assert w["workflowId"] == "w1"
    assert [t["taskId"] for t in tasks] == ["t1", "t2"]
    assert store.load_state("missing") is None
    found = store.load_task("t2")
    assert found is not None and found["seq"] == 2
    assert store.load_task("missing") is None


def test_load_state_follows_every_write(store: Store) -> None:
    with store.transaction():
        store.insert_workflow(wf("w1"), None)
        store.upsert_tasks([task("t1", "w1", 1)])
    with store.transaction():
        loaded = store.load_state("w1")
        assert loaded is not None
        w, tasks = loaded
        tasks[0]["status"] = "COMPLETED"
        w["variables"] = {"v": 1}
        store.upsert_tasks([tasks[0], task("t2", "w1", 2)])
        store.update_workflow(w, None)
    # A write of a separately read copy counts too.
    fresh = store.get_task("t2")
    assert fresh is not None
    fresh["status"] = "IN_PROGRESS"
    with store.transaction():
        store.upsert_tasks([fresh])
    loaded = store.load_state("w1")
    assert loaded is not None
    assert loaded[0]["variables"] == {"v": 1}
    assert [(t["taskId"], t["status"]) for t in loaded[1]] == [("t1", "COMPLETED"), ("t2", "IN_PROGRESS")]
    with store.transaction():
        store.delete_tasks(["t1"])
    loaded = store.load_state("w1")
    assert loaded is not None and [t["taskId"] for t in loaded[1]] == ["t2"]
    with store.transaction():
        store.delete_workflow_tasks("w1")
        store.delete_workflow("w1")
    assert store.load_state("w1") is None


def test_load_state_after_a_rolled_back_change(store: Store) -> None:
    with store.transaction():
        store.insert_workflow(wf("w1"), None)
        store.upsert_tasks([task("t1", "w1", 1)])
    with pytest.raises(RuntimeError), store.transaction():
        loaded = store.load_state("w1")
        assert loaded is not None
        loaded[0]["status"] = "PAUSED"
        loaded[1][0]["status"] = "COMPLETED"
        store.upsert_tasks([loaded[1][0]])
        store.update_workflow(loaded[0], None)
        raise RuntimeError("boom")
    loaded = store.load_state("w1")
    assert loaded is not None
    assert loaded[0]["status"] == "RUNNING"
    assert loaded[1][0]["status"] == "SCHEDULED"
    t1 = store.load_task("t1")
    assert t1 is not None and t1["status"] == "SCHEDULED"


def test_known_next_check_is_only_what_the_store_is_sure_of(store: Store) -> None:
    single = bool(getattr(store, "single_writer", False))
    with store.transaction():
        store.insert_workflow(wf("w1"), 500)
    assert store.known_next_check("w1") == (500 if single else None)
    with store.transaction():
        store.set_next_check("w1", 900)  # moved outside a decide: not known any more
    assert store.known_next_check("w1") is None
    with pytest.raises(RuntimeError), store.transaction():
        loaded = store.load_state("w1")
        assert loaded is not None
        store.update_workflow(loaded[0], 100)
        raise RuntimeError("rolled back")
    assert store.known_next_check("w1") is None  # what the rolled-back unit wrote is forgotten
    assert store.known_next_check("missing") is None


# -- issue #12: decide failures, idempotency keys, event chain depth ------------------------------
def test_decide_failures_count_in_a_row_and_start_afresh(store: Store) -> None:
    with store.transaction():
        store.insert_workflow(wf("w1"), 5)
    with store.transaction():
        assert store.record_decide_failure("w1", 1000) == 1
    with store.transaction():
        assert store.record_decide_failure("w1", 1000) == 2
    with store.transaction():  # the workflow was written since: a new run of failures
        assert store.record_decide_failure("w1", 2000) == 1
    with store.transaction():
        store.clear_decide_failures("w1")
    with store.transaction():
        assert store.record_decide_failure("w1", 2000) == 1


def test_a_rolled_back_failure_is_not_counted(store: Store) -> None:
    with store.transaction():
        store.insert_workflow(wf("w1"), 5)
    with pytest.raises(RuntimeError), store.transaction():
        store.record_decide_failure("w1", 1000)
        raise RuntimeError("rolled back")
    with store.transaction():
        assert store.record_decide_failure("w1", 1000) == 1


def test_idempotency_keys_have_one_holder_per_workflow_name(store: Store) -> None:
    with store.transaction():
        assert store.claim_idempotency_key("flow", "k", "w1") == "w1"
        assert store.claim_idempotency_key("flow", "k", "w2") == "w1"
        assert store.claim_idempotency_key("other", "k", "w3") == "w3"
    with store.transaction():
        assert store.claim_idempotency_key("flow", "k", "w4") == "w1"
        assert not store.replace_idempotency_key("flow", "k", "w2", "w4")
        assert store.replace_idempotency_key("flow", "k", "w1", "w4")
        assert store.claim_idempotency_key("flow", "k", "w5") == "w4"


def test_event_depth_and_removal_forget_side_rows(store: Store) -> None:
    with store.transaction():
        store.insert_workflow(wf("w1"), 5)
        store.set_event_depth("w1", 3)
        store.record_decide_failure("w1", 1000)
        store.claim_idempotency_key("flow", "k", "w1")
    assert store.event_depth("w1") == 3
    assert store.event_depth("nobody") == 0
    with store.transaction():
        store.delete_workflow("w1")
    assert store.event_depth("w1") == 0
    with store.transaction():
        assert store.claim_idempotency_key("flow", "k", "w2") == "w2"
        assert store.record_decide_failure("w1", 1000) == 1


def test_definition_tags_are_kept_per_kind_and_name(store: Store) -> None:
    assert store.get_definition_tags("workflow", "flow") == []
    tags = [{"key": "team", "type": "METADATA", "value": "billing"}, {"key": "tier", "type": "METADATA", "value": 2}]
    with store.transaction():
        store.put_definition_tags("workflow", "flow", tags, 1000)
        store.put_definition_tags("task", "flow", tags[:1], 1000)
    assert store.get_definition_tags("workflow", "flow") == tags
    assert store.get_definition_tags("task", "flow") == tags[:1]
    with store.transaction():
        store.put_definition_tags("workflow", "flow", tags[1:], 2000)  # replaces
    assert store.get_definition_tags("workflow", "flow") == tags[1:]
    assert sorted(map(len, store.all_definition_tags())) == [1, 1]


def test_secrets_and_environment_values(store: Store) -> None:
    assert store.list_secrets() == {} and store.get_secret("tok") is None
    with store.transaction():
        store.put_secret("tok", "v1:sealed-a", 1000)
        store.put_secret("other", "v1:sealed-b", 1000)
    with store.transaction():
        store.put_secret("tok", "v1:sealed-c", 2000)  # replaces
    assert store.get_secret("tok") == "v1:sealed-c"
    assert store.list_secrets() == {"other": "v1:sealed-b", "tok": "v1:sealed-c"}
    with store.transaction():
        assert store.delete_secret("tok") is True
        assert store.delete_secret("tok") is False
    assert store.list_secrets() == {"other": "v1:sealed-b"}

    assert store.list_env_values() == {}
    with store.transaction():
        store.put_env_value("region", "eu", 1000)
        store.put_env_value("region", "us", 2000)
        store.put_env_value("tier", "gold", 2000)
    assert store.list_env_values() == {"region": "us", "tier": "gold"}
    with store.transaction():
        assert store.delete_env_value("tier") is True
        assert store.delete_env_value("tier") is False
    assert store.list_env_values() == {"region": "us"}
