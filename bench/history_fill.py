"""Fill a store with many completed workflows fast: clone a real one, straight through the store API.

Run it only while no server uses the database. Each clone gets new workflow and task ids, a start
time spread evenly over the last ``span_days`` days (every timestamp shifted alike), its own
correlation id (``order-<i>``) and input. Everything else — definition snapshot, task records,
outputs — is the template's, so the rows look exactly like the server's own.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, cast

from podium.domain.clock import id_at
from podium.domain.model import Task, Workflow
from podium.service.container import open_store

_WF_TIMES = ("createTime", "startTime", "updateTime", "endTime")
_TASK_TIMES = ("scheduledTime", "startTime", "endTime", "updateTime")


@dataclass(slots=True)
class Filled:
    count: int
    seconds: float
    first_start: int
    last_start: int
    sample_ids: list[str]
    settle_seconds: float = 0.0


def bulk_insert(
    db_url: str, template_id: str, count: int, *, span_days: float = 30.0, batch: int = 2000, now_ms: int | None = None
) -> Filled:
    """Insert ``count`` clones of the completed workflow ``template_id``."""
    store = open_store(db_url)
    t0 = time.monotonic()
    try:
        wf = store.get_workflow(template_id)
        if wf is None:
            raise LookupError(f"template workflow {template_id} not found")
        tasks = store.get_tasks(template_id)
        now = now_ms if now_ms is not None else time.time_ns() // 1_000_000
        span = int(span_days * 86_400_000)
        first = now - span
        base = wf["startTime"]
        samples: list[str] = []
        step = max(1, count // 10)
        i = 0
        while i < count:
            with store.transaction():
                for j in range(i, min(count, i + batch)):
                    start = first + (span * j) // count
                    wid = _clone(store, wf, tasks, j, start - base)
                    if j % step == 0:
                        samples.append(wid)
            i += batch
        # Leave the store as a server that had run all along would: ended workflows indexed for search.
        index = getattr(store, "index_free_text", None)
        while index is not None and index(2000):
            pass
        seconds = time.monotonic() - t0
    finally:
        store.close()
    settled = settle(db_url)
    return Filled(count, seconds, first, first + (span * (count - 1)) // max(1, count), samples, settled)


def settle(db_url: str) -> float:
    """On PostgreSQL, do the upkeep that rows written over ``span_days`` would long have had; its seconds.

    A million rows written at once leave autovacuum a whole table's work (visibility map, statistics,
    the free-text index's pending list) that it starts a minute later, in the middle of the measured
    runs, and its dirty buffers for the next checkpoint to write then. A store that grew at a server's
    pace had that done bit by bit. ``VACUUM (ANALYZE)`` and a ``CHECKPOINT`` (when the role may) do it now.
    """
    if not db_url.startswith(("postgres://", "postgresql://")):
        return 0.0
    import psycopg

    t0 = time.monotonic()
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("VACUUM (ANALYZE) workflows, tasks")
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            c.execute("CHECKPOINT")
    return time.monotonic() - t0


def _clone(store: Any, wf: Workflow, tasks: list[Task], i: int, delta: int) -> str:
    # Ids as the server would have made them when the clone started (time-ordered, see new_id).
    at = wf["startTime"] + delta
    wid = id_at(at)
    w: dict[str, Any] = dict(wf)
    w["workflowId"] = wid
    w["correlationId"] = f"order-{i}"
    w["input"] = {"x": i, "customer": f"c{i % 97}", "note": "history"}
    for k in _WF_TIMES:
        if w.get(k):
            w[k] += delta
    copies: list[Task] = []
    for t in tasks:
        c: dict[str, Any] = dict(t)
        c["taskId"] = id_at(at)
        c["workflowInstanceId"] = wid
        c["correlationId"] = w["correlationId"]
        for k in _TASK_TIMES:
            if c.get(k):
                c[k] += delta
        copies.append(cast(Task, c))
    store.insert_workflow(cast(Workflow, w), None)
    store.upsert_tasks(copies)
    return wid


def main(argv: list[str]) -> None:
    """`python -m bench.history_fill DB_URL TEMPLATE_ID COUNT [SPAN_DAYS]` → one JSON line (run with the
    server's code)."""
    import json

    filled = bulk_insert(argv[0], argv[1], int(argv[2]), span_days=float(argv[3]) if len(argv) > 3 else 30.0)
    print(
        json.dumps(
            {
                "count": filled.count,
                "seconds": filled.seconds,
                "first_start": filled.first_start,
                "last_start": filled.last_start,
                "sample_ids": filled.sample_ids,
                "settle_seconds": filled.settle_seconds,
            }
        )
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
