"""What a task function may raise or return besides its output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class TaskError(Exception):
    """Fail the task with this message as ``reasonForIncompletion`` and, optionally, some output.

    ``non_retryable=True`` reports FAILED_WITH_TERMINAL_ERROR: the server will not retry the task.
    Any exception works for failing a task; this one adds output and the retry flag.
    """

    def __init__(self, message: str = "", *, output: Mapping[str, Any] | None = None, non_retryable: bool = False):
        super().__init__(message)
        self.output = output
        self.non_retryable = non_retryable


class NonRetryableError(TaskError):
    """A failure that retrying cannot fix: the task ends FAILED_WITH_TERMINAL_ERROR."""

    def __init__(self, message: str = "", *, output: Mapping[str, Any] | None = None):
        super().__init__(message, output=output, non_retryable=True)


class InputError(NonRetryableError):
    """The task's inputData does not fit the function's parameters."""


@dataclass(slots=True, frozen=True)
class InProgress:
    """Return this to report IN_PROGRESS: the server hands the task out again after
    ``callback_after_seconds`` (with ``pollCount`` incremented and this ``output`` kept).
    Use it to split long work into steps, or to wait for something outside the worker."""

    callback_after_seconds: int = 0
    output: Mapping[str, Any] = field(default_factory=dict)
