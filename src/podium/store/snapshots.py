"""In-memory cache of content-addressed workflow definition snapshots.

Executions share one decoded definition object per snapshot, so the decider's graph cache hits and
a workflow load does not decode its definition again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any, cast

import orjson

from podium.domain.model import Workflow, WorkflowDef
from podium.store.rows import workflow_body


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


class SnapshotRows:
    """Workflow rows stored apart from their definition snapshot (both stores): the codec of a row."""

    snapshots: SnapshotCache

    def _exec(self, name: str, args: Sequence[Any] = ()) -> object:
        raise NotImplementedError

    def _one(self, name: str, args: Sequence[Any]) -> Any:
        raise NotImplementedError

    def _split(self, wf: Workflow) -> tuple[str, bytes]:
        """Store the definition snapshot once; return its hash and the workflow body without it."""
        wd = wf["workflowDefinition"]
        def_hash = self.snapshots.hash_of(wd)
        if def_hash is None:
            raw = orjson.dumps(wd, option=orjson.OPT_SORT_KEYS)
            def_hash = self.snapshots.remember(wd, raw)
            self._exec("put_snapshot", (def_hash, raw))
        return def_hash, workflow_body(wf)

    def _join(self, def_hash: str, raw: str | bytes) -> Workflow:
        """A stored workflow body with its (shared, decoded once) definition snapshot attached."""
        wf = cast(Workflow, orjson.loads(raw))
        wd = self.snapshots.get(def_hash)
        if wd is None:
            wd = self.snapshots.load(def_hash, self._one("get_snapshot", (def_hash,)))
        wf["workflowDefinition"] = wd
        return wf
