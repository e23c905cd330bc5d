"""Shared plumbing of the PostgreSQL store, and its records that need nothing multi-node.

Poll data, logs, event handlers, event messages, executions' definition snapshots and search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import orjson

from podium.domain.model import EventHandler, Task, Workflow
from podium.domain.search import SearchQuery
from podium.store.postgres.connector import Connector
from podium.store.postgres.queries import Q
from podium.store.rows import Params
from podium.store.search_sql import EXACT_TOTAL_CAP, capped_count_sql, search_tasks_sql, search_workflows_sql
from podium.store.shared_records import SharedRecords
from podium.store.snapshots import SnapshotCache

_dumps = orjson.dumps
_loads = orjson.loads
# An event message taken by a node is not offered to another node for this long.
EVENT_LEASE_MS = 30_000


class PgRecords(SharedRecords):
    """Statement helpers over a ``Connector`` plus the single-node record kinds."""

    _c: Connector
    snapshots: SnapshotCache
    # Searches count their matches exactly up to this many, and estimate larger totals (search_sql).
    exact_total_cap: int = EXACT_TOTAL_CAP

    def _one(self, name: str, args: Params) -> Any:
        rows = self._c.fetch(Q[name], args)
        return rows[0][0] if rows else None

    def _all(self, name: str, args: Params = ()) -> list[Any]:
        return self._c.fetch(Q[name], args)

    def _exec(self, name: str, args: Params = ()) -> None:
        self._c.run(Q[name], args)

    def _many(self, name: str, rows: Sequence[Params]) -> None:
        self._c.run_many(Q[name], rows)

    # -- poll data, logs ------------------------------------------------------------------

    # -- events ---------------------------------------------------------------------------
    def put_event_handler(self, eh: EventHandler) -> None:
        self._exec("put_event_handler", (eh["name"], eh["event"], bool(eh.get("active", False)), _dumps(eh)))

    def delete_event_handler(self, name: str) -> bool:
        return bool(self._all("delete_event_handler", (name,)))

    # -- search ---------------------------------------------------------------------------
    def _search(self, count_sql: str, rows_sql: str, args: list[Any], q: SearchQuery) -> tuple[int, list[Any]]:
        """The page first; the count only when the page does not already tell the total, and exact only up
        to ``exact_total_cap`` matches (past it, the planner's estimate, never below what was counted)."""
        rows = self._c.fetch(rows_sql, [*args, q.size, q.start])
        if len(rows) < q.size and (rows or q.start == 0):
            return q.start + len(rows), rows
        capped, explain = capped_count_sql(count_sql, self.exact_total_cap)
        counted = int(self._c.fetch(capped, args)[0][0])
        if counted <= self.exact_total_cap:
            return counted, rows
        plan = self._c.fetch(explain, args)[0][0]
        plan = _loads(plan) if isinstance(plan, str | bytes) else plan
        return max(counted, q.start + len(rows), int(plan[0]["Plan"]["Plan Rows"])), rows

    def search_workflows(self, q: SearchQuery) -> tuple[int, list[Workflow]]:
        total, rows = self._search(*search_workflows_sql(q, "postgres"), q)
        return total, [self._join(r[0], r[1]) for r in rows]

    def search_tasks(self, q: SearchQuery) -> tuple[int, list[Task]]:
        total, rows = self._search(*search_tasks_sql(q, "postgres"), q)
        return total, [cast(Task, _loads(r[0])) for r in rows]

    # -- event queue and event executions -------------------------------------------------
    def event_peek(self, limit: int, now: int) -> list[tuple[int, str, str, str]]:
        """Take (lease) the oldest messages no other node holds; an ack deletes, a crash lets the lease end."""
        rows = self._all("event_claim", (now + EVENT_LEASE_MS, now, limit))
        return sorted((int(r[0]), r[1], r[2], r[3]) for r in rows)
