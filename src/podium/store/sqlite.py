"""The embedded SQLite store (WAL, one writer connection per process)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import orjson

from podium.domain.model import EventHandler, PollData, Task, TaskDef, TaskExecLog, Workflow, WorkflowDef
from podium.store.protocols import SearchQuery
from podium.store.rows import (
    event_execution_args,
    task_args,
    workflow_body,
    workflow_insert_args,
    workflow_update_args,
)
from podium.store.search_sql import (
    TERMINAL_SQL,
    free_text_terms,
    search_tasks_sql,
    search_workflows_sql,
    text_index_query,
)
from podium.store.snapshots import SnapshotCache
from podium.store.sqlfiles import migrations, queries
from podium.store.state_cache import UNKNOWN, StateCache

_Q = queries("sqlite")
# The free-text indexer (migration 0003): the last of the next ``limit`` queued rowids; then every queued
# workflow up to it that is still terminal goes into the trigram index with its current body.
_LAST_QUEUED = (
    "SELECT max(workflow_rowid) FROM (SELECT workflow_rowid FROM workflow_text_pending ORDER BY workflow_rowid LIMIT ?)"
)
_INDEX_QUEUED = (
    "INSERT INTO workflow_text (rowid, body)"
    " SELECT w.rowid, CAST(w.json AS TEXT) FROM workflow_text_pending p JOIN workflows w ON w.rowid = p.workflow_rowid"
    f" WHERE p.workflow_rowid <= ? AND w.status IN {TERMINAL_SQL}"
)
# Free text goes through the trigram index only while its candidates (queued workflows plus index hits,
# counted up to a cap) stay under a third of the table: past that, reading every body in order is cheaper
# than fetching the candidates one rowid at a time (right after the upgrade or a bulk load, while most
# workflows wait for indexing, or for a term found in most bodies).
_CANDIDATE_PROBE = (
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM workflow_text_pending LIMIT :cap))"
    " + (SELECT count(*) FROM (SELECT 1 FROM workflow_text WHERE workflow_text MATCH :match LIMIT :cap))"
)
_PROBE_MIN = 10_000
_dumps = orjson.dumps
_loads = orjson.loads


def _path_from_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :] or ":memory:"
    if url.startswith("sqlite://"):
        return url[len("sqlite://") :] or ":memory:"
    return url


class SqliteStore:
    """All storage concerns over one SQLite file."""

    dialect = "sqlite"
    # One server process owns the file, so what it last wrote is what is stored.
    single_writer = True

    def __init__(self, url: str) -> None:
        self.path = _path_from_url(url)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._group = False
        self._open = False
        self._on_pending: Callable[[], None] | None = None
        self.snapshots = SnapshotCache()
        self.states = StateCache()
        c = self._conn
        c.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (the OS keeps the WAL); only power loss may lose
        # the last transactions.
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA busy_timeout=5000")
        c.execute("PRAGMA cache_size=-65536")
        c.execute("PRAGMA temp_store=MEMORY")
        self.migrate()

    # -- plumbing -------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply pending migrations; returns the schema version."""
        with self._lock:
            c = self._conn
            c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = c.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for version, sql in migrations("sqlite"):
                if version <= current:
                    continue
                c.execute("BEGIN IMMEDIATE")
                try:
                    for stmt in _statements(sql):
                        c.execute(stmt)
                    c.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                    c.execute("COMMIT")
                except BaseException:
                    c.execute("ROLLBACK")
                    raise
                current = version
            return int(current)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work. Nested blocks are savepoints.

        In group-commit mode (see ``enable_group_commit``) the outermost block is a savepoint inside a
        shared transaction that ``commit()`` closes; callers must not acknowledge the work before then.
        """
        with self._lock:
            c = self._conn
            depth = self._depth
            if depth == 0 and not self._group:
                c.execute("BEGIN IMMEDIATE")
            elif depth == 0:
                if not self._open:
                    c.execute("BEGIN IMMEDIATE")
                    self._open = True
                c.execute("SAVEPOINT unit")
            else:
                c.execute(f"SAVEPOINT s{depth}")
            self._depth = depth + 1
            try:
                yield
            except BaseException:
                self._depth = depth
                self.states.clear()
                if depth == 0 and not self._group:
                    c.execute("ROLLBACK")
                else:
                    name = "unit" if depth == 0 else f"s{depth}"
                    c.execute(f"ROLLBACK TO {name}")
                    c.execute(f"RELEASE {name}")
                raise
            self._depth = depth
            if depth == 0 and not self._group:
                c.execute("COMMIT")
            elif depth == 0:
                c.execute("RELEASE unit")
                if self._on_pending is not None:
                    self._on_pending()
            else:
                c.execute(f"RELEASE s{depth}")

    def enable_group_commit(self, on_pending: Callable[[], None]) -> None:
        """Let many units share one COMMIT; ``on_pending`` is called when a unit awaits its commit."""
        self._group = True
        self._on_pending = on_pending

    @property
    def uncommitted(self) -> bool:
        """True while finished units wait for ``commit()``."""
        return self._open

    def commit(self) -> None:
        """Make every finished unit durable (group-commit mode)."""
        with self._lock:
            if self._open and self._depth == 0:
                self._open = False
                try:
                    self._conn.execute("COMMIT")
                except BaseException:
                    self.states.clear()
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._conn.execute("COMMIT")
                self._open = False
            self._conn.close()

    def _one(self, name: str, args: Sequence[Any]) -> Any:
        with self._lock:
            row = self._conn.execute(_Q[name], args).fetchone()
        return None if row is None else row[0]

    def _all(self, name: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(_Q[name], args).fetchall()

    def _exec(self, name: str, args: Sequence[Any] = ()) -> int:
        with self._lock:
            return self._conn.execute(_Q[name], args).rowcount

    def _many(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._conn.executemany(_Q[name], rows)

    # -- metadata -------------------------------------------------------------------------
    def get_task_def(self, name: str) -> TaskDef | None:
        raw = self._one("get_task_def", (name,))
        return None if raw is None else cast(TaskDef, _loads(raw))

    def put_task_def(self, td: TaskDef) -> None:
        self._exec("put_task_def", (td["name"], _dumps(td)))

    def list_task_defs(self) -> list[TaskDef]:
        return [cast(TaskDef, _loads(r[0])) for r in self._all("list_task_defs")]

    def delete_task_def(self, name: str) -> bool:
        return self._exec("delete_task_def", (name,)) > 0

    def get_workflow_def(self, name: str, version: int | None = None) -> WorkflowDef | None:
        if version is None:
            raw = self._one("get_latest_workflow_def", (name,))
        else:
            raw = self._one("get_workflow_def", (name, version))
        return None if raw is None else cast(WorkflowDef, _loads(raw))

    def put_workflow_def(self, wd: WorkflowDef, now: int) -> None:
        self._exec("put_workflow_def", (wd["name"], wd.get("version", 1), _dumps(wd), now))

    def list_workflow_defs(self) -> list[WorkflowDef]:
        return [cast(WorkflowDef, _loads(r[0])) for r in self._all("list_workflow_defs")]

    def delete_workflow_def(self, name: str, version: int) -> bool:
        return self._exec("delete_workflow_def", (name, version)) > 0

    # -- executions -----------------------------------------------------------------------
    def insert_workflow(self, wf: Workflow, next_check: int | None) -> None:
        def_hash, body = self._split(wf)
        self._exec("insert_workflow", workflow_insert_args(wf, next_check, def_hash, body))
        self.states.put(wf, [], next_check)

    def update_workflow(self, wf: Workflow, next_check: int | None) -> None:
        def_hash, body = self._split(wf)
        wid = wf["workflowId"]
        stored = self.states.columns(wid)
        if stored is None or stored[0] != wf["status"] or stored[1] != wf.get("correlationId"):
            self._exec("update_workflow", workflow_update_args(wf, next_check, def_hash, body))
        elif stored[2] == next_check:
            self._exec("update_workflow_unindexed", (wf["updateTime"], wf.get("endTime"), def_hash, body, wid))
        else:
            args = (wf["updateTime"], wf.get("endTime"), def_hash, body, next_check, wid)
            self._exec("update_workflow_next_check", args)
        self.states.workflow_written(wf, next_check)

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

    def load_task(self, task_id: str) -> Task | None:
        with self._lock:
            cached = self.states.task(task_id)
            return cached if cached is not None else self.get_task(task_id)

    def get_workflow(self, workflow_id: str) -> Workflow | None:
        with self._lock:
            row = self._conn.execute(_Q["get_workflow"], (workflow_id,)).fetchone()
        return None if row is None else self._join(row[0], row[1])

    def _split(self, wf: Workflow) -> tuple[str, bytes]:
        """Store the definition snapshot once; return its hash and the workflow body without it."""
        wd = wf["workflowDefinition"]
        def_hash = self.snapshots.hash_of(wd)
        if def_hash is None:
            raw = orjson.dumps(wd, option=orjson.OPT_SORT_KEYS)
            def_hash = self.snapshots.remember(wd, raw)
            self._exec("put_snapshot", (def_hash, raw))
        return def_hash, workflow_body(wf)

    def _join(self, def_hash: str, raw: str | bytes) -> Workflow:
        wf = cast(Workflow, _loads(raw))
        wd = self.snapshots.get(def_hash)
        if wd is None:
            snap = self._one("get_snapshot", (def_hash,))
            wd = self.snapshots.load(def_hash, snap)
        wf["workflowDefinition"] = wd
        return wf

    def delete_workflow(self, workflow_id: str) -> None:
        self._exec("delete_workflow", (workflow_id,))
        self.states.evict(workflow_id)

    def get_tasks(self, workflow_id: str) -> list[Task]:
        return [cast(Task, _loads(r[0])) for r in self._all("get_tasks", (workflow_id,))]

    def get_task(self, task_id: str) -> Task | None:
        raw = self._one("get_task", (task_id,))
        return None if raw is None else cast(Task, _loads(raw))

    def upsert_tasks(self, tasks: Sequence[Task]) -> None:
        self._many("upsert_task", [task_args(t) for t in tasks])
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

    def set_next_check_min(self, workflow_id: str, at: int) -> None:
        cols = self.states.columns(workflow_id)
        if cols is not None and cols[2] is not None and cols[2] != UNKNOWN and cols[2] <= at:
            return  # already due by then
        self._exec("set_next_check_min", (at, workflow_id, at))
        self.states.next_check_lowered(workflow_id, at)

    def running_workflow_ids(self, name: str, version: int, start: int, end: int) -> list[str]:
        return [r[0] for r in self._all("running_workflow_ids", (name, version, start, end))]

    def workflows_by_correlation(self, name: str, correlation_id: str) -> list[Workflow]:
        rows = self._all("workflows_by_correlation", (name, correlation_id))
        return [self._join(r[0], r[1]) for r in rows]

    def child_workflow_ids(self, workflow_id: str) -> list[str]:
        return [r[0] for r in self._all("child_workflow_ids", (workflow_id,))]

    def count_in_progress(self, task_def_name: str) -> int:
        return int(self._one("count_in_progress", (task_def_name,)) or 0)

    def pending_tasks_of_type(self, task_type: str, start: int, count: int) -> list[Task]:
        rows = self._all("pending_tasks_of_type", (task_type, count, start))
        return [cast(Task, _loads(r[0])) for r in rows]

    # -- queues ---------------------------------------------------------------------------
    def queue_push(self, queue: str, task_id: str, priority: int, visible_at: int, now: int) -> None:
        self._exec("queue_push", (queue, task_id, priority, visible_at, now))

    def queue_peek(self, queue: str, now: int, count: int) -> list[str]:
        return [r[0] for r in self._all("queue_peek", (queue, now, count))]

    def queue_set_visible(self, queue: str, task_id: str, visible_at: int) -> None:
        self._exec("queue_set_visible", (visible_at, queue, task_id))

    def queue_remove(self, queue: str, task_id: str) -> None:
        self._exec("queue_remove", (queue, task_id))

    def queue_remove_task(self, task_id: str) -> None:
        self._exec("queue_remove_task", (task_id,))

    def queue_size(self, queue: str) -> int:
        return int(self._one("queue_size", (queue,)) or 0)

    def queue_sizes(self, now: int) -> dict[str, tuple[int, int]]:
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in self._all("queue_sizes", (now,))}

    def queue_next_visible(self, queue: str) -> int | None:
        v = self._one("queue_next_visible", (queue,))
        return None if v is None else int(v)

    def queue_requeue(self, queue: str, now: int) -> int:
        return self._exec("queue_requeue", (now, queue, now))

    def queue_contains(self, queue: str, task_id: str) -> bool:
        return self._one("queue_contains", (queue, task_id)) is not None

    # -- poll data, logs ------------------------------------------------------------------
    def put_poll_data(self, rows: Sequence[PollData]) -> None:
        self._many(
            "put_poll_data",
            [(r["queueName"], r.get("domain", ""), r.get("workerId", ""), r["lastPollTime"]) for r in rows],
        )

    def list_poll_data(self) -> list[PollData]:
        out: list[PollData] = []
        for q, d, w, t in self._all("list_poll_data"):
            pd: PollData = {"queueName": q, "workerId": w, "lastPollTime": t}
            if d:
                pd["domain"] = d
            out.append(pd)
        return out

    def add_logs(self, logs: Sequence[TaskExecLog]) -> None:
        self._many("add_log", [(lg["taskId"], lg.get("log", ""), lg.get("createdTime", 0)) for lg in logs])

    def get_logs(self, task_id: str) -> list[TaskExecLog]:
        return [{"log": r[0], "taskId": task_id, "createdTime": r[1]} for r in self._all("get_logs", (task_id,))]

    # -- events ---------------------------------------------------------------------------
    def put_event_handler(self, eh: EventHandler) -> None:
        self._exec("put_event_handler", (eh["name"], eh["event"], int(eh.get("active", False)), _dumps(eh)))

    def get_event_handler(self, name: str) -> EventHandler | None:
        raw = self._one("get_event_handler", (name,))
        return None if raw is None else cast(EventHandler, _loads(raw))

    def list_event_handlers(self, event: str | None = None) -> list[EventHandler]:
        rows = self._all("list_event_handlers") if event is None else self._all("event_handlers_for", (event,))
        return [cast(EventHandler, _loads(r[0])) for r in rows]

    def delete_event_handler(self, name: str) -> bool:
        return self._exec("delete_event_handler", (name,)) > 0

    # -- search ---------------------------------------------------------------------------
    def _search(self, count_sql: str, rows_sql: str, args: list[Any], q: SearchQuery) -> tuple[int, list[Any]]:
        """The page first; the count only when the page does not already tell the total."""
        with self._lock:
            rows = self._conn.execute(rows_sql, [*args, q.size, q.start]).fetchall()
            if len(rows) < q.size and (rows or q.start == 0):
                return q.start + len(rows), rows
            total = self._conn.execute(count_sql, args).fetchone()[0]
        return int(total), rows

    def search_workflows(self, q: SearchQuery) -> tuple[int, list[Workflow]]:
        match = text_index_query(free_text_terms(q.free_text)) if q.free_text else None
        text_index = match is not None and self._few_text_candidates(match)
        total, rows = self._search(*search_workflows_sql(q, "sqlite", text_index=text_index), q)
        return total, [self._join(r[0], r[1]) for r in rows]

    def _few_text_candidates(self, match: str) -> bool:
        """Whether the trigram index narrows free text ``match`` enough to beat a scan of every body."""
        with self._lock:
            top = self._conn.execute("SELECT max(rowid) FROM workflows").fetchone()[0] or 0
            cap = max(_PROBE_MIN, top // 3)
            found = self._conn.execute(_CANDIDATE_PROBE, {"cap": cap, "match": match}).fetchone()[0]
        return int(found) < cap

    def search_tasks(self, q: SearchQuery) -> tuple[int, list[Task]]:
        total, rows = self._search(*search_tasks_sql(q, "sqlite"), q)
        return total, [cast(Task, _loads(r[0])) for r in rows]

    def index_free_text(self, limit: int) -> int:
        """Index up to ``limit`` queued terminal workflows for free-text search; returns how many it indexed.

        The queue (``workflow_text_pending``) is filled by triggers whenever a workflow is written in a
        terminal status; entries of workflows since re-opened or deleted are dropped without indexing.
        One short transaction; a call costs about as much as the bodies it indexes.
        """
        if limit <= 0:
            return 0
        with self._lock:
            c = self._conn
            last = c.execute(_LAST_QUEUED, (limit,)).fetchone()[0]
            if last is None:
                return 0  # nothing queued: no transaction at all
            with self.transaction():
                indexed = c.execute(_INDEX_QUEUED, (last,)).rowcount
                c.execute("DELETE FROM workflow_text_pending WHERE workflow_rowid <= ?", (last,))
        return max(0, indexed)

    # -- event queue and event executions -------------------------------------------------
    def event_publish(self, queue: str, message_id: str, payload: str, now: int) -> None:
        self._exec("event_publish", (queue, message_id, payload, now))

    def event_peek(self, limit: int) -> list[tuple[int, str, str, str]]:
        return [(int(r[0]), r[1], r[2], r[3]) for r in self._all("event_peek", (limit,))]

    def event_ack(self, seq: int) -> None:
        self._exec("event_ack", (seq,))

    def event_queue_sizes(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._all("event_queue_sizes")}

    def put_event_execution(self, key: str, execution: dict[str, Any]) -> None:
        self._exec("put_event_execution", event_execution_args(key, execution))

    def get_event_execution(self, key: str) -> dict[str, Any] | None:
        raw = self._one("get_event_execution", (key,))
        return None if raw is None else cast(dict[str, Any], _loads(raw))

    def list_event_executions(self, handler_name: str, limit: int) -> list[dict[str, Any]]:
        return [cast(dict[str, Any], _loads(r[0])) for r in self._all("list_event_executions", (handler_name, limit))]


def _statements(sql: str) -> list[str]:
    """A migration's statements; a ';' that does not end one (as in a trigger's body) stays inside it."""
    out: list[str] = []
    buf = ""
    for piece in sql.split(";"):
        buf += piece
        if not sqlite3.complete_statement(buf + ";"):
            buf += ";"
            continue
        if buf.strip() and not _only_comments(buf):
            out.append(buf.strip())
        buf = ""
    return out


def _only_comments(s: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in s.splitlines())
