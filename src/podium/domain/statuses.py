"""Task and workflow statuses and their classifications (terminal, successful, retriable), as Conductor
defines them."""

from __future__ import annotations

from typing import Final

# Task statuses
SCHEDULED: Final = "SCHEDULED"
IN_PROGRESS: Final = "IN_PROGRESS"
COMPLETED: Final = "COMPLETED"
COMPLETED_WITH_ERRORS: Final = "COMPLETED_WITH_ERRORS"
FAILED: Final = "FAILED"
FAILED_WITH_TERMINAL_ERROR: Final = "FAILED_WITH_TERMINAL_ERROR"
TIMED_OUT: Final = "TIMED_OUT"
CANCELED: Final = "CANCELED"
SKIPPED: Final = "SKIPPED"

TASK_STATUSES: Final = frozenset(
    {
        SCHEDULED,
        IN_PROGRESS,
        COMPLETED,
        COMPLETED_WITH_ERRORS,
        FAILED,
        FAILED_WITH_TERMINAL_ERROR,
        TIMED_OUT,
        CANCELED,
        SKIPPED,
    }
)
TASK_TERMINAL: Final = frozenset(
    {COMPLETED, COMPLETED_WITH_ERRORS, FAILED, FAILED_WITH_TERMINAL_ERROR, TIMED_OUT, CANCELED, SKIPPED}
)
TASK_SUCCESSFUL: Final = frozenset({SCHEDULED, IN_PROGRESS, COMPLETED, COMPLETED_WITH_ERRORS, SKIPPED})
TASK_RETRIABLE: Final = TASK_STATUSES - {FAILED_WITH_TERMINAL_ERROR, CANCELED, SKIPPED}
# Statuses a worker may report through the task update API.
TASK_RESULT_STATUSES: Final = frozenset({IN_PROGRESS, FAILED, FAILED_WITH_TERMINAL_ERROR, COMPLETED, CANCELED})

# Workflow statuses
RUNNING: Final = "RUNNING"
PAUSED: Final = "PAUSED"
TERMINATED: Final = "TERMINATED"
WORKFLOW_STATUSES: Final = frozenset({RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT, TERMINATED})
WORKFLOW_TERMINAL: Final = frozenset({COMPLETED, FAILED, TIMED_OUT, TERMINATED})


def task_terminal(status: str) -> bool:
    """True when a task in this status will not change any more by itself."""
    return status in TASK_TERMINAL


def task_successful(status: str) -> bool:
    """True for statuses that do not count as a failure."""
    return status in TASK_SUCCESSFUL


def workflow_terminal(status: str) -> bool:
    """True when the workflow has ended."""
    return status in WORKFLOW_TERMINAL
