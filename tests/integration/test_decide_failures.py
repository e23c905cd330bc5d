"""Poison workflows (issue #12): a decide pass that raises is retried by the sweeper with a doubling
back-off a bounded number of times, then the workflow is FAILED naming the error; one log line per
failure, and nothing of a failed pass is stored. Engine-level over a real SQLite file, with a manual clock.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from podium.domain.clock import ManualClock
from podium.domain.errors import InvalidArgument
from podium.domain.limits import Limits
from podium.runtime.sweeper import sweep_once
from podium.service.container import Services, build_services
from podium.service.starting import start
from podium.store.sqlite import SqliteStore

LIMITS = Limits(decide_attempts=4, decide_backoff_ms=1000)


def self_starting(name: str = "selfsub") -> dict[str, Any]:
    """Waits a second, then starts itself as a sub-workflow whose copy starts itself at once, and so on:
    the decide that ends the wait nests until Limits.decide_nesting stops it."""
    me = {"name": name, "version": 1}
    return {
        "name": name,
        "version": 1,
        "tasks": [
            {
                "name": "gate",
                "taskReferenceName": "gate",
                "type": "SWITCH",
                "evaluatorType": "value-param",
                "expression": "child",
                "inputParameters": {"child": "${workflow.input.child}"},
                "decisionCases": {
                    "yes": [
                        {"name": "again", "taskReferenceName": "again", "type": "SUB_WORKFLOW",
                         "subWorkflowParam": me, "inputParameters": {"child": "yes"}},
                    ]
                },
                "defaultCase": [
                    {"name": "pause", "taskReferenceName": "pause", "type": "WAIT",
                     "inputParameters": {"duration": "1 seconds"}},
                    {"name": "first", "taskReferenceName": "first", "type": "SUB_WORKFLOW",
                     "subWorkflowParam": me, "inputParameters": {"child": "yes"}},
                ],
            }
        ],
    }  # fmt: skip


def services(path: Path, clock: ManualClock) -> Services:
    svc = build_services(SqliteStore(f"sqlite:///{path}"), clock, limits=LIMITS)
    svc.metadata.register_workflow_def(self_starting(), overwrite=True)
    return svc


def rows(path: Path, sql: str) -> list[Any]:
    with sqlite3.connect(path) as c:
        return c.execute(sql).fetchall()


def test_poison_workflow_backs_off_then_fails(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "poison.db"
    clock = ManualClock()
    svc = services(db, clock)
    wid = start(svc.engine, {"name": "selfsub", "input": {}})
    clock.advance(1000)  # the WAIT is over: the next decide recurses
    caplog.set_level(logging.WARNING, "podium")
    waits = []
    for _ in range(1, LIMITS.decide_attempts):
        assert sweep_once(svc) == 1
        ((status, next_check),) = rows(db, f"SELECT status, next_check FROM workflows WHERE workflow_id = '{wid}'")
        assert status == "RUNNING"
        waits.append(next_check - clock.now())
        assert sweep_once(svc) == 0, "not retried before its back-off ends"
        clock.advance(next_check - clock.now())
    assert waits == [1000, 2000, 4000]
    svc.store.close()
    svc = services(db, clock)  # a restart keeps the count
    assert sweep_once(svc) == 1
    wf = svc.engine.store.get_workflow(wid)
    assert wf is not None and wf["status"] == "FAILED"
    assert "decide failed 4 times" in wf["reasonForIncompletion"]
    assert "PODIUM_LIMIT_DECIDE_NESTING" in wf["reasonForIncompletion"]
    tasks = svc.store.get_tasks(wid)
    assert {t["referenceTaskName"]: t["status"] for t in tasks} == {"gate": "COMPLETED", "pause": "CANCELED"}
    # Nothing of the failed passes was stored: no half-started children, no check left.
    assert rows(db, "SELECT count(*) FROM workflows") == [(1,)]
    assert rows(db, "SELECT count(*) FROM workflows WHERE next_check IS NOT NULL") == [(0,)]
    assert rows(db, "SELECT count(*) FROM decide_failures") == [(0,)]
    assert sweep_once(svc) == 0
    lines = [r for r in caplog.records if r.name == "podium.sweeper"]
    assert len(lines) == LIMITS.decide_attempts, [r.getMessage() for r in lines]
    assert all(r.exc_info is None for r in lines), "no tracebacks at warning level"
    assert "(1 of 4 attempts), retrying in 1000 ms: DecideNestingExceeded" in lines[0].getMessage()


def test_parent_of_poison_child_hears_of_its_failure(tmp_path: Path) -> None:
    db = tmp_path / "parent.db"
    clock = ManualClock()
    svc = services(db, clock)
    parent = {
        "name": "parent",
        "version": 1,
        "tasks": [{"name": "child", "taskReferenceName": "child", "type": "SUB_WORKFLOW",
                   "subWorkflowParam": {"name": "selfsub", "version": 1}}],
    }  # fmt: skip
    svc.metadata.register_workflow_def(parent, overwrite=True)
    pid = start(svc.engine, {"name": "parent", "input": {}})
    for _ in range(LIMITS.decide_attempts + 1):
        clock.advance(60_000)
        sweep_once(svc)
    wf = svc.store.get_workflow(pid)
    assert wf is not None and wf["status"] == "FAILED", wf
    (task,) = svc.store.get_tasks(pid)
    assert task["status"] == "FAILED" and "DECIDE_NESTING" in task["reasonForIncompletion"]


def test_a_start_that_would_nest_forever_is_refused(tmp_path: Path) -> None:
    svc = services(tmp_path / "start.db", ManualClock())
    me = {"name": "at_once", "version": 1}
    task = {"name": "me", "taskReferenceName": "me", "type": "SUB_WORKFLOW", "subWorkflowParam": me}
    wd = {"name": "at_once", "version": 1, "tasks": [task]}
    svc.metadata.register_workflow_def(wd, overwrite=True)
    with pytest.raises(InvalidArgument, match="PODIUM_LIMIT_DECIDE_NESTING"):
        start(svc.engine, {"name": "at_once"})
    assert rows(tmp_path / "start.db", "SELECT count(*) FROM workflows") == [(0,)]
