"""The in-memory workflow cache of the SQLite store never disagrees with the file.

A seeded random mix of the engine's operations (starts, polls, completions, failures with retries,
callbacks, pauses, resumes, terminations, retries, reruns, restarts, skips, deletions; forks and
sub-workflows) runs against a real SQLite file. After every operation each cached workflow, its task
records and its remembered index columns must equal what a fresh read of the file gives.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any, cast

import orjson

from podium.domain.clock import ManualClock
from podium.domain.errors import PodiumError
from podium.domain.model import TaskDef, WorkflowDef
from podium.service import reruns
from podium.service import workflows as ops
from podium.service.container import build_services
from podium.service.starting import start
from podium.store.sqlite import SqliteStore
from podium.store.state_cache import UNKNOWN

TASK = "work"


def _defs() -> list[WorkflowDef]:
    simple = [
        {"name": TASK, "taskReferenceName": f"s{i}", "type": "SIMPLE", "inputParameters": {"i": i}} for i in range(3)
    ]
    fork = {
        "name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": TASK, "taskReferenceName": "a", "type": "SIMPLE"}],
            [{"name": TASK, "taskReferenceName": "b", "type": "SIMPLE"}],
        ],
    }  # fmt: skip
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}
    sub = {
        "name": "child", "taskReferenceName": "child", "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": "linear", "version": 1},
    }  # fmt: skip
    return cast(
        list[WorkflowDef],
        [
            {"name": "linear", "version": 1, "tasks": simple},
            {"name": "forked", "version": 1, "tasks": [fork, join, simple[0]]},
            {"name": "parent", "version": 1, "tasks": [sub, simple[1]]},
        ],
    )


def _plain(record: Any) -> Any:
    body = {k: v for k, v in record.items() if k not in ("workflowDefinition", "tasks")}
    return orjson.loads(orjson.dumps(body))


def _check(store: SqliteStore) -> int:
    checked = 0
    for wid in store.states.ids():
        cached = store.states.get(wid)
        assert cached is not None
        fresh = store.get_workflow(wid)
        assert fresh is not None, f"{wid} cached but not stored"
        assert _plain(cached[0]) == _plain(fresh), wid
        assert [_plain(t) for t in cached[1]] == [_plain(t) for t in store.get_tasks(wid)], wid
        cols = store.states.columns(wid)
        assert cols is not None
        row = store._conn.execute(
            "SELECT status, correlation_id, next_check FROM workflows WHERE workflow_id = ?", (wid,)
        ).fetchone()
        assert (cols[0], cols[1]) == (row[0], row[1]), wid
        if cols[2] != UNKNOWN:
            assert cols[2] == row[2], wid
        checked += 1
    return checked


def test_cache_equals_the_file_through_a_random_mix_of_operations(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    clock = ManualClock()
    store = SqliteStore(str(tmp_path / "cache.db"))
    svc = build_services(store, clock)
    engine = svc.engine
    # Ids in creation order, so the queue's order (ties broken by id) and every run are the same.
    counter = iter(range(1, 10**9))

    def next_id() -> str:
        return f"00000000-0000-7000-8000-{next(counter):012d}"

    engine.new_id = next_id
    engine.env.new_id = next_id
    svc.metadata.register_task_defs(
        [cast(TaskDef, {"name": TASK, "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 30})]
    )
    svc.metadata.update_workflow_defs(_defs())
    started: list[str] = []
    checked = 0

    def pick() -> str:
        return rng.choice(started)

    paused: list[str] = []

    def pause() -> None:
        wid = pick()
        ops.pause(engine, wid)
        paused.append(wid)

    ended: list[str] = []

    def terminate() -> None:
        wid = pick()
        ops.terminate(engine, wid, "random")
        ended.append(wid)

    def start_request() -> dict[str, Any]:
        name = rng.choice(["linear", "forked", "parent"])
        return {"name": name, "input": {"k": rng.randint(0, 9)}, "correlationId": rng.choice([None, "c1", "c2"])}

    def complete_some() -> None:
        for t in svc.tasks.poll(TASK, "w", None, rng.randint(1, 4)):
            status = rng.choice(["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "IN_PROGRESS"])
            result = {"workflowInstanceId": t["workflowInstanceId"], "taskId": t["taskId"], "status": status,
                      "outputData": {"n": rng.randint(0, 9)}, "callbackAfterSeconds": 0}  # fmt: skip
            svc.tasks.update(result)

    actions = {
        "start": lambda: started.append(start(engine, start_request())),
        "work": complete_some,
        "pause": pause,
        "resume": lambda: ops.resume(engine, paused.pop() if paused else pick()),
        "terminate": terminate,
        "retry": lambda: reruns.retry(engine, ended.pop() if ended else pick()),
        "rerun": lambda: reruns.rerun(engine, pick(), {"workflowInput": {"k": 1}}),
        "restart": lambda: reruns.restart(engine, pick()),
        "skip": lambda: ops.skip_task(engine, pick(), rng.choice(["s0", "s1", "s2", "a"]), None),
        "remove": lambda: ops.remove(engine, pick()),
        "time": lambda: clock.advance(rng.randint(1, 40_000)),
        "sweep": lambda: [engine.decide(w) for w in store.due_workflows(clock.now(), 50)],
    }
    weights = {"start": 6, "work": 14, "pause": 1, "resume": 1, "terminate": 1, "retry": 1, "rerun": 1,
               "restart": 1, "skip": 1, "remove": 1, "time": 2, "sweep": 2}  # fmt: skip
    names = list(weights)
    done = dict.fromkeys(names, 0)
    for _ in range(600):
        name = rng.choices(names, [weights[n] for n in names])[0]
        if name not in ("start", "work", "time") and not started:
            continue
        # A refused operation (a conflict, a missing workflow) must leave the cache true as well.
        with contextlib.suppress(PodiumError):
            actions[name]()
            done[name] += 1
        checked += _check(store)
    store.close()
    assert checked > 1000 and len(started) > 30
    assert all(done.values()), done  # every kind of operation went through at least once
