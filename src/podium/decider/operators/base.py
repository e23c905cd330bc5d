"""The operator interface: how one WorkflowTask type is scheduled and advanced."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from podium.domain.model import Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass


class Operator:
    """Default behaviour: a task that runs elsewhere and is only watched by the decider.

    ``schedule`` creates the record(s) for a node; ``step`` advances a non-terminal record during a
    pass and returns True when it changed something; ``cancel`` is called when the workflow ends
    while the record is still running; ``loop_body_done`` is for DO_WHILE only.
    """

    #: True when the worker protocol (queues, poll, response timeouts) applies to the records.
    worker: bool = False

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        raise NotImplementedError

    def step(self, p: Pass, task: Task) -> bool:
        return False

    def cancel(self, p: Pass, task: Task) -> None:
        return None

    def loop_body_done(self, p: Pass, loop_task: Task) -> None:
        return None

    def continues(self, p: Pass, task: Task) -> bool:
        """False when the graph successor must not be scheduled after this record is processed
        (a SWITCH that took a branch continues from the branch's end; TERMINATE ends everything)."""
        return True

    def deadline(self, p: Pass, task: Task) -> int | None:
        """When a non-terminal record needs the decider again by itself (e.g. a timed WAIT)."""
        return None


REGISTRY: dict[str, Operator] = {}


def register(*types: str) -> Callable[[type[Operator]], type[Operator]]:
    """Class decorator: one operator instance serves the given WorkflowTask types."""

    def deco(cls: type[Operator]) -> type[Operator]:
        inst = cls()
        for t in types:
            REGISTRY[t] = inst
        return cls

    return deco


def operator_for(task_type: str) -> Operator:
    """The operator of a type; unknown types are worker tasks."""
    op = REGISTRY.get(task_type)
    if op is None:
        from podium.decider.operators.simple import SIMPLE_OPERATOR

        return SIMPLE_OPERATOR
    return op
