"""Retention: ended workflows older than their definition's retention are removed, with all they own.

The age comes from the server setting ``PODIUM_RETENTION`` (``Settings.retention_seconds``; 0 keeps
workflows for ever) unless the latest version of a workflow's definition says otherwise in its
``metadata`` (Conductor's free-form map on a WorkflowDef): ``"metadata": {"retention": "7d"}`` (a
duration, or a number of seconds; ``"forever"`` or ``0`` keeps that definition's workflows for ever).

A workflow goes with its tasks, their queue messages and logs, its free-text entry, its idempotency
keys, decide-failure and event-chain rows, and the external payloads its records name. Records go in
one unit per batch; payloads go only once that unit is durable (a crash in between leaves unreferenced
payloads, never a record naming a missing one).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Final

from podium.domain import statuses as st
from podium.domain.durations import parse_duration
from podium.domain.model import Workflow, WorkflowDef
from podium.domain.payloads import EXTERNAL_INPUT, EXTERNAL_OUTPUT
from podium.domain.queues import task_queue
from podium.service.durability import CommitBarrier
from podium.service.engine import Engine

#: The key of a workflow definition's ``metadata`` that overrides the server's retention.
METADATA_KEY: Final = "retention"
#: The most a dry run lists (and counts: "at least this many").
PREVIEW_CAP: Final = 10_000


def retention_of(value: Any) -> int | None:
    """Seconds from a definition's ``metadata.retention``: a duration string, a number of seconds, or
    ``forever``/``0`` (0: kept for ever); None when it is missing or unreadable (the server's setting
    applies)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return max(0, int(value))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("forever", "never", "0", "off"):
            return 0
        if text.isdigit():
            return int(text)
        try:
            return parse_duration(text)
        except ValueError:
            return None
    return None


@dataclass(slots=True)
class Rules:
    """How long ended workflows are kept: ``default_s`` for every name but those in ``by_name`` (0: for ever)."""

    default_s: int
    by_name: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # every defined workflow name

    @classmethod
    def of(cls, definitions: list[WorkflowDef], default_s: int) -> Rules:
        """Rules from the latest version of each definition's ``metadata.retention``."""
        latest: dict[str, WorkflowDef] = {}
        for wd in definitions:
            seen = latest.get(wd["name"])
            if seen is None or wd.get("version", 1) > seen.get("version", 1):
                latest[wd["name"]] = wd
        by_name: dict[str, int] = {}
        for name, wd in latest.items():
            meta = wd.get("metadata")
            if isinstance(meta, dict):
                seconds = retention_of(meta.get(METADATA_KEY))
                if seconds is not None:
                    by_name[name] = seconds
        return cls(default_s, by_name, sorted(latest))

    @property
    def active(self) -> bool:
        return self.default_s > 0 or any(s > 0 for s in self.by_name.values())


def payload_paths(wf: Workflow, tasks: list[Any]) -> list[str]:
    """The external payload paths a workflow's records name."""
    out: list[str] = []
    for rec in (wf, *tasks):
        for key in (EXTERNAL_INPUT, EXTERNAL_OUTPUT):
            path = rec.get(key)
            if isinstance(path, str) and path:
                out.append(path)
    return out


@dataclass(slots=True)
class Purged:
    """What one batch removed: the workflow ids, and the payload paths to forget once it is durable."""

    workflow_ids: list[str] = field(default_factory=list)
    payload_paths: list[str] = field(default_factory=list)


class RetentionService:
    """Finds expired workflows and removes them in small batches."""

    def __init__(self, engine: Engine, default_s: int, batch: int) -> None:
        self.engine = engine
        self.store = engine.store
        self.default_s = default_s
        self.batch = max(1, batch)

    def rules(self) -> Rules:
        return Rules.of(self.store.list_workflow_defs(), self.default_s)

    def expired(self, limit: int, rules: Rules | None = None, orphans: bool = True) -> list[str]:
        """Up to ``limit`` ids of workflows past their retention.

        Name by name for the defined workflows (the name index: each costs what it finds); with
        ``orphans``, also the workflows of names no longer defined (the server's retention), a query
        that walks the status index past every old workflow a longer retention keeps, so batches ask
        for it only once the defined names have nothing left (``run_batches``)."""
        rules = rules or self.rules()
        now = self.engine.clock.now()
        out: list[str] = []
        for name in rules.names:
            seconds = rules.by_name.get(name, rules.default_s)
            if seconds > 0 and len(out) < limit:
                out += self.store.expired_workflows(now - seconds * 1000, limit - len(out), name=name)
        if orphans and rules.default_s > 0 and len(out) < limit:
            before = now - rules.default_s * 1000
            out += self.store.expired_workflows(before, limit - len(out), skip_names=rules.names)
        return out

    def preview(self, examples: int = 10) -> dict[str, Any]:
        """What a pass would remove now: how many (up to ``PREVIEW_CAP``, then ``capped``) and a few of them."""
        rules = self.rules()
        ids = self.expired(PREVIEW_CAP, rules)
        shown: list[dict[str, Any]] = []
        for wid in ids[:examples]:
            wf = self.store.get_workflow(wid)
            if wf is not None:
                shown.append(
                    {
                        "workflowId": wid,
                        "workflowName": wf.get("workflowName"),
                        "status": wf.get("status"),
                        "endTime": wf.get("endTime"),
                    }
                )
        return {
            "count": len(ids),
            "capped": len(ids) >= PREVIEW_CAP,
            "defaultRetentionSeconds": rules.default_s,
            "retentionByName": rules.by_name,
            "examples": shown,
        }

    def purge_batch(self, rules: Rules | None = None, orphans: bool = True) -> Purged:
        """Remove one batch of expired workflows in one unit; returns what went (empty: nothing left)."""
        done = Purged()
        with self.engine.unit() as unit:
            store = unit.store
            # Found inside the unit: on PostgreSQL the rows stay locked until it ends (other nodes skip them).
            for wid in self.expired(self.batch, rules, orphans):
                wf = store.get_workflow(wid)
                if wf is None or not st.workflow_terminal(wf["status"]):
                    continue  # removed or re-opened meanwhile
                tasks = store.get_tasks(wid)
                for t in tasks:
                    store.queue_remove(task_queue(t), t["taskId"])
                store.delete_task_logs([t["taskId"] for t in tasks])
                store.delete_workflow_tasks(wid)
                store.delete_workflow(wid)
                done.workflow_ids.append(wid)
                done.payload_paths += payload_paths(wf, tasks)
        return done

    def forget_payloads(self, paths: list[str]) -> None:
        """Delete payloads of removed records (call once their removal is durable)."""
        store = self.engine.payloads.store
        for path in paths:
            store.delete(path)


async def run_batches(
    service: RetentionService, barrier: CommitBarrier | None, max_batches: int, pause_s: float, share: float = 0.2
) -> list[str]:
    """Remove expired workflows batch by batch; stops when none are left or after ``max_batches``.

    A batch holds the event loop while its unit runs (~0.3 ms a workflow on SQLite); after each, the
    loop is left to requests for at least ``pause_s`` and long enough that retention takes at most
    ``share`` of the loop's time, so a backlog drains beside the hot path without stalling it.
    Returns the removed ids."""
    removed: list[str] = []
    rules = service.rules()
    if not rules.active:
        return removed
    orphans = False
    for _ in range(max_batches):
        started = time.perf_counter()
        done = service.purge_batch(rules, orphans)
        held = time.perf_counter() - started
        if not done.workflow_ids:
            if orphans:
                break
            orphans = True  # the defined names are done: once more for names no longer defined
            continue
        removed += done.workflow_ids
        if done.payload_paths:
            if barrier is not None:
                await barrier.wait()  # the records naming them are gone for good first
            await asyncio.to_thread(service.forget_payloads, done.payload_paths)
        await asyncio.sleep(max(pause_s, held * (1 - share) / share))
    return removed
