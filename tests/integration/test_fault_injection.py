"""Fault injection: the store fails once at each of its calls in turn; nothing of a failed unit remains.

A mix of workflows (a fork, a loop, a sub-workflow, a retried task, a terminated-then-retried run,
a paused-then-resumed one) is driven to its end through the services, as workers and operators
would. Every service call is first tried with the store failing at its 1st store call, then (after
the failure) at its 2nd, and so on, until the call gets through with no failure left to inject:
that covers every store call the run makes, at every call site. After each failure the database
must be exactly as it was before the call, and the in-memory workflow cache (SQLite) must hold
nothing the database does not. The call is then retried, as a client does after a 503; at the end
every workflow must have ended as it does in a run without failures.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from podium.domain import statuses as st
from podium.domain.clock import ManualClock
from podium.domain.errors import BackendUnavailable
from podium.service import reruns
from podium.service import workflows as ops
from podium.service.container import Services, build_services, open_store
from podium.service.starting import start
from podium.store.protocols import Store

TASKS = [{"name": "work"}, {"name": "flaky", "retryCount": 1, "retryDelaySeconds": 0}]
SIMPLE = [{"name": "work", "taskReferenceName": f"s{i}", "type": "SIMPLE"} for i in range(2)]
DEFS: list[dict[str, Any]] = [
    {"name": "linear", "version": 1, "tasks": SIMPLE},
    {"name": "forked", "version": 1, "tasks": [
        {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
            [{"name": "work", "taskReferenceName": "a", "type": "SIMPLE"}],
            [{"name": "flaky", "taskReferenceName": "b", "type": "SIMPLE"}]]},
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]},
        SIMPLE[0]]},
    {"name": "looped", "version": 1, "tasks": [
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
         "loopCondition": "$.loop['iteration'] < 2",
         "loopOver": [
             {"name": "work", "taskReferenceName": "body", "type": "SIMPLE"},
             {"name": "calc", "taskReferenceName": "calc", "type": "INLINE", "inputParameters": {
                 "evaluatorType": "javascript", "expression": "1 + 1"}}]}]},
    {"name": "parent", "version": 1, "tasks": [
        {"name": "child", "taskReferenceName": "child", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "linear", "version": 1}},
        SIMPLE[1]]},
]  # fmt: skip


@dataclass
class Injector:
    """Counts the store calls of the current attempt and fails the one whose turn it is."""

    fail_at: int | None = None
    calls: int = 0
    fired: bool = False
    sites: set[tuple[str, str, int]] = field(default_factory=set)
    injected: int = 0

    def install(self, store: Store) -> None:
        for name in sorted(_store_methods(store)):
            setattr(store, name, self._wrap(name, getattr(store, name)))

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self.fail_at:
                self.fail_at = None
                self.fired = True
                self.injected += 1
                caller = sys._getframe(1)
                self.sites.add((name, caller.f_code.co_filename.rpartition("/")[2], caller.f_lineno))
                raise BackendUnavailable(f"injected failure of {name}")
            return real(*args, **kwargs)

        return call


def _store_methods(store: Store) -> set[str]:
    from podium.store import protocols

    names: set[str] = set()
    for proto in (protocols.Store, *protocols.Store.__mro__):
        names.update(n for n in vars(proto) if not n.startswith("_") and callable(getattr(store, n, None)))
    return names - {"close"}


class Run:
    """Drives the scenario; every service call goes through ``call``."""

    def __init__(self, svc: Services, dump: Callable[[], Any], inject: bool) -> None:
        self.svc = svc
        self.dump = dump
        self.inject = inject
        self.injector = Injector()
        self.injector.install(svc.store)
        self.clock: ManualClock = svc.clock  # type: ignore[assignment]
        self.flaky_failed: set[str] = set()
        self.ids: dict[str, str] = {}

    def call(self, fn: Callable[[], Any]) -> Any:
        inj = self.injector
        if not self.inject:
            return fn()
        before = self.dump()
        nth = 1
        while True:
            inj.fail_at, inj.calls, inj.fired = nth, 0, False
            try:
                return fn()
            except BackendUnavailable:
                if not inj.fired:
                    raise
                inj.fail_at = None
                assert self.dump() == before, f"a failed unit left changes behind (store call {nth})"
                _check_cache(self.svc.store)
                nth += 1
            finally:
                inj.fail_at = None

    # -- the scenario -----------------------------------------------------------------------------
    def scenario(self) -> dict[str, str]:
        svc, call = self.svc, self.call
        for td in TASKS:
            call(lambda t=td: svc.metadata.register_task_defs([t]))
        for wd in DEFS:
            call(lambda d=wd: svc.metadata.register_workflow_def(d, overwrite=True))
        ids = self.ids
        ids.update(
            {
                name: call(lambda n=name: start(svc.engine, {"name": n, "input": {}}))
                for name in ("linear", "forked", "looped", "parent")
            }
        )
        ids["paused"] = call(lambda: start(svc.engine, {"name": "linear", "input": {}}))
        call(lambda: ops.pause(svc.engine, ids["paused"]))
        ids["retried"] = call(lambda: start(svc.engine, {"name": "linear", "input": {}}))
        call(lambda: ops.terminate(svc.engine, ids["retried"], "stop"))
        call(lambda: reruns.retry(svc.engine, ids["retried"]))
        call(lambda: ops.resume(svc.engine, ids["paused"]))
        ids["restarted"] = call(lambda: start(svc.engine, {"name": "parent", "input": {}}))
        call(lambda: ops.terminate(svc.engine, ids["restarted"], "stop"))
        call(lambda: reruns.restart(svc.engine, ids["restarted"]))
        for _ in range(40):
            if self._all_ended(ids):
                break
            self._work_round()
            self.clock.advance(1000)
            call(lambda: [svc.engine.decide(w) for w in svc.store.due_workflows(self.clock.now(), 100)])
        return {k: self._status(w) for k, w in ids.items()}

    def _work_round(self) -> None:
        svc = self.svc
        for task_type in ("work", "flaky"):
            polled = self.call(lambda t=task_type: svc.tasks.poll(t, "w1", None, 5))
            for task in polled:
                result = self._result(task)  # decided once: a retried call sends the same result
                self.call(lambda r=result: svc.tasks.update(r))

    def _result(self, task: dict[str, Any]) -> dict[str, Any]:
        result = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task["taskId"],
            "status": st.COMPLETED,
            "outputData": {"by": task["referenceTaskName"]},
        }
        if task["taskType"] == "flaky" and task["workflowInstanceId"] not in self.flaky_failed:
            self.flaky_failed.add(task["workflowInstanceId"])
            result.update(status=st.FAILED, reasonForIncompletion="first attempt fails")
        return result

    def task_summary(self) -> list[list[tuple[str, str]]]:
        """Each workflow's task references and statuses, in the order the scenario started them."""
        return [[(t["referenceTaskName"], t["status"]) for t in self.svc.store.get_tasks(w)] for w in self.ids.values()]

    def _status(self, wid: str) -> str:
        wf = self.svc.store.get_workflow(wid)
        assert wf is not None
        return wf["status"]

    def _all_ended(self, ids: dict[str, str]) -> bool:
        return all(st.workflow_terminal(self._status(w)) for w in ids.values())


def _check_cache(store: Any) -> None:
    """Every workflow the SQLite store keeps decoded in memory equals what the file holds."""
    states = getattr(store, "states", None)
    if states is None:
        return
    for wid in states.ids():
        cached = states.get(wid)
        fresh = store.get_workflow(wid)
        assert fresh is not None and _plain(cached[0]) == _plain(fresh), wid
        assert [_plain(t) for t in cached[1]] == [_plain(t) for t in store.get_tasks(wid)], wid


def _plain(record: Any) -> Any:
    return orjson.loads(orjson.dumps({k: v for k, v in record.items() if k not in ("workflowDefinition", "tasks")}))


# -- backends -----------------------------------------------------------------------------------
def _sqlite_dump(store: Any) -> Callable[[], Any]:
    conn = store._conn

    def dump() -> Any:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"').fetchall()))
            for t in tables
            if not t.startswith(("sqlite_", "free_text"))
        }

    return dump


def _committing(store: Any, dump: Callable[[], Any]) -> Callable[[], Any]:
    """A dump that first commits the finished units (the group commit between two requests)."""

    def commit_then_dump() -> Any:
        store.commit()
        return dump()

    return commit_then_dump


def _postgres_dump(url: str) -> tuple[Callable[[], Any], Callable[[], None]]:
    import psycopg

    conn = psycopg.connect(url, autocommit=True)

    def dump() -> Any:
        tables = [
            r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}

    return dump, conn.close


@pytest.fixture(params=["sqlite", "sqlite-group-commit", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'faults.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_every_store_call_may_fail_and_nothing_remains(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    try:
        ref_run = Run(build_services(reference, ManualClock()), lambda: None, inject=False)
        expected = ref_run.scenario()
        expected_tasks = ref_run.task_summary()
    finally:
        reference.close()
    assert set(expected.values()) == {st.COMPLETED}, expected

    store = open_store(db_url)
    close_dump: Callable[[], None] = lambda: None  # noqa: E731
    if db_url.startswith("sqlite"):
        dump = _sqlite_dump(store)
        if "group-commit" in request.node.callspec.id:
            # Units are savepoints of a shared transaction, committed between the service calls.
            store.enable_group_commit(lambda: None)  # type: ignore[attr-defined]
            dump = _committing(store, dump)
    else:
        dump, close_dump = _postgres_dump(db_url)
    try:
        run = Run(build_services(store, ManualClock()), dump, inject=True)
        assert run.scenario() == expected
        assert run.task_summary() == expected_tasks
        inj = run.injector
        print(f"\n{db_url.partition(':')[0]}: {inj.injected} injected failures at {len(inj.sites)} call sites")
        assert inj.injected >= 350 and len(inj.sites) >= 30, (inj.injected, len(inj.sites))
    finally:
        close_dump()
        store.close()
