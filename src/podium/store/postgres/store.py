"""The PostgreSQL store: the same contract as SQLite, safe for many server nodes on one database.

Differences from SQLite, all inside this module and its SQL:
* a workflow loaded inside a transaction is row-locked, so two nodes never decide it at once;
* a dequeue locks the message, its task and its workflow with SKIP LOCKED (one taker, no waiting);
* the sweeper claims due workflows with a lease, so each is swept by one node;
* queue pushes and definition changes NOTIFY the other nodes (see ``postgres.listen``), if any
  listen: a node whose listener finds no other node skips the queue and workflow notifications.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import orjson
import psycopg
from psycopg.errors import InsufficientPrivilege, LockNotAvailable

from podium.domain.errors import BackendUnavailable
from podium.domain.model import Task, TaskDef, Workflow, WorkflowDef
from podium.store.postgres.base import PgRecords
from podium.store.postgres.group import GroupConnector
from podium.store.postgres.interest import Interest
from podium.store.postgres.listen import Listener, queue_payload, wake_payloads, want_payload
from podium.store.postgres.migrations import MIGRATION_LOCK, migrate
from podium.store.postgres.queries import Q as _Q
from podium.store.postgres.runs import row_values, rows_sql
from podium.store.postgres.session import TRANSIENT, unavailable
from podium.store.postgres.wire import Entry, Wire
from podium.store.rows import task_row, workflow_row
from podium.store.snapshots import SnapshotCache

log = logging.getLogger("podium.store.postgres")
_dumps = orjson.dumps
_loads = orjson.loads
# A due workflow claimed by a sweeper is not offered to another node for this long.
SWEEP_LEASE_MS = 10_000
# The advisory lock nodes take turns compacting the queue under (the migration lock's neighbour).
COMPACTION_LOCK = MIGRATION_LOCK + 1
_PUSH = _Q["queue_push_quiet"]


# Writes after which rows read ahead stay valid: they touch neither workflows nor tasks, or drop the rows
# they change themselves (``_drop_ahead``). Any other write drops every row read ahead.
KEEPS_AHEAD = frozenset(
    [_Q[n] for n in ("insert_workflow", "update_workflow", "update_workflow_quiet", "upsert_tasks")]
    + [_Q[n] for n in ("put_snapshot", "notify_queue")]
    + [sql for name, sql in _Q.items() if name.startswith("queue_")]
)


def _queue_state(w: Wire, sql: str, workflow_id: str) -> tuple[Entry, Entry]:
    """Queue the locked read of a workflow (``sql``) and, after the lock, of its tasks."""
    return w.query(_Q[sql], (workflow_id,)), w.query(_Q["get_tasks"], (workflow_id,))


class PostgresStore(PgRecords):
    """All storage concerns over one PostgreSQL database."""

    _c: GroupConnector

    def __init__(self, url: str, pool_size: int | None = None) -> None:
        self.url = url
        self.node = uuid.uuid4().hex[:12]
        size = pool_size if pool_size is not None else int(os.environ.get("PODIUM_PG_POOL_SIZE", "4"))
        self._c = GroupConnector(url, size)
        self._c.keeps_ahead = KEEPS_AHEAD
        self._c.wake_payloads = lambda channels: wake_payloads(self.node, channels)
        self._group = False
        self.snapshots = SnapshotCache()
        self._listener: Listener | None = None
        # What other nodes wait on: commits wake them only there (see ``postgres.interest``).
        self.interest = Interest()
        self.notify_peers = True
        self._may_vacuum: bool | None = None  # whether this role may compact the queue (``compact_queues``)
        self._may_flush_text = True  # whether it may merge the free-text index's pending list (the same)
        self.migrate()

    @property
    def notify_peers(self) -> bool:
        """Whether queue and workflow changes NOTIFY other nodes: always, unless this node's listener
        runs and knows it is alone (it turns this back on as soon as another node announces itself).
        With peers, group commits are also kept short (see ``postgres.group``)."""
        return self._c.peers

    @notify_peers.setter
    def notify_peers(self, present: bool) -> None:
        self._c.peers = present

    # -- plumbing -------------------------------------------------------------------------
    def migrate(self, target: int | None = None) -> int:
        """Apply pending migrations; returns the schema version."""
        conn = self._c.conn_for(self._c.main)
        try:
            return migrate(conn, target)
        except TRANSIENT as e:
            raise self._c.lost(self._c.main, e) from e

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested blocks are savepoints. Commits when the outermost block ends."""
        with self._c.transaction(group=self._group):
            yield

    # -- group commit (see ``postgres.group``) -----------------------------------------------------
    def enable_group_commit(self, on_pending: Callable[[], None]) -> None:
        """Let the owner thread's units share one COMMIT; ``on_pending`` is called when one awaits it.

        With other nodes about, groups are kept short and never wait on a lock while holding others'
        (see ``postgres.group``), so nodes neither deadlock on each other's groups nor wait long.
        """
        self._c.on_pending = on_pending
        self._group = True

    @property
    def uncommitted(self) -> bool:
        """True while finished units wait for ``commit()``."""
        return self._c.uncommitted

    def commit(self) -> None:
        """Make every finished unit durable; raises ``BackendUnavailable`` if they were lost."""
        self._c.commit_group()

    def subscribe(
        self, on_queue_push: Callable[[str, int | None], None], on_definition_change: Callable[[], None]
    ) -> None:
        """Call ``on_queue_push(queue, visible_at)`` when another node pushes work, and ``on_definition_change()``
        when another node changes a definition; both on the listener's thread."""
        if self._listener is not None:
            return

        def peers(present: bool) -> None:
            self.notify_peers = present

        self._listener = Listener(
            self.url, self.node, on_queue_push, on_definition_change, self._queue_names, peers, self.interest
        )
        self._listener.start()

    def want_wakes(self, channel: str) -> bool:
        """This node waits on ``channel`` (a queue, or ``wf:<id>``): claim it, so the other nodes' commits
        wake it (renewed at half-life when called while waiting). True for a fresh claim: a commit decided
        before the others heard it may have gone unannounced, so the caller looks again shortly."""
        if not self.notify_peers:
            return False  # alone: nobody to tell (a node that joins wakes every channel for a lease)
        announce, fresh = self.interest.claim(channel)
        if announce:
            try:
                self._exec("notify_metadata", (want_payload(self.node, channel),))
            except BackendUnavailable:
                self.interest.unclaim(channel)
                return True
        return fresh

    def wait_listening(self, timeout: float) -> bool:
        """True once the notification listener is connected (for tests and start-up checks)."""
        return self._listener is not None and self._listener.ready.wait(timeout)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self.notify_peers = True
        if self._c.main.open:
            try:
                self._c.commit_group()
            except BackendUnavailable:
                log.warning("units awaiting the group commit were lost at close")
        self._c.close()

    def _queue_names(self, conn: Any) -> list[str]:
        return [r[0] for r in conn.execute(_Q["queue_names"]).fetchall()]

    def _tasks_changed(self) -> None:
        """Rows read ahead in this transaction may be stale once tasks are written."""
        s = self._c.session()
        if s.depth:
            s.prefetched_task_lists.clear()
            s.prefetched_tasks.clear()

    # -- metadata -------------------------------------------------------------------------
    def put_task_def(self, td: TaskDef) -> None:
        self._exec("put_task_def", (td["name"], _dumps(td)))
        self._exec("notify_metadata", (self.node,))

    def delete_task_def(self, name: str) -> bool:
        found = bool(self._all("delete_task_def", (name,)))
        if found:
            self._exec("notify_metadata", (self.node,))
        return found

    def put_workflow_def(self, wd: WorkflowDef, now: int) -> None:
        self._exec("put_workflow_def", (wd["name"], wd.get("version", 1), _dumps(wd), now))
        self._exec("notify_metadata", (self.node,))

    def delete_workflow_def(self, name: str, version: int) -> bool:
        found = bool(self._all("delete_workflow_def", (name, version)))
        if found:
            self._exec("notify_metadata", (self.node,))
        return found

    def revoke_key(self, key_id: str, now: int) -> bool:
        found = bool(self._all("revoke_api_key", (now, key_id)))
        if found:  # the other nodes drop the key's tokens on this (their definitions-changed callback)
            self._exec("notify_metadata", (self.node,))
        return found

    # -- secrets and environment values: the other nodes reload theirs on the notification --------
    def put_secret(self, name: str, sealed: str, now: int) -> None:
        super().put_secret(name, sealed, now)
        self._exec("notify_metadata", (self.node,))

    def delete_secret(self, name: str) -> bool:
        found = super().delete_secret(name)
        if found:
            self._exec("notify_metadata", (self.node,))
        return found

    def put_env_value(self, name: str, value: str, now: int) -> None:
        super().put_env_value(name, value, now)
        self._exec("notify_metadata", (self.node,))

    def delete_env_value(self, name: str) -> bool:
        found = super().delete_env_value(name)
        if found:
            self._exec("notify_metadata", (self.node,))
        return found

    # -- schedules: the other nodes' firing loops re-read the earliest fire on the notification ----
    def put_schedule(self, schedule: dict[str, Any], next_run_time: int | None, now: int) -> None:
        super().put_schedule(schedule, next_run_time, now)
        self._exec("notify_metadata", (self.node,))

    def delete_schedule(self, name: str) -> bool:
        found = super().delete_schedule(name)
        if found:
            self._exec("notify_metadata", (self.node,))
        return found

    # -- executions -----------------------------------------------------------------------
    def expect(self, workflow_id: str) -> bool:
        """A request parsed on the owner thread will decide ``workflow_id``: read it ahead, with the next
        locked read. Alone, with group commit only (with peers, locks are taken one unit at a time)."""
        c = self._c
        if not self._group or c.peers or c.session() is not c.main:
            return False
        c.main.expected[workflow_id] = None
        return True

    def _drop_ahead(self, workflow_ids: Iterable[str]) -> None:
        ahead = self._c.session().ahead
        if ahead:
            for wid in workflow_ids:
                ahead.pop(wid, None)

    def insert_workflow(self, wf: Workflow, next_check: int | None) -> None:
        self._drop_ahead((wf["workflowId"],))
        def_hash, body = self._split(wf)
        self._exec("insert_workflow", workflow_row(wf, next_check, def_hash, body))

    def update_workflow(self, wf: Workflow, next_check: int | None) -> None:
        self._drop_ahead((wf["workflowId"],))
        def_hash, body = self._split(wf)
        row = workflow_row(wf, next_check, def_hash, body)
        channel = "wf:" + wf["workflowId"]  # engine.workflow_channel
        notify = self.notify_peers and self.interest.wanted(channel)
        if notify and self._c.wake(channel):
            self._exec("update_workflow_quiet", row)
        elif notify:
            row["notify"] = queue_payload(self.node, channel, None)
            self._exec("update_workflow", row)
        else:
            self._exec("update_workflow_quiet", row)

    def get_workflow(self, workflow_id: str) -> Workflow | None:
        s = self._c.session()
        if not s.depth:
            rows = self._c.fetch(_Q["get_workflow"], (workflow_id,))
            row = rows[0] if rows else None
        else:
            # Inside a transaction the workflow is about to be decided: lock it, and read its tasks
            # in the same round trip (after the lock, so they are the latest committed ones).
            try:
                if s.batch_rows:
                    self._c.flush(s)
                row = None
                if self._c.may_regroup:  # another node's group may hold it: do not wait while holding locks
                    try:
                        row = self._locked_read(s, workflow_id, "get_workflow_locked_nowait")
                    except LockNotAvailable as e:
                        self._c.regroup(e)
                        row = self._locked_read(s, workflow_id, "get_workflow_locked")
                else:
                    row = self._locked_read(s, workflow_id, "get_workflow_locked")
            except TRANSIENT as e:
                raise unavailable(e) from e
        return None if row is None else self._join(row[0], row[1])

    def _locked_read(self, s: Any, workflow_id: str, sql: str) -> Any:
        w = s.piped
        assert w is not None
        s.fresh = False
        got = s.ahead.pop(workflow_id, None)
        if got is None:
            got = _queue_state(w, sql, workflow_id)
            if s.expected:
                self._read_ahead(s, w, workflow_id)
        locked, s.prefetched_task_lists[workflow_id] = got
        rows = w.rows(locked)
        return rows[0] if rows else None

    def _read_ahead(self, s: Any, w: Any, reading: str) -> None:
        """Queue the locked reads of the workflows that parsed requests will decide (``expect``) behind
        the one being read, so all come back in its round trip. Never with peers: their groups lock one
        workflow at a time, and may not wait on a lock while holding others (``postgres.group``)."""
        if not self._c.peers:
            for wid in s.expected:
                if wid != reading and wid not in s.ahead:
                    s.ahead[wid] = _queue_state(w, "get_workflow_locked", wid)
        s.expected.clear()

    def load_state(self, workflow_id: str) -> tuple[Workflow, list[Task]] | None:
        wf = self.get_workflow(workflow_id)
        return None if wf is None else (wf, self.get_tasks(workflow_id))

    def load_task(self, task_id: str) -> Task | None:
        return self.get_task(task_id)

    def known_next_check(self, workflow_id: str) -> int | None:
        return None  # other nodes may have moved it

    def delete_workflow(self, workflow_id: str) -> None:
        self._exec("delete_workflow", (workflow_id,))
        self._exec("forget_workflow_extras", {"workflow_id": workflow_id})

    def _skip_args(self, before: int, limit: int, skip_names: Sequence[str]) -> dict[str, Any]:
        return {"before": before, "limit": limit, "skip": list(skip_names)}

    def get_tasks(self, workflow_id: str) -> list[Task]:
        s = self._c.session()
        ahead = s.prefetched_task_lists.pop(workflow_id, None) if s.depth else None
        w = s.piped
        if ahead is None or w is None:
            rows = self._all("get_tasks", (workflow_id,))
        else:
            try:
                rows = w.rows(ahead)
            except TRANSIENT as e:
                raise unavailable(e) from e
        return [cast(Task, _loads(r[0])) for r in rows]

    def get_task(self, task_id: str) -> Task | None:
        s = self._c.session()
        raw = s.prefetched_tasks.pop(task_id, None) if s.depth else None
        if raw is None:
            raw = self._one("get_task", (task_id,))
        return None if raw is None else cast(Task, _loads(raw))

    def upsert_tasks(self, tasks: Sequence[Task]) -> None:
        """Inside a transaction the rows join a run of upserts sent as one statement (see ``defer``)."""
        if not tasks:
            return
        self._tasks_changed()
        self._drop_ahead(t["workflowInstanceId"] for t in tasks)
        rows = {t["taskId"]: task_row(t) for t in tasks}
        sql = _Q["upsert_tasks"]
        if self._c.session().depth:
            defer = self._c.defer
            for tid, row in rows.items():
                defer(sql, tid, row)
        else:
            self._c.run(rows_sql(sql, len(rows)), row_values(sql, list(rows.values())))

    def delete_tasks(self, task_ids: Sequence[str]) -> None:
        self._tasks_changed()
        if task_ids:
            self._exec("delete_tasks", (list(task_ids),))

    def delete_workflow_tasks(self, workflow_id: str) -> None:
        self._tasks_changed()
        self._exec("delete_workflow_tasks", (workflow_id,))

    def due_workflows(self, now: int, limit: int) -> list[str]:
        """Claim up to ``limit`` due workflows for this node (each is leased, not just read)."""
        rows = self._all("claim_due_workflows", (now, limit, now + SWEEP_LEASE_MS))
        return [r[0] for r in sorted(rows, key=lambda r: (r[1], r[0]))]

    def set_next_check(self, workflow_id: str, at: int | None) -> None:
        self._exec("set_next_check", (at, workflow_id))

    # -- queues ---------------------------------------------------------------------------
    def queue_push(self, queue: str, task_id: str, priority: int, visible_at: int, now: int) -> None:
        # A delayed message always notifies: a node may start waiting before it is due.
        notify = self.notify_peers and (visible_at > now or self.interest.wanted(queue))
        if notify and visible_at <= now and self._c.wake(queue):
            # In a group: the rows go in one run, and the group's one notification wakes the other nodes.
            self._c.defer(_PUSH, (queue, task_id), _push_row(queue, task_id, priority, visible_at, now))
            return
        if notify:
            payload = queue_payload(self.node, queue, None if visible_at <= now else visible_at)
            self._exec("queue_push", (queue, task_id, priority, visible_at, now, payload))
        else:
            self._c.defer(_PUSH, (queue, task_id), _push_row(queue, task_id, priority, visible_at, now))

    def queue_peek(self, queue: str, now: int, count: int) -> list[str]:
        s = self._c.session()
        if not s.depth:
            return [r[0] for r in self._all("queue_peek", (queue, now, count))]
        # A dequeue: claim the messages for this transaction and keep their task bodies for get_task.
        rows = self._all("queue_claim", (queue, now, count))
        ids: list[str] = []
        for task_id, raw in rows:
            s.prefetched_tasks[task_id] = raw
            ids.append(task_id)
        return ids

    def queue_set_visible(self, queue: str, task_id: str, visible_at: int, now: int) -> None:
        if self.notify_peers and visible_at <= now and self.interest.wanted(queue) and not self._c.wake(queue):
            self._exec("queue_set_visible_notify", (visible_at, queue, task_id, queue_payload(self.node, queue, None)))
        else:
            row = {"visible_at": visible_at, "queue_name": queue, "task_id": task_id}
            self._c.defer(_Q["queue_set_visible_rows"], (queue, task_id), row)

    def queue_requeue(self, queue: str, now: int) -> int:
        n = len(self._all("queue_requeue", (now, queue, now)))
        if n and self.notify_peers:
            self._exec("notify_queue", (queue_payload(self.node, queue, None),))
        return n

    def compact_queues(self) -> bool:
        """Vacuum the queue table (on a pool connection: VACUUM cannot run in a transaction).

        Each task leaves three dead queue rows (pushed, moved by its poll, removed). Reclaimed every
        second they are reused in place, so the table stays a few pages long; left to autovacuum (once a
        minute at best) it grows by thousands of rows a second, and a plan the server prepared while the
        table was small - a sequential scan, the cheapest then - reads every page of it per task.
        Skipped while another node compacts, or another vacuum of the table runs. False (once, logged)
        when this role may not vacuum the table: autovacuum keeps it alone then. The same pass merges the
        free-text index's pending list, which would otherwise be merged by the write that fills it.
        """
        with self._c.borrowed() as conn:
            if self._may_vacuum is None:
                row = conn.execute(_Q["queue_may_vacuum"]).fetchone()
                self._may_vacuum = bool(row and row[0])
                if not self._may_vacuum:
                    log.info(
                        "queue compaction off: role %s may not vacuum table queue (make it the owner); "
                        "autovacuum alone keeps it",
                        conn.info.user,
                    )
            if not self._may_vacuum:
                return False
            got = conn.execute(_Q["queue_compact_try_lock"], (COMPACTION_LOCK,)).fetchone()
            if not (got and got[0]):
                return True  # another node is compacting right now
            try:
                conn.execute(_Q["queue_compact"])
                if self._may_flush_text:
                    self._flush_text_index(conn)
            finally:
                conn.execute(_Q["queue_compact_unlock"], (COMPACTION_LOCK,))
        return True

    def _flush_text_index(self, conn: psycopg.Connection[Any]) -> None:
        """Merge the free-text index's pending entries (only its owner may: else off, said once)."""
        try:
            conn.execute(_Q["text_index_flush"])
        except InsufficientPrivilege:
            self._may_flush_text = False
            log.info(
                "free-text index merging off: role %s does not own index workflows_text; "
                "writes and autovacuum merge it",
                conn.info.user,
            )


def _push_row(queue: str, task_id: str, priority: int, visible_at: int, now: int) -> dict[str, Any]:
    return {"queue_name": queue, "task_id": task_id, "priority": priority, "visible_at": visible_at, "created": now}
