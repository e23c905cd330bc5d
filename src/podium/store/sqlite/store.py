"""The embedded SQLite store (WAL, one writer connection per process): records, queues, events.

Plumbing (connection, migrations, units of work, group commit) is in ``sqlite.connection``, search in
``sqlite.search``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import orjson

from podium.domain.model import EventHandler, Task, TaskDef, Workflow, WorkflowDef
from podium.domain.statuses import WORKFLOW_TERMINAL
from podium.store.rows import task_row, workflow_body_row, workflow_row
from podium.store.sqlite.connection import Q
from podium.store.sqlite.search import SqliteSearch
from podium.store.state_cache import UNKNOWN

_dumps = orjson.dumps
_loads = orjson.loads


class SqliteStore(SqliteSearch):
    """All storage concerns over one SQLite file."""

    # One server process owns the file, so what it last wrote is what is stored (``SingleWriter``).
    single_writer: Literal[True] = True

    # -- metadata -------------------------------------------------------------------------
    def put_task_def(self, td: TaskDef) -> None:
        self._exec("put_task_def", (td["name"], _dumps(td)))

    def delete_task_def(self, name: str) -> bool:
        return self._exec("delete_task_def", (name,)) > 0

    def put_workflow_def(self, wd: WorkflowDef, now: int) -> None:
        self._exec("put_workflow_def", (wd["name"], wd.get("version", 1), _dumps(wd), now))

    def delete_workflow_def(self, name: str, version: int) -> bool:
        return self._exec("delete_workflow_def", (name, version)) > 0

    # -- executions -----------------------------------------------------------------------
    def insert_workflow(self, wf: Workflow, next_check: int | None) -> None:
        def_hash, body = self._split(wf)
        self._exec("insert_workflow", workflow_row(wf, next_check, def_hash, body))
        if wf["status"] in WORKFLOW_TERMINAL:
            self._exec("queue_free_text", (wf["workflowId"],))
        self.states.put(wf, [], next_check)

    def update_workflow(self, wf: Workflow, next_check: int | None) -> None:
        def_hash, body = self._split(wf)
        wid = wf["workflowId"]
        stored = self.states.columns(wid)
        if stored is None or stored[0] != wf["status"] or stored[1] != wf.get("correlationId"):
            self._exec("update_workflow", workflow_row(wf, next_check, def_hash, body))
        elif stored[2] == next_check:
            self._exec("update_workflow_unindexed", workflow_body_row(wf, next_check, def_hash, body))
        else:
            self._exec("update_workflow_next_check", workflow_body_row(wf, next_check, def_hash, body))
        if wf["status"] in WORKFLOW_TERMINAL:
            self._exec("queue_free_text", (wid,))  # (again) for the free-text indexer
        self.states.workflow_written(wf, next_check)

    def get_workflow(self, workflow_id: str) -> Workflow | None:
        with self._lock:
            row = self._conn.execute(Q["get_workflow"], (workflow_id,)).fetchone()
        return None if row is None else self._join(row[0], row[1])

    def load_state(self, workflow_id: str) -> tuple[Workflow, list[Task]] | None:
        with self._lock:
            cached = self.states.get(workflow_id)
            if cached is not None:
                return cached
            wf = self.get_workflow(workflow_id)
            if wf is None:
                return None
            tasks = self.get_tasks(workflow_id)
            self.states.put(wf, tasks)
            return wf, tasks

    def known_next_check(self, workflow_id: str) -> int | None:
        cols = self.states.columns(workflow_id)
        return None if cols is None or cols[2] == UNKNOWN else cols[2]

    def load_task(self, task_id: str) -> Task | None:
        with self._lock:
            cached = self.states.task(task_id)
            return cached if cached is not None else self.get_task(task_id)

    def delete_workflow(self, workflow_id: str) -> None:
        self._exec("forget_free_text", (workflow_id,))
        self._exec("forget_free_text_queued", (workflow_id,))
        self._exec("delete_workflow", (workflow_id,))
        for forget in ("clear_decide_failures", "forget_idempotency_keys", "forget_event_depth"):
            self._exec(forget, (workflow_id,))
        self.states.evict(workflow_id)

    def _skip_args(self, before: int, limit: int, skip_names: Sequence[str]) -> dict[str, Any]:
        return {"before": before, "limit": limit, "skip": _dumps(list(skip_names)).decode()}

    def get_tasks(self, workflow_id: str) -> list[Task]:
        return [cast(Task, _loads(r[0])) for r in self._all("get_tasks", (workflow_id,))]

    def get_task(self, task_id: str) -> Task | None:
        raw = self._one("get_task", (task_id,))
        return None if raw is None else cast(Task, _loads(raw))

    def upsert_tasks(self, tasks: Sequence[Task]) -> None:
        self._many("upsert_task", [task_row(t) for t in tasks])
        self.states.tasks_written(tasks)

    def delete_tasks(self, task_ids: Sequence[str]) -> None:
        self._many("delete_task", [(i,) for i in task_ids])
        self.states.clear()

    def delete_workflow_tasks(self, workflow_id: str) -> None:
        self._exec("delete_workflow_tasks", (workflow_id,))
        self.states.evict(workflow_id)

    def due_workflows(self, now: int, limit: int) -> list[str]:
        return [r[0] for r in self._all("due_workflows", (now, limit))]

    def set_next_check(self, workflow_id: str, at: int | None) -> None:
        self._exec("set_next_check", (at, workflow_id))
        self.states.next_check_written(workflow_id)

    # -- queues ---------------------------------------------------------------------------
    def queue_push(self, queue: str, task_id: str, priority: int, visible_at: int, now: int) -> None:
        self._exec("queue_push", (queue, task_id, priority, visible_at, now))

    def queue_peek(self, queue: str, now: int, count: int) -> list[str]:
        return [r[0] for r in self._all("queue_peek", (queue, now, count))]

    def queue_set_visible(self, queue: str, task_id: str, visible_at: int, now: int) -> None:
        self._exec("queue_set_visible", (visible_at, queue, task_id))

    def queue_requeue(self, queue: str, now: int) -> int:
        return self._exec("queue_requeue", (now, queue, now))

    # -- poll data, logs ------------------------------------------------------------------

    # -- events ---------------------------------------------------------------------------
    def put_event_handler(self, eh: EventHandler) -> None:
        self._exec("put_event_handler", (eh["name"], eh["event"], int(eh.get("active", False)), _dumps(eh)))

    def delete_event_handler(self, name: str) -> bool:
        return self._exec("delete_event_handler", (name,)) > 0

    # -- event queue and event executions -------------------------------------------------
    def event_peek(self, limit: int, now: int) -> list[tuple[int, str, str, str]]:
        return [(int(r[0]), r[1], r[2], r[3]) for r in self._all("event_peek", (limit,))]
