"""The storage ports, one per concern. The service layer depends only on these."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol, runtime_checkable

from podium.domain.auth import KeyRecord
from podium.domain.model import EventHandler, PollData, Task, TaskDef, TaskExecLog, Workflow, WorkflowDef
from podium.domain.search import SearchQuery


class MetadataStore(Protocol):
    """Task and workflow definitions."""

    def get_task_def(self, name: str) -> TaskDef | None: ...
    def put_task_def(self, td: TaskDef) -> None: ...
    def list_task_defs(self) -> list[TaskDef]: ...
    def delete_task_def(self, name: str) -> bool: ...
    def get_workflow_def(self, name: str, version: int | None = None) -> WorkflowDef | None: ...
    def put_workflow_def(self, wd: WorkflowDef, now: int) -> None: ...
    def list_workflow_defs(self) -> list[WorkflowDef]: ...
    def delete_workflow_def(self, name: str, version: int) -> bool: ...


class TagStore(Protocol):
    """Tags on definitions (issue #14): one list per (kind, name), kind ``workflow`` or ``task``."""

    def get_definition_tags(self, kind: str, name: str) -> list[dict[str, Any]]: ...
    def put_definition_tags(self, kind: str, name: str, tags: Sequence[dict[str, Any]], now: int) -> None: ...
    def all_definition_tags(self) -> list[list[dict[str, Any]]]: ...


class ExecutionStore(Protocol):
    """Workflow and task execution records."""

    def insert_workflow(self, wf: Workflow, next_check: int | None) -> None: ...
    def update_workflow(self, wf: Workflow, next_check: int | None) -> None: ...
    def get_workflow(self, workflow_id: str) -> Workflow | None: ...
    def delete_workflow(self, workflow_id: str) -> None: ...
    def get_tasks(self, workflow_id: str) -> list[Task]: ...
    def get_task(self, task_id: str) -> Task | None: ...
    def load_state(self, workflow_id: str) -> tuple[Workflow, list[Task]] | None:
        """A workflow and its tasks (in seq order) to change in this transaction.

        The caller may mutate what it gets and must write back every change before the transaction
        ends; a single-writer store may hand out the same objects again to the next transaction.
        """
        ...

    def load_task(self, task_id: str) -> Task | None:
        """A task record to change in this transaction (same contract as ``load_state``)."""
        ...

    def known_next_check(self, workflow_id: str) -> int | None:
        """The stored next check when this process knows it for sure (a single-writer store that wrote
        it), else None. A decide before that time may skip the records nobody changed."""
        ...

    def upsert_tasks(self, tasks: Sequence[Task]) -> None: ...
    def delete_tasks(self, task_ids: Sequence[str]) -> None: ...
    def delete_workflow_tasks(self, workflow_id: str) -> None: ...
    def due_workflows(self, now: int, limit: int) -> list[str]: ...
    def set_next_check(self, workflow_id: str, at: int | None) -> None: ...
    def record_decide_failure(self, workflow_id: str, update_time: int) -> int:
        """Count one more failed decide of a workflow whose stored ``updateTime`` is ``update_time``;
        returns the failures in a row (a workflow written since the last failure counts afresh)."""
        ...

    def clear_decide_failures(self, workflow_id: str) -> None: ...
    def claim_idempotency_key(self, name: str, key: str, workflow_id: str) -> str:
        """Give ``key`` of workflow ``name`` to ``workflow_id`` unless a workflow holds it already; returns
        the holder (``workflow_id`` when claimed). Concurrent claims, from any node, have one winner."""
        ...

    def replace_idempotency_key(self, name: str, key: str, old_id: str, new_id: str) -> bool:
        """Move a key from ``old_id`` to ``new_id``; False if ``old_id`` no longer holds it."""
        ...

    def set_event_depth(self, workflow_id: str, depth: int) -> None: ...
    def event_depth(self, workflow_id: str) -> int:
        """How deep in a chain of event-started workflows this one is (0: not started by an event)."""
        ...

    def running_workflow_ids(self, name: str, version: int, start: int, end: int) -> list[str]: ...
    def workflows_by_correlation(self, name: str, correlation_id: str) -> list[Workflow]: ...
    def child_workflow_ids(self, workflow_id: str) -> list[str]: ...
    def count_in_progress(self, task_def_name: str) -> int: ...
    def pending_tasks_of_type(self, task_type: str, start: int, count: int) -> list[Task]: ...
    def expired_workflows(
        self, ended_before: int, limit: int, name: str | None = None, skip_names: Sequence[str] = ()
    ) -> list[str]:
        """Up to ``limit`` ids of ended workflows whose end time is before ``ended_before`` (epoch ms): of
        definition ``name`` when given, else of every definition but ``skip_names`` (retention, issue #16)."""
        ...


class QueueStore(Protocol):
    """Durable delay queues of task ids, one per queue name."""

    def queue_push(self, queue: str, task_id: str, priority: int, visible_at: int, now: int) -> None: ...
    def queue_peek(self, queue: str, now: int, count: int) -> list[str]: ...
    def queue_set_visible(self, queue: str, task_id: str, visible_at: int, now: int) -> None: ...
    def queue_remove(self, queue: str, task_id: str) -> None: ...
    def queue_remove_task(self, task_id: str) -> None: ...
    def queue_size(self, queue: str) -> int: ...
    def queue_sizes(self, now: int) -> dict[str, tuple[int, int]]: ...
    def queue_next_visible(self, queue: str) -> int | None: ...
    def queue_requeue(self, queue: str, now: int) -> int: ...
    def queue_contains(self, queue: str, task_id: str) -> bool: ...


class PollDataStore(Protocol):
    """Last poll per queue and domain."""

    def put_poll_data(self, rows: Sequence[PollData]) -> None: ...
    def list_poll_data(self) -> list[PollData]: ...


class LogStore(Protocol):
    """Task execution logs."""

    def add_logs(self, logs: Sequence[TaskExecLog]) -> None: ...
    def get_logs(self, task_id: str) -> list[TaskExecLog]: ...
    def delete_task_logs(self, task_ids: Sequence[str]) -> None: ...


class EventStore(Protocol):
    """Event handlers."""

    def put_event_handler(self, eh: EventHandler) -> None: ...
    def get_event_handler(self, name: str) -> EventHandler | None: ...
    def list_event_handlers(self, event: str | None = None) -> list[EventHandler]: ...
    def delete_event_handler(self, name: str) -> bool: ...


class EventQueueStore(Protocol):
    """The internal ``conductor`` event queue and the record of what event handlers did (Conductor's event handlers)."""

    def event_publish(self, queue: str, message_id: str, payload: str, now: int) -> None: ...
    def event_peek(self, limit: int, now: int) -> list[tuple[int, str, str, str]]:
        """The oldest messages as (seq, queue, message id, JSON payload text); a store shared by nodes
        leases them to this one for a while from ``now``."""
        ...

    def event_ack(self, seq: int) -> None: ...
    def event_queue_sizes(self) -> dict[str, int]: ...
    def put_event_execution(self, key: str, execution: dict[str, Any]) -> None:
        """Insert or replace one EventExecution under a key unique per handler, message and action."""
        ...

    def get_event_execution(self, key: str) -> dict[str, Any] | None: ...
    def list_event_executions(self, handler_name: str, limit: int) -> list[dict[str, Any]]: ...


class SearchStore(Protocol):
    """Search over executions."""

    def search_workflows(self, q: SearchQuery) -> tuple[int, list[Workflow]]: ...
    def search_tasks(self, q: SearchQuery) -> tuple[int, list[Task]]: ...


class KeyStore(Protocol):
    """Application keys and the server-wide secrets (issue #13)."""

    def insert_key(self, key: KeyRecord) -> None: ...
    def get_key(self, key_id: str) -> KeyRecord | None: ...
    def list_keys(self) -> list[KeyRecord]: ...
    def revoke_key(self, key_id: str, now: int) -> bool:
        """Mark a key revoked; False when it does not exist or was revoked already. A store shared by
        nodes tells the others (their ``on_definition_change`` runs), so they refuse its tokens at once."""
        ...

    def revoked_key_ids(self) -> set[str]: ...
    def server_secret(self, name: str, candidate: str) -> str:
        """The secret stored under ``name``; stores ``candidate`` first if there is none (first writer wins)."""
        ...


class ValueStore(Protocol):
    """Secrets (kept sealed: the store never sees a plain value) and plain environment values (issue #14).

    A store shared by nodes tells the others of every change (their ``on_definition_change`` runs)."""

    def put_secret(self, name: str, sealed: str, now: int) -> None: ...
    def get_secret(self, name: str) -> str | None: ...
    def list_secrets(self) -> dict[str, str]:
        """Every secret's name and sealed value."""
        ...

    def delete_secret(self, name: str) -> bool: ...
    def put_env_value(self, name: str, value: str, now: int) -> None: ...
    def list_env_values(self) -> dict[str, str]: ...
    def delete_env_value(self, name: str) -> bool: ...


class ScheduleStore(Protocol):
    """Workflow schedules and the record of their fires (issue #15). A schedule row keeps the schedule's
    JSON and its ``next_run_time``: the first fire not made yet (None: never again).

    A store shared by nodes tells the others when a schedule is saved or deleted (``on_definition_change``)."""

    def put_schedule(self, schedule: dict[str, Any], next_run_time: int | None, now: int) -> None: ...
    def get_schedule(self, name: str) -> tuple[dict[str, Any], int | None] | None: ...
    def list_schedules(self, workflow_name: str | None = None) -> list[tuple[dict[str, Any], int | None]]: ...
    def delete_schedule(self, name: str) -> bool: ...
    def due_schedules(self, now: int, limit: int) -> list[tuple[dict[str, Any], int]]:
        """Schedules not paused whose next run time is ``now`` or earlier, the earliest first."""
        ...

    def earliest_schedule(self) -> int | None:
        """The smallest next run time of the schedules not paused."""
        ...

    def advance_schedule(self, name: str, old: int, new: int | None) -> bool:
        """Move a schedule's next run time from ``old`` to ``new``; False if it is not ``old`` any more."""
        ...

    def claim_schedule_fire(self, execution: dict[str, Any]) -> bool:
        """Record a fire (a WorkflowScheduleExecutionModel) unless its (scheduleName, scheduledTime) is
        recorded already; True when this call recorded it. Concurrent claims, from any node, have one winner."""
        ...

    def recent_schedule_executions(self, schedule_name: str | None, limit: int) -> list[dict[str, Any]]:
        """The latest executions (of one schedule, or of all), the most recently scheduled first."""
        ...

    def prune_schedule_executions(self, before: int, limit: int) -> int:
        """Delete up to ``limit`` executions scheduled before ``before``, the oldest first; returns how many."""
        ...


# -- capabilities: what some stores offer beyond ``Store``; ask with ``isinstance(store, Capability)`` ------


@runtime_checkable
class GroupCommit(Protocol):
    """A store whose units of work can share one COMMIT (both dialects; see ``service.durability``).

    Once enabled, a finished unit is not durable until ``commit()``: nothing may acknowledge it before.
    """

    def enable_group_commit(self, on_pending: Callable[[], None]) -> None:
        """Let units share one COMMIT; ``on_pending`` is called when a finished unit awaits it."""
        ...

    @property
    def uncommitted(self) -> bool:
        """True while finished units wait for ``commit()``."""
        ...

    def commit(self) -> None:
        """Make every finished unit durable; raises ``BackendUnavailable`` if they were lost."""
        ...


@runtime_checkable
class PeerNotification(Protocol):
    """A store shared by several server nodes, which tells this node what the others changed."""

    def subscribe(
        self, on_queue_push: Callable[[str, int | None], None], on_definition_change: Callable[[], None]
    ) -> None:
        """Call ``on_queue_push(queue, visible_at)`` when another node pushes work to a queue (``visible_at``
        in epoch ms, None when due at once), and ``on_definition_change()`` when another node changes a
        definition; both on a thread of the store's."""
        ...

    def want_wakes(self, channel: str) -> bool:
        """This node waits on ``channel`` (a queue, or ``wf:<id>``); other nodes' changes to it must wake
        this node. Called when a wait begins and every fraction of a second while it lasts. True when the
        claim is fresh: a change committed meanwhile may have woken nobody, so look again shortly."""
        ...


@runtime_checkable
class QueueCompactor(Protocol):
    """Optional: a store whose task queue table must be compacted often (PostgreSQL).

    Every task inserts, moves and deletes a queue row, so the table holds a few live rows among many
    dead ones unless they are reclaimed every second or so; the database's own maintenance comes by
    once a minute at best.
    """

    def compact_queues(self) -> bool:
        """Reclaim the queue table's dead rows (a short pass that blocks no reader or writer); False if
        this store may never do it (then it need not be asked again)."""
        ...


@runtime_checkable
class SingleWriter(Protocol):
    """A store that one process owns, so what it last wrote is what is stored: no other process
    competes for its queue messages, and none can hold a lease at start-up."""

    @property
    def single_writer(self) -> Literal[True]: ...


@runtime_checkable
class FreeTextIndexer(Protocol):
    """Optional: a store that indexes ended workflows for free-text search in the background (SQLite)."""

    def index_free_text(self, limit: int) -> int:
        """Index up to ``limit`` ended workflows not indexed yet, in one short transaction; returns how many."""
        ...


class Store(
    MetadataStore,
    TagStore,
    ExecutionStore,
    QueueStore,
    PollDataStore,
    LogStore,
    EventStore,
    EventQueueStore,
    SearchStore,
    KeyStore,
    ValueStore,
    ScheduleStore,
    Protocol,
):
    """Everything the service needs, plus transactions."""

    def transaction(self) -> AbstractContextManager[None]:
        """Run the block as one atomic transaction (re-entrant: inner blocks join the outer one)."""
        ...

    def close(self) -> None: ...


class PayloadStore(Protocol):
    """Where payloads over Conductor's thresholds are kept (docs/architecture.md#external-payloads), by path.

    Writes happen outside the database transaction: a payload is written before the record that
    names it, so a record never points at nothing (a rolled-back write leaves an unreferenced payload).
    """

    def put(self, path: str, data: bytes) -> None: ...
    def get(self, path: str) -> bytes | None:
        """The payload stored at ``path``, or None."""
        ...

    def direct_uri(self, path: str, write: bool, expires_s: int) -> str | None:
        """A URI a client may use without Podium (an S3 pre-signed URL), or None when clients go
        through Podium's own ``/api/payloads/{path}``."""
        ...

    def delete(self, path: str) -> None:
        """Forget the payload at ``path`` (nothing happens when there is none)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class ReadsAhead(Protocol):
    """A store that can read a workflow a waiting request will decide together with the unit before it
    (PostgreSQL alone; see docs/architecture.md, "Reading ahead across requests")."""

    def expect(self, workflow_id: str) -> bool:
        """Note that a parsed request will decide ``workflow_id``; False if nothing will be read ahead."""
        ...
