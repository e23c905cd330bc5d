"""Decoded running workflows, kept equal to what a single-writer store holds.

A busy server decides the same few hundred running workflows over and over. When one process owns
the store (SQLite), what it last wrote is what is stored, so the engine can keep the decoded workflow
and its task records between requests instead of reading and decoding them for every update.

The rules that keep the cache true:
* every write of a workflow or task record through the store replaces the cached object by the
  written one (usually the very object the cache handed out, mutated in place by the engine);
* a rolled-back unit of work, a failed commit or a deletion the cache cannot follow clears it;
* the indexed columns last written for a cached workflow (status, correlation id, next check) are
  remembered too, so the store can leave indexes alone when a write does not change them;
* terminal workflows leave the cache (they are rarely decided again), and so do the least recently
  used ones beyond ``capacity``.
Objects handed out by ``get``/``task`` belong to the caller's transaction: whatever the caller changes
in them it must write back before the transaction ends (the engine does: it persists every record a
decide pass touched).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from podium.domain import statuses as st
from podium.domain.model import Task, Workflow

UNKNOWN = -1  # a next check the cache does not know (the column may hold anything)
Columns = tuple[str, str | None, int | None]  # status, correlationId, next_check (or UNKNOWN)


class StateCache:
    """Running workflows with their task records (in ``seq`` order), least recently used first."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[Workflow, list[Task]]] = OrderedDict()
        self._owner: dict[str, str] = {}  # task id -> workflow id, for cached workflows
        self._columns: dict[str, Columns] = {}  # the indexed workflow columns as stored
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        """The cached workflows' ids, least recently used first."""
        return list(self._entries)

    def get(self, workflow_id: str) -> tuple[Workflow, list[Task]] | None:
        entry = self._entries.get(workflow_id)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(workflow_id)
        return entry

    def task(self, task_id: str) -> Task | None:
        """A cached task record by id (None when its workflow is not cached)."""
        wid = self._owner.get(task_id)
        if wid is None:
            return None
        entry = self._entries.get(wid)
        if entry is None:
            return None
        return next((t for t in reversed(entry[1]) if t["taskId"] == task_id), None)

    def put(self, wf: Workflow, tasks: list[Task], next_check: int | None = UNKNOWN) -> None:
        """Cache a workflow just read from (or inserted into) the store; terminal ones are not kept."""
        wid = wf["workflowId"]
        if st.workflow_terminal(wf["status"]):
            self.evict(wid)
            return
        self.evict(wid)
        self._entries[wid] = (wf, tasks)
        self._columns[wid] = (wf["status"], wf.get("correlationId"), next_check)
        owner = self._owner
        for t in tasks:
            owner[t["taskId"]] = wid
        while len(self._entries) > self.capacity:
            self.evict(next(iter(self._entries)))

    def columns(self, workflow_id: str) -> Columns | None:
        """The indexed columns of a cached workflow as stored (next check may be UNKNOWN)."""
        return self._columns.get(workflow_id)

    def workflow_written(self, wf: Workflow, next_check: int | None) -> None:
        wid = wf["workflowId"]
        entry = self._entries.get(wid)
        if entry is None:
            return
        if st.workflow_terminal(wf["status"]):
            self.evict(wid)
            return
        if entry[0] is not wf:
            self._entries[wid] = (wf, entry[1])
        self._columns[wid] = (wf["status"], wf.get("correlationId"), next_check)

    def next_check_written(self, workflow_id: str) -> None:
        """The next check changed outside a workflow write: forget it."""
        cols = self._columns.get(workflow_id)
        if cols is not None:
            self._columns[workflow_id] = (cols[0], cols[1], UNKNOWN)

    def tasks_written(self, tasks: Iterable[Task]) -> None:
        entries = self._entries
        owner = self._owner
        for t in tasks:
            wid = t["workflowInstanceId"]
            entry = entries.get(wid)
            if entry is None:
                continue
            records = entry[1]
            tid = t["taskId"]
            if tid in owner:
                _replace(records, t)
            else:
                owner[tid] = wid
                _insert(records, t)

    def evict(self, workflow_id: str) -> None:
        entry = self._entries.pop(workflow_id, None)
        self._columns.pop(workflow_id, None)
        if entry is not None:
            for t in entry[1]:
                self._owner.pop(t["taskId"], None)

    def clear(self) -> None:
        self._entries.clear()
        self._owner.clear()
        self._columns.clear()


def _replace(records: list[Task], task: Task) -> None:
    tid = task["taskId"]
    for i in range(len(records) - 1, -1, -1):
        t = records[i]
        if t is task:
            return
        if t["taskId"] == tid:
            records[i] = task
            return
    _insert(records, task)


def _insert(records: list[Task], task: Task) -> None:
    """Keep ``seq`` order; the engine appends new records, so this is almost always an append."""
    for t in reversed(records):
        if t is task:
            return
    seq = task["seq"]
    i = len(records)
    while i > 0 and records[i - 1]["seq"] > seq:
        i -= 1
    records.insert(i, task)
