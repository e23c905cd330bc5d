"""The in-memory state one decide pass works on."""

from __future__ import annotations

from dataclasses import dataclass

from podium.domain.model import Task, Workflow


@dataclass(slots=True)
class WorkflowState:
    """A workflow and its task records (in ``seq`` order). The decider mutates it in place."""

    workflow: Workflow
    tasks: list[Task]

    @property
    def workflow_id(self) -> str:
        return self.workflow["workflowId"]

    def task(self, task_id: str) -> Task | None:
        for t in self.tasks:
            if t["taskId"] == task_id:
                return t
        return None

    def next_seq(self) -> int:
        return (self.tasks[-1]["seq"] + 1) if self.tasks else 1
