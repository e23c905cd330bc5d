"""In-memory cache of content-addressed workflow definition snapshots.

Executions share one decoded definition object per snapshot, so the decider's graph cache hits and
a workflow load does not decode its definition again.
"""

from __future__ import annotations

import hashlib
import threading
from typing import cast

import orjson

from podium.domain.model import WorkflowDef


class SnapshotCache:
    """hash → definition, and definition object → hash."""

    def __init__(self, limit: int = 10_000) -> None:
        self._by_hash: dict[str, WorkflowDef] = {}
        self._by_id: dict[int, tuple[WorkflowDef, str]] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def hash_of(self, wd: WorkflowDef) -> str | None:
        hit = self._by_id.get(id(wd))
        if hit is not None and hit[0] is wd:
            return hit[1]
        return None

    def remember(self, wd: WorkflowDef, raw: bytes) -> str:
        """Hash the serialized definition and keep the object for later loads."""
        h = hashlib.blake2b(raw, digest_size=16).hexdigest()
        self._put(h, wd)
        return h

    def get(self, def_hash: str) -> WorkflowDef | None:
        return self._by_hash.get(def_hash)

    def load(self, def_hash: str, raw: str | bytes | None) -> WorkflowDef:
        """Decode a stored snapshot and keep it."""
        wd = cast(WorkflowDef, orjson.loads(raw)) if raw is not None else cast(WorkflowDef, {})
        self._put(def_hash, wd)
        return wd

    def _put(self, h: str, wd: WorkflowDef) -> None:
        with self._lock:
            if len(self._by_hash) >= self._limit:
                self._by_hash.clear()
                self._by_id.clear()
            existing = self._by_hash.get(h)
            if existing is not None:
                self._by_id[id(wd)] = (wd, h)
                return
            self._by_hash[h] = wd
            self._by_id[id(wd)] = (wd, h)
