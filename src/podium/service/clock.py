"""Time and identity sources, injected so tests control them."""

from __future__ import annotations

import time
import uuid
from typing import Protocol


class Clock(Protocol):
    """Milliseconds since the epoch."""

    def now(self) -> int: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to (tests, the in-process test kit)."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.t = start

    def now(self) -> int:
        return self.t

    def advance(self, ms: int) -> None:
        self.t += ms


def new_id() -> str:
    """A random UUID string, as Conductor uses for workflow and task ids."""
    return str(uuid.uuid4())
