"""A SQLite store that also remembers when each workflow next needs the sweeper (for time skipping)."""

from __future__ import annotations

from collections.abc import Sequence

from podium.domain.model import Task, Workflow
from podium.store.sqlite import SqliteStore


class TimerStore(SqliteStore):
    """SqliteStore + an in-memory copy of every workflow's ``next_check``.

    A rolled-back transaction may leave a stale entry behind; that only makes the test
    environment stop at a moment where nothing is due, which is harmless.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.next_checks: dict[str, int] = {}
        self.writes = 0  # task and workflow creations/changes: tells a real event from an idle re-check

    def upsert_tasks(self, tasks: Sequence[Task]) -> None:
        super().upsert_tasks(tasks)
        if tasks:
            self.writes += 1

    def delete_tasks(self, task_ids: Sequence[str]) -> None:
        super().delete_tasks(task_ids)
        if task_ids:
            self.writes += 1

    def _track(self, workflow_id: str, at: int | None) -> None:
        if at is None:
            self.next_checks.pop(workflow_id, None)
        else:
            self.next_checks[workflow_id] = at

    def insert_workflow(self, wf: Workflow, next_check: int | None) -> None:
        super().insert_workflow(wf, next_check)
        self.writes += 1
        self._track(wf["workflowId"], next_check)

    def update_workflow(self, wf: Workflow, next_check: int | None) -> None:
        super().update_workflow(wf, next_check)
        self._track(wf["workflowId"], next_check)

    def set_next_check(self, workflow_id: str, at: int | None) -> None:
        super().set_next_check(workflow_id, at)
        self._track(workflow_id, at)

    def delete_workflow(self, workflow_id: str) -> None:
        super().delete_workflow(workflow_id)
        self.next_checks.pop(workflow_id, None)

    def next_timer(self, after: int) -> int | None:
        """The earliest recorded check strictly after ``after``."""
        return min((t for t in self.next_checks.values() if t > after), default=None)
