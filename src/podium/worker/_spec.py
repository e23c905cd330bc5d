"""The ``@worker_task`` decorator and the description of one worker (WorkerTask)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar, cast, overload

from podium.worker._binding import Binder

F = TypeVar("F", bound=Callable[..., Any])
Executor = Literal["thread", "process"]
ATTR = "__podium_worker__"


@dataclass(slots=True)
class WorkerTask:
    """One task type served by one function, and how to serve it.

    ``concurrency`` is the number of tasks of this type run at once (threads for sync functions,
    asyncio tasks for ``async def``, worker processes with ``executor="process"``);
    ``non_retryable`` lists exception types that end the task FAILED_WITH_TERMINAL_ERROR;
    ``lease_extend`` makes the runner extend the lease while the function runs (tasks whose
    definition has a ``responseTimeoutSeconds``); ``paused`` starts the worker paused.
    """

    name: str
    fn: Callable[..., Any]
    domain: str | None = None
    concurrency: int = 1
    poll_timeout_ms: int | None = None
    non_retryable: tuple[type[BaseException], ...] = ()
    lease_extend: bool = False
    executor: Executor = "thread"
    paused: bool = False
    binder: Binder = field(init=False, repr=False, compare=False)
    is_async: bool = field(init=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a worker task needs a non-empty name")
        if self.concurrency < 1:
            raise ValueError(f"concurrency of {self.name} must be >= 1")
        if self.executor not in ("thread", "process"):
            raise ValueError(f"executor of {self.name} must be 'thread' or 'process'")
        self.binder = Binder(self.fn)
        self.is_async = inspect.iscoroutinefunction(self.fn)

    def with_options(self, **changes: Any) -> WorkerTask:
        """A copy with some options changed."""
        return replace(self, **changes)


@overload
def worker_task(fn: F, /) -> F: ...


@overload
def worker_task(
    name: str | None = None,
    *,
    domain: str | None = None,
    concurrency: int = 1,
    poll_timeout_ms: int | None = None,
    non_retryable: tuple[type[BaseException], ...] = (),
    lease_extend: bool = False,
    executor: Executor = "thread",
    paused: bool = False,
) -> Callable[[F], F]: ...


def worker_task(
    name: Any = None,
    *,
    domain: str | None = None,
    concurrency: int = 1,
    poll_timeout_ms: int | None = None,
    non_retryable: tuple[type[BaseException], ...] = (),
    lease_extend: bool = False,
    executor: Executor = "thread",
    paused: bool = False,
) -> Any:
    """Mark a function (sync or ``async``) as the worker of a task type.

    ``@worker_task`` alone uses the function's name as the task type; ``@worker_task("charge")``
    names it. The function stays callable as before; the runner and the test kit read the options.
    """

    def deco(fn: F) -> F:
        task_name = name if isinstance(name, str) and name else fn.__name__
        spec = WorkerTask(
            task_name,
            fn,
            domain=domain,
            concurrency=concurrency,
            poll_timeout_ms=poll_timeout_ms,
            non_retryable=tuple(non_retryable),
            lease_extend=lease_extend,
            executor=executor,
            paused=paused,
        )
        setattr(fn, ATTR, spec)
        return fn

    if callable(name):
        fn, name = name, None
        return deco(fn)
    return deco


def as_worker(obj: object) -> WorkerTask:
    """The WorkerTask of a decorated function; a plain function serves the task named after it.

    Accepts ``object`` because mypy types a list of differently-shaped functions as
    ``list[function]``, which it will not match against ``Callable``; non-callables raise TypeError.
    """
    if isinstance(obj, WorkerTask):
        return obj
    spec = getattr(obj, ATTR, None)
    if isinstance(spec, WorkerTask):
        return spec
    if not callable(obj):
        raise TypeError(f"not a worker function: {obj!r}")
    return WorkerTask(getattr(obj, "__name__", "task"), cast(Callable[..., Any], obj))


def collect(module: Any) -> list[WorkerTask]:
    """Every ``@worker_task`` function defined in a module, in definition order."""
    found: list[WorkerTask] = []
    for value in vars(module).values():
        spec = getattr(value, ATTR, None)
        if isinstance(spec, WorkerTask) and getattr(value, "__module__", None) == module.__name__:
            found.append(spec)
    return found
