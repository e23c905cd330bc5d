"""What a server-side system task execution produced."""

from __future__ import annotations

from dataclasses import dataclass

from podium.domain.model import JSON


@dataclass(slots=True)
class SystemTaskResult:
    """The new status, output and (for failures) reason of an executed system task."""

    status: str
    output: JSON
    reason: str | None = None
