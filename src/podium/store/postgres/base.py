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
from podium.store.search_sql import search_tasks_sql, search_workflows_sql
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
    def search_workflows(self, q: SearchQuery) -> tuple[int, list[Workflow]]:
        count_sql, rows_sql, args = search_workflows_sql(q, "postgres")
        total = self._c.fetch(count_sql, args)[0][0]
        rows = self._c.fetch(rows_sql, [*args, q.size, q.start])
        return int(total), [self._join(r[0], r[1]) for r in rows]

    def search_tasks(self, q: SearchQuery) -> tuple[int, list[Task]]:
        count_sql, rows_sql, args = search_tasks_sql(q, "postgres")
        total = self._c.fetch(count_sql, args)[0][0]
        rows = self._c.fetch(rows_sql, [*args, q.size, q.start])
        return int(total), [cast(Task, _loads(r[0])) for r in rows]

    # -- event queue and event executions -------------------------------------------------
    def event_peek(self, limit: int, now: int) -> list[tuple[int, str, str, str]]:
        """Take (lease) the oldest messages no other node holds; an ack deletes, a crash lets the lease end."""
        rows = self._all("event_claim", (now + EVENT_LEASE_MS, now, limit))
        return sorted((int(r[0]), r[1], r[2], r[3]) for r in rows)
