"""Store methods both dialects share: each runs one named query (``sql/<dialect>/queries.sql``) and
turns its rows into records the same way, so only the SQL text differs between SQLite and PostgreSQL.
The statement runners (``_exec``, ``_one``, ``_all``, ``_many``) are each store's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import orjson

from podium.domain.auth import KeyRecord, Role
from podium.domain.model import EventHandler, PollData, Task, TaskDef, TaskExecLog, Workflow, WorkflowDef
from podium.store.rows import Params, event_execution_row, workflow_body
from podium.store.snapshots import SnapshotCache


class SharedRecords:
    """Metadata, execution, queue, poll-data, log and event records read and written the same way, and
    workflow rows stored apart from their definition snapshot (the row codec)."""

    snapshots: SnapshotCache

    def _exec(self, name: str, args: Params = ()) -> object:
        raise NotImplementedError

    def _one(self, name: str, args: Params) -> Any:
        raise NotImplementedError

    def _all(self, name: str, args: Params = ()) -> list[Any]:
        raise NotImplementedError

    def _many(self, name: str, rows: Sequence[Params]) -> None:
        raise NotImplementedError

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
        """A stored workflow body with its (shared, decoded once) definition snapshot attached."""
        wf = cast(Workflow, orjson.loads(raw))
        wd = self.snapshots.get(def_hash)
        if wd is None:
            wd = self.snapshots.load(def_hash, self._one("get_snapshot", (def_hash,)))
        wf["workflowDefinition"] = wd
        return wf

    # -- metadata --------------------------------------------------------------------------------
    def get_task_def(self, name: str) -> TaskDef | None:
        raw = self._one("get_task_def", (name,))
        return None if raw is None else cast(TaskDef, orjson.loads(raw))

    def list_task_defs(self) -> list[TaskDef]:
        return [cast(TaskDef, orjson.loads(r[0])) for r in self._all("list_task_defs")]

    def get_workflow_def(self, name: str, version: int | None = None) -> WorkflowDef | None:
        if version is None:
            raw = self._one("get_latest_workflow_def", (name,))
        else:
            raw = self._one("get_workflow_def", (name, version))
        return None if raw is None else cast(WorkflowDef, orjson.loads(raw))

    def list_workflow_defs(self) -> list[WorkflowDef]:
        return [cast(WorkflowDef, orjson.loads(r[0])) for r in self._all("list_workflow_defs")]

    # -- executions ------------------------------------------------------------------------------
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
        return [cast(Task, orjson.loads(r[0])) for r in rows]

    # -- decide failures, idempotency keys, event chains (issue #12) -----------------------------
    def record_decide_failure(self, workflow_id: str, update_time: int) -> int:
        return int(self._one("record_decide_failure", (workflow_id, update_time)))

    def clear_decide_failures(self, workflow_id: str) -> None:
        self._exec("clear_decide_failures", (workflow_id,))

    def claim_idempotency_key(self, name: str, key: str, workflow_id: str) -> str:
        claimed = self._one("claim_idempotency_key", (name, key, workflow_id))
        if claimed is not None:
            return str(claimed)
        # Taken: read it in a statement of its own, which sees the row a concurrent claim committed.
        owner = self._one("idempotency_key_owner", (name, key))
        return workflow_id if owner is None else str(owner)

    def replace_idempotency_key(self, name: str, key: str, old_id: str, new_id: str) -> bool:
        return bool(self._all("replace_idempotency_key", (new_id, name, key, old_id)))

    def set_event_depth(self, workflow_id: str, depth: int) -> None:
        self._exec("set_event_depth", (workflow_id, depth))

    def event_depth(self, workflow_id: str) -> int:
        return int(self._one("event_depth", (workflow_id,)) or 0)

    # -- queues ----------------------------------------------------------------------------------
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

    def queue_contains(self, queue: str, task_id: str) -> bool:
        return self._one("queue_contains", (queue, task_id)) is not None

    # -- poll data, logs -------------------------------------------------------------------------
    def put_poll_data(self, rows: Sequence[PollData]) -> None:
        self._many(
            "put_poll_data",
            [(r["queueName"], r.get("domain", ""), r.get("workerId", ""), r["lastPollTime"]) for r in rows],
        )

    def list_poll_data(self) -> list[PollData]:
        out: list[PollData] = []
        for q, d, w, t in self._all("list_poll_data"):
            pd: PollData = {"queueName": q, "workerId": w, "lastPollTime": int(t)}
            if d:
                pd["domain"] = d
            out.append(pd)
        return out

    def get_logs(self, task_id: str) -> list[TaskExecLog]:
        rows = self._all("get_logs", (task_id,))
        return [{"log": r[0], "taskId": task_id, "createdTime": int(r[1])} for r in rows]

    def delete_task_logs(self, task_ids: Sequence[str]) -> None:
        if task_ids:
            self._many("delete_task_logs", [(i,) for i in task_ids])

    def expired_workflows(
        self, ended_before: int, limit: int, name: str | None = None, skip_names: Sequence[str] = ()
    ) -> list[str]:
        if name is not None:
            rows = self._all("expired_workflows_of", {"name": name, "before": ended_before, "limit": limit})
        else:
            rows = self._all("expired_workflows_except", self._skip_args(ended_before, limit, skip_names))
        return [r[0] for r in rows]

    def _skip_args(self, before: int, limit: int, skip_names: Sequence[str]) -> dict[str, Any]:
        """The parameters of ``expired_workflows_except``; the names as the dialect takes a list."""
        raise NotImplementedError

    def add_logs(self, logs: Sequence[TaskExecLog]) -> None:
        self._many("add_log", [(lg["taskId"], lg.get("log", ""), lg.get("createdTime", 0)) for lg in logs])

    # -- events ----------------------------------------------------------------------------------
    def get_definition_tags(self, kind: str, name: str) -> list[dict[str, Any]]:
        row = self._one("get_definition_tags", (kind, name))
        return cast(list[dict[str, Any]], orjson.loads(row)) if row else []

    def put_definition_tags(self, kind: str, name: str, tags: Sequence[dict[str, Any]], now: int) -> None:
        self._exec("put_definition_tags", (kind, name, orjson.dumps(list(tags)).decode(), now))

    def all_definition_tags(self) -> list[list[dict[str, Any]]]:
        return [cast(list[dict[str, Any]], orjson.loads(r[0])) for r in self._all("all_definition_tags")]

    def get_event_handler(self, name: str) -> EventHandler | None:
        raw = self._one("get_event_handler", (name,))
        return None if raw is None else cast(EventHandler, orjson.loads(raw))

    def list_event_handlers(self, event: str | None = None) -> list[EventHandler]:
        rows = self._all("list_event_handlers") if event is None else self._all("event_handlers_for", (event,))
        return [cast(EventHandler, orjson.loads(r[0])) for r in rows]

    def event_publish(self, queue: str, message_id: str, payload: str, now: int) -> None:
        self._exec("event_publish", (queue, message_id, payload, now))

    def event_ack(self, seq: int) -> None:
        self._exec("event_ack", (seq,))

    def event_queue_sizes(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._all("event_queue_sizes")}

    def put_event_execution(self, key: str, execution: dict[str, Any]) -> None:
        self._exec("put_event_execution", event_execution_row(key, execution))

    def get_event_execution(self, key: str) -> dict[str, Any] | None:
        raw = self._one("get_event_execution", (key,))
        return None if raw is None else cast(dict[str, Any], orjson.loads(raw))

    def list_event_executions(self, handler_name: str, limit: int) -> list[dict[str, Any]]:
        rows = self._all("list_event_executions", (handler_name, limit))
        return [cast(dict[str, Any], orjson.loads(r[0])) for r in rows]

    # -- application keys and server secrets (issue #13) ----------------------------------------
    def insert_key(self, key: KeyRecord) -> None:
        types = orjson.dumps(key.task_types).decode() if key.task_types else None
        self._exec("insert_api_key", (key.key_id, key.name, key.role.value, types, key.secret_hash, key.created_time))

    def get_key(self, key_id: str) -> KeyRecord | None:
        rows = self._all("get_api_key", (key_id,))
        return _key_record(rows[0]) if rows else None

    def list_keys(self) -> list[KeyRecord]:
        return [_key_record(r) for r in self._all("list_api_keys")]

    def revoke_key(self, key_id: str, now: int) -> bool:
        return bool(self._all("revoke_api_key", (now, key_id)))

    def revoked_key_ids(self) -> set[str]:
        return {r[0] for r in self._all("revoked_api_keys")}

    def server_secret(self, name: str, candidate: str) -> str:
        self._exec("claim_server_secret", (name, candidate))
        return str(self._one("get_server_secret", (name,)))

    # -- secrets (sealed) and environment values (issue #14) -------------------------------------
    def put_secret(self, name: str, sealed: str, now: int) -> None:
        self._exec("put_secret", (name, sealed, now))

    def get_secret(self, name: str) -> str | None:
        rows = self._all("get_secret", (name,))
        return str(rows[0][0]) if rows else None

    def list_secrets(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._all("list_secrets")}

    def delete_secret(self, name: str) -> bool:
        return bool(self._all("delete_secret", (name,)))

    def put_env_value(self, name: str, value: str, now: int) -> None:
        self._exec("put_env_value", (name, value, now))

    def list_env_values(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._all("list_env_values")}

    def delete_env_value(self, name: str) -> bool:
        return bool(self._all("delete_env_value", (name,)))

    # -- workflow schedules (issue #15) ----------------------------------------------------------
    def put_schedule(self, schedule: dict[str, Any], next_run_time: int | None, now: int) -> None:
        workflow = (schedule.get("startWorkflowRequest") or {}).get("name") or ""
        body = orjson.dumps(schedule).decode()
        self._exec(
            "put_schedule", (schedule["name"], workflow, int(bool(schedule.get("paused"))), next_run_time, body, now)
        )

    def get_schedule(self, name: str) -> tuple[dict[str, Any], int | None] | None:
        rows = self._all("get_schedule", (name,))
        return _schedule_row(rows[0]) if rows else None

    def list_schedules(self, workflow_name: str | None = None) -> list[tuple[dict[str, Any], int | None]]:
        rows = (
            self._all("list_schedules") if workflow_name is None else self._all("list_schedules_of", (workflow_name,))
        )
        return [_schedule_row(r) for r in rows]

    def delete_schedule(self, name: str) -> bool:
        return bool(self._all("delete_schedule", (name,)))

    def due_schedules(self, now: int, limit: int) -> list[tuple[dict[str, Any], int]]:
        return [(cast(dict[str, Any], orjson.loads(r[0])), int(r[1])) for r in self._all("due_schedules", (now, limit))]

    def earliest_schedule(self) -> int | None:
        v = self._one("earliest_schedule", ())
        return None if v is None else int(v)

    def advance_schedule(self, name: str, old: int, new: int | None) -> bool:
        return bool(self._all("advance_schedule", (new, name, old)))

    def claim_schedule_fire(self, execution: dict[str, Any]) -> bool:
        e = execution
        row = (e["executionId"], e["scheduleName"], e["scheduledTime"], e["executionTime"], e["state"])
        return bool(self._all("claim_schedule_fire", (*row, orjson.dumps(e).decode())))

    def recent_schedule_executions(self, schedule_name: str | None, limit: int) -> list[dict[str, Any]]:
        if schedule_name is None:
            rows = self._all("recent_schedule_executions", (limit,))
        else:
            rows = self._all("recent_schedule_executions_of", (schedule_name, limit))
        return [cast(dict[str, Any], orjson.loads(r[0])) for r in rows]

    def prune_schedule_executions(self, before: int, limit: int) -> int:
        return len(self._all("prune_schedule_executions", (before, limit)))


def _schedule_row(row: Sequence[Any]) -> tuple[dict[str, Any], int | None]:
    return cast(dict[str, Any], orjson.loads(row[0])), None if row[1] is None else int(row[1])


def _key_record(row: Sequence[Any]) -> KeyRecord:
    key_id, name, role, types, secret_hash, created, revoked = row
    return KeyRecord(
        key_id=key_id,
        name=name,
        role=Role(role),
        task_types=list(orjson.loads(types)) if types else [],
        secret_hash=secret_hash,
        created_time=int(created),
        revoked_time=None if revoked is None else int(revoked),
    )
