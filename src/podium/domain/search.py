"""A parsed search over executions: a plain value every layer may build or read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SearchQuery:
    """A parsed workflow or task search (Conductor's search endpoints)."""

    start: int = 0
    size: int = 100
    clauses: list[tuple[str, str, Any]] = field(default_factory=list)  # (field, op, value)
    free_text: str = "*"
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
