"""What one decide pass changed and what the service must do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podium.domain.model import Task


@dataclass(slots=True)
class QueuePush:
    """Make a task available on a queue after ``delay_ms``."""

    queue: str
    task_id: str
    delay_ms: int
    priority: int


@dataclass(slots=True)
class Effect:
    """A side effect the decider asks the service to perform in the same transaction.

    kinds: ``start_sub_workflow`` (task), ``terminate_workflow`` (workflow_id, reason),
    ``start_failure_workflow``, ``notify_parent``, ``start_workflow`` (task), ``publish_event`` (task),
    ``task_logs`` (task: script console lines to store as task logs).
    """

    kind: str
    task: Task | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """Changes made by a decide pass (the state itself is mutated in place)."""

    new_tasks: list[Task] = field(default_factory=list)
    dirty: dict[str, Task] = field(default_factory=dict)
    pushes: list[QueuePush] = field(default_factory=list)
    removes: list[tuple[str, str]] = field(default_factory=list)  # (queue, task_id)
    effects: list[Effect] = field(default_factory=list)
    deleted_task_ids: list[str] = field(default_factory=list)
    next_check: int | None = None
    workflow_changed: bool = False
    # An evaluation of user code asked for by this pass goes on in the background.
    evaluations_pending: bool = False
    # Tasks changed during the current round of a pass (the decider's work list for the next round).
    dirty_since_round: dict[str, Task] = field(default_factory=dict)
    # Counts every change made during the pass (lets the decider skip re-evaluating unchanged state).
    changes: int = 0
    # Payloads over Conductor's thresholds to write to the payload store before the records that
    # name them (path, value); the records keep the full value in memory.
    payloads: list[tuple[str, Any]] = field(default_factory=list)
    # The pass stopped early (it had created enough records to leave the event loop to others):
    # decide this workflow again at once, in a new unit of work.
    again: bool = False

    def touch(self, task: Task) -> None:
        """Record that an existing task changed."""
        self.dirty[task["taskId"]] = task
        self.dirty_since_round[task["taskId"]] = task
        self.changes += 1
