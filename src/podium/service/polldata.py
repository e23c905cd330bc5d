"""Last poll per queue and domain, kept in memory and written to the store in batches."""

from __future__ import annotations

import threading

from podium.domain.model import PollData
from podium.store.protocols import Store

# A domain counts as active when a worker polled it within this window (Conductor's
# activeWorkerLastPollTimeout; docs/workers.md#domains-and-environment-settings).
ACTIVE_WORKER_LAST_POLL_MS = 10_000


class PollDataTracker:
    """Records every poll (including empty ones) without a database write per poll."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rows: dict[tuple[str, str], PollData] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        for row in store.list_poll_data():
            self._rows[(row["queueName"], row.get("domain", ""))] = row

    def record(self, task_type: str, domain: str | None, worker_id: str | None, now: int) -> None:
        key = (task_type, domain or "")
        row: PollData = {"queueName": task_type, "workerId": worker_id or "", "lastPollTime": now}
        if domain:
            row["domain"] = domain
        with self._lock:
            self._rows[key] = row
            self._dirty.add(key)

    def active(self, task_type: str, domain: str, now: int) -> bool:
        row = self._rows.get((task_type, domain))
        return row is not None and now - row["lastPollTime"] <= ACTIVE_WORKER_LAST_POLL_MS

    def for_type(self, task_type: str) -> list[PollData]:
        return [r for (q, _d), r in sorted(self._rows.items()) if q == task_type]

    def all(self) -> list[PollData]:
        return [r for _k, r in sorted(self._rows.items())]

    def flush(self) -> None:
        """Persist rows changed since the last flush."""
        with self._lock:
            if not self._dirty:
                return
            rows = [self._rows[k] for k in self._dirty]
            self._dirty.clear()
        with self.store.transaction():
            self.store.put_poll_data(rows)
