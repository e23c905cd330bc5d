"""The query parameters every search endpoint shares (Conductor's start, size, sort, freeText,
query), parsed once as a dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import Query

from podium.domain.search import SearchQuery
from podium.service import search

# Integer parameters are 64-bit at most: larger ones are a 400, not an overflow deep in the store.
I64_MIN: Final = -(2**63)
I64_MAX: Final = 2**63 - 1


@dataclass(slots=True)
class SearchParams:
    """start, size, sort, freeText, query (and topLevelOnly for workflow searches)."""

    start: int
    size: int
    sort: str | None
    free_text: str
    query: str | None
    top_level_only: bool = False

    def workflows(self) -> SearchQuery:
        return search.parse_search(
            self.start, self.size, self.sort, self.free_text, self.query, top_level_only=self.top_level_only
        )

    def tasks(self) -> SearchQuery:
        return search.parse_search(self.start, self.size, self.sort, self.free_text, self.query, tasks=True)


def search_params(
    start: int = Query(0, ge=I64_MIN, le=I64_MAX),
    size: int = Query(100, ge=I64_MIN, le=I64_MAX),
    sort: str | None = Query(None),
    freeText: str = Query("*"),
    query: str | None = Query(None),
) -> SearchParams:
    """Dependency for searches over tasks."""
    return SearchParams(start, size, sort, freeText, query)


def workflow_search_params(
    start: int = Query(0, ge=I64_MIN, le=I64_MAX),
    size: int = Query(100, ge=I64_MIN, le=I64_MAX),
    sort: str | None = Query(None),
    freeText: str = Query("*"),
    query: str | None = Query(None),
    topLevelOnly: bool = Query(False),
) -> SearchParams:
    """Dependency for searches over workflows."""
    return SearchParams(start, size, sort, freeText, query, topLevelOnly)
