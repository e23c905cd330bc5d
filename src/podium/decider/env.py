"""What the decider may ask of the world: definitions, ids, evaluators. No I/O behind it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.domain.model import TaskDef


@dataclass(slots=True)
class DeciderEnv:
    """Injected collaborators of one decide pass.

    ``task_def`` returns the registered definition (or None); ``new_id`` makes task ids;
    ``domain_active`` tells whether a worker polled ``domain:taskType`` recently
    (docs/workers.md#domains-and-environment-settings);
    ``js`` and ``jq`` evaluate scripts for the operators that need them.
    ``polls_move_checks``: every poll moves its workflow's next check to the response deadline itself
    (the in-process test kit), so a SCHEDULED task's response timeout is not counted ahead of the poll
    (docs/architecture.md#next-checks); a kit that skips time then takes no idle decide per response
    timeout of a task nobody serves.
    """

    task_def: Callable[[str], TaskDef | None]
    new_id: Callable[[], str]
    domain_active: Callable[[str, str], bool] = lambda _type, _domain: False
    js: Callable[[str, Mapping[str, Any]], Any] | None = None
    jq: Callable[[str, Any], list[Any]] | None = None
    random: Callable[[], float] = lambda: 0.0
    env_vars: Mapping[str, str] = field(default_factory=dict)
    decider_check_ms: int = 30_000
    limits: Limits = DEFAULT_LIMITS
    polls_move_checks: bool = False
