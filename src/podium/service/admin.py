"""What the health and admin endpoints read and do (docs/compatibility.md#admin-health-auth)."""

from __future__ import annotations

from podium.domain.model import Task
from podium.service.engine import Engine


class AdminService:
    """Health checks, pending-task listings and sweeping one workflow on demand."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store

    def check_health(self) -> None:
        """Read from the database; raises when it cannot be reached (the API answers 503)."""
        self.store.queue_size("_health")

    def pending_tasks(self, task_type: str, start: int, count: int) -> list[Task]:
        return self.store.pending_tasks_of_type(task_type, start, count)

    def sweep(self, workflow_id: str) -> bool:
        """Decide a workflow now; False when there is no such workflow."""
        if self.store.get_workflow(workflow_id) is None:
            return False
        self.engine.decide(workflow_id)
        return True
