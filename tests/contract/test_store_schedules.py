"""The schedule store contract (issue #15): the same cases on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.service.container import open_store
from podium.store.protocols import Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'schedules.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


def schedule(name: str, workflow: str = "wf", paused: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "cronExpression": "0 * * * * *",
        "zoneId": "UTC",
        "paused": paused,
        "startWorkflowRequest": {"name": workflow, "input": {"k": 1}},
    }


def execution(name: str, at: int, execution_id: str, state: str = "EXECUTED") -> dict[str, Any]:
    return {
        "executionId": execution_id,
        "scheduleName": name,
        "scheduledTime": at,
        "executionTime": at + 5,
        "workflowName": "wf",
        "workflowId": "w-" + execution_id,
        "state": state,
        "zoneId": "UTC",
    }


def test_schedules_are_saved_listed_replaced_and_deleted(store: Store) -> None:
    with store.transaction():
        store.put_schedule(schedule("b", "wf2"), 2000, now=1)
        store.put_schedule(schedule("a"), 1000, now=1)
        store.put_schedule(schedule("never"), None, now=1)
    assert store.get_schedule("missing") is None
    assert store.get_schedule("a") == (schedule("a"), 1000)
    assert [s["name"] for s, _ in store.list_schedules()] == ["a", "b", "never"]
    assert [s["name"] for s, _ in store.list_schedules("wf2")] == ["b"]
    with store.transaction():
        store.put_schedule(schedule("a", "wf2"), 3000, now=2)
    assert store.get_schedule("a") == (schedule("a", "wf2"), 3000)
    assert [s["name"] for s, _ in store.list_schedules("wf2")] == ["a", "b"]
    with store.transaction():
        assert store.delete_schedule("a") is True
        assert store.delete_schedule("a") is False
    assert store.get_schedule("a") is None


def test_due_schedules_skip_paused_and_finished_ones(store: Store) -> None:
    with store.transaction():
        store.put_schedule(schedule("late"), 500, now=1)
        store.put_schedule(schedule("early"), 100, now=1)
        store.put_schedule(schedule("paused", paused=True), 50, now=1)
        store.put_schedule(schedule("future"), 5000, now=1)
        store.put_schedule(schedule("done"), None, now=1)
    assert [(s["name"], t) for s, t in store.due_schedules(1000, 10)] == [("early", 100), ("late", 500)]
    assert [s["name"] for s, _ in store.due_schedules(1000, 1)] == ["early"]
    assert store.earliest_schedule() == 100
    with store.transaction():
        assert store.advance_schedule("early", 100, 7000) is True
        assert store.advance_schedule("early", 100, 8000) is False  # moved already: the first move stays
    assert store.get_schedule("early") == (schedule("early"), 7000)
    assert store.earliest_schedule() == 500
    with store.transaction():
        assert store.advance_schedule("late", 500, None) is True
    assert store.earliest_schedule() == 5000


def test_a_fire_time_is_claimed_once(store: Store) -> None:
    with store.transaction():
        assert store.claim_schedule_fire(execution("s", 1000, "e1")) is True
        assert store.claim_schedule_fire(execution("s", 1000, "e2")) is False
        assert store.claim_schedule_fire(execution("s", 2000, "e3", "FAILED")) is True
        assert store.claim_schedule_fire(execution("other", 1000, "e4")) is True
    assert [e["executionId"] for e in store.recent_schedule_executions("s", 10)] == ["e3", "e1"]
    assert store.recent_schedule_executions("s", 10)[1] == execution("s", 1000, "e1")
    assert [e["executionId"] for e in store.recent_schedule_executions(None, 2)] == ["e3", "e1"]


def test_concurrent_claims_have_one_winner(store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Several stores (nodes) on one database claim the same fire times at once: each time is won once."""
    if "sqlite" in request.node.callspec.id:
        others = [store]
    else:
        others = [open_store(request.getfixturevalue("pg_url")) for _ in range(3)]
    wins: list[tuple[int, int]] = []
    lock = threading.Lock()

    def claim(i: int, s: Store) -> None:
        for at in range(20):
            with s.transaction():
                won = s.claim_schedule_fire(execution("race", at, f"n{i}-{at}"))
            if won:
                with lock:
                    wins.append((i, at))

    threads = [threading.Thread(target=claim, args=(i, s)) for i, s in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if others != [store]:
        for s in others:
            s.close()
    assert sorted(at for _, at in wins) == list(range(20))
    assert len(store.recent_schedule_executions("race", 100)) == 20


def test_old_executions_are_pruned_oldest_first(store: Store) -> None:
    with store.transaction():
        for at in range(10):
            assert store.claim_schedule_fire(execution("p", at * 1000, f"p{at}"))
    with store.transaction():
        assert store.prune_schedule_executions(5000, 3) == 3  # the oldest three of the five before 5 s
    assert sorted(e["scheduledTime"] for e in store.recent_schedule_executions("p", 100)) == [
        3000,
        4000,
        5000,
        6000,
        7000,
        8000,
        9000,
    ]
    with store.transaction():
        assert store.prune_schedule_executions(5000, 100) == 2
        assert store.prune_schedule_executions(5000, 100) == 0
    assert len(store.recent_schedule_executions("p", 100)) == 5
