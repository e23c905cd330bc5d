"""SQLite search: paged execution searches, and free text through the trigram index of ended workflows."""

from __future__ import annotations

from typing import Any, cast

import orjson

from podium.domain.model import Task, Workflow
from podium.domain.search import SearchQuery
from podium.store.search_sql import (
    free_text_terms,
    search_tasks_sql,
    search_workflows_sql,
    text_index_query,
)
from podium.store.sqlite.connection import Q, SqliteConnection

# Free text goes through the trigram index only while its candidates (queued workflows plus index hits,
# counted up to a cap) stay under a third of the table: past that, reading every body in order is cheaper
# than fetching the candidates one rowid at a time (right after the upgrade or a bulk load, while most
# workflows wait for indexing, or for a term found in most bodies).
_PROBE_MIN = 10_000


class SqliteSearch(SqliteConnection):
    """Execution search over the SQLite store (Conductor's workflow and task search)."""

    def _search(self, count_sql: str, rows_sql: str, args: list[Any], q: SearchQuery) -> tuple[int, list[Any]]:
        """The page first; the count only when the page does not already tell the total."""
        with self._lock:
            rows = self._conn.execute(rows_sql, [*args, q.size, q.start]).fetchall()
            if len(rows) < q.size and (rows or q.start == 0):
                return q.start + len(rows), rows
            total = self._conn.execute(count_sql, args).fetchone()[0]
        return int(total), rows

    def search_workflows(self, q: SearchQuery) -> tuple[int, list[Workflow]]:
        match = text_index_query(free_text_terms(q.free_text)) if q.free_text else None
        text_index = match is not None and self._few_text_candidates(match)
        total, rows = self._search(*search_workflows_sql(q, "sqlite", text_index=text_index), q)
        return total, [self._join(r[0], r[1]) for r in rows]

    def _few_text_candidates(self, match: str) -> bool:
        """Whether the trigram index narrows free text ``match`` enough to beat a scan of every body."""
        with self._lock:
            top = self._conn.execute(Q["max_workflow_rowid"]).fetchone()[0] or 0
            cap = max(_PROBE_MIN, top // 3)
            found = self._conn.execute(Q["free_text_candidates"], {"cap": cap, "match": match}).fetchone()[0]
        return int(found) < cap

    def search_tasks(self, q: SearchQuery) -> tuple[int, list[Task]]:
        total, rows = self._search(*search_tasks_sql(q, "sqlite"), q)
        return total, [cast(Task, orjson.loads(r[0])) for r in rows]

    def index_free_text(self, limit: int) -> int:
        """Index up to ``limit`` queued terminal workflows for free-text search; returns how many it indexed.

        The queue (``workflow_text_pending``) is filled by ``insert_workflow``/``update_workflow`` whenever
        a workflow is written in a terminal status; entries of workflows since re-opened or deleted are
        dropped without indexing.
        One short transaction; a call costs about as much as the bodies it indexes.
        """
        if limit <= 0:
            return 0
        with self._lock:
            c = self._conn
            last = c.execute(Q["free_text_last_queued"], (limit,)).fetchone()[0]
            if last is None:
                return 0  # nothing queued: no transaction at all
            with self.transaction():
                indexed = c.execute(Q["free_text_index_queued"], (last,)).rowcount
                c.execute(Q["free_text_dequeue"], (last,))
        return max(0, indexed)
