"""The storage ports, one per concern. The service layer depends only on these."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from podium.domain.model import EventHandler, PollData, Task, TaskDef, TaskExecLog, Workflow, WorkflowDef


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
    def set_next_check_min(self, workflow_id: str, at: int) -> None: ...
    def running_workflow_ids(self, name: str, version: int, start: int, end: int) -> list[str]: ...
    def workflows_by_correlation(self, name: str, correlation_id: str) -> list[Workflow]: ...
    def child_workflow_ids(self, workflow_id: str) -> list[str]: ...
    def count_in_progress(self, task_def_name: str) -> int: ...
    def pending_tasks_of_type(self, task_type: str, start: int, count: int) -> list[Task]: ...


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


class EventStore(Protocol):
    """Event handlers."""

    def put_event_handler(self, eh: EventHandler) -> None: ...
    def get_event_handler(self, name: str) -> EventHandler | None: ...
    def list_event_handlers(self, event: str | None = None) -> list[EventHandler]: ...
    def delete_event_handler(self, name: str) -> bool: ...


class EventQueueStore(Protocol):
    """The internal ``conductor`` event queue and the record of what event handlers did (SPEC §7)."""

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


@dataclass(slots=True)
class SearchQuery:
    """A parsed workflow or task search (SPEC §6.2)."""

    start: int = 0
    size: int = 100
    clauses: list[tuple[str, str, Any]] = field(default_factory=list)  # (field, op, value)
    free_text: str = "*"
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)


class SearchStore(Protocol):
    """Search over executions."""

    def search_workflows(self, q: SearchQuery) -> tuple[int, list[Workflow]]: ...
    def search_tasks(self, q: SearchQuery) -> tuple[int, list[Task]]: ...


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
    ExecutionStore,
    QueueStore,
    PollDataStore,
    LogStore,
    EventStore,
    EventQueueStore,
    SearchStore,
    Protocol,
):
    """Everything the service needs, plus transactions."""

    def transaction(self) -> AbstractContextManager[None]:
        """Run the block as one atomic transaction (re-entrant: inner blocks join the outer one)."""
        ...

    def close(self) -> None: ...
