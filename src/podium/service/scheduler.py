"""Workflow schedules (docs/scheduler.md): saving, reading, pausing, searching and tagging them; firing them is
``service.schedule_fires`` (one transaction per fire, exactly once however many nodes race for it).

The loop that calls ``run_due`` at the right times is ``runtime.scheduler``; it is woken through
``on_change`` when schedules change, here or on another node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from podium.domain import cron
from podium.domain import schedule as sch
from podium.domain.errors import FieldError, NotFound, PodiumError, ValidationFailed
from podium.service import schedule_fires as fires
from podium.service import tags
from podium.service.engine import Engine
from podium.service.schedule_search import parse_query, sort_rows
from podium.service.starting import (
    check_input_limits,
    check_start_request,
)

log = logging.getLogger("podium.scheduler")

SCHEDULE_TAGS = "schedule"
MAX_SEARCH = 1000
# Executions a search looks through (the most recent ones): the record is a log, not an index.
SEARCH_WINDOW = 10_000


class SchedulerService:
    """Schedules' use cases over the engine's store and clock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.clock = engine.clock
        self._listeners: list[Callable[[], None]] = []

    # -- change notification ---------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the caller's thread) whenever a schedule changed here or on another node."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Tell the firing loop that the schedules changed (here, or on another node)."""
        for listener in self._listeners:
            listener()

    # -- reading ---------------------------------------------------------------------------------
    def get(self, name: str) -> dict[str, Any]:
        found = self.store.get_schedule(name)
        if found is None:
            raise NotFound(f"Schedule '{name}' not found")
        return sch.public(*found)

    def all(self, workflow_name: str | None = None) -> list[dict[str, Any]]:
        return [sch.public(s, t) for s, t in self.store.list_schedules(workflow_name or None)]

    def search(
        self,
        workflow_name: str | None,
        schedule_name: str | None,
        paused: bool | None,
        free_text: str | None,
        start: int,
        size: int,
        sort: str | None,
    ) -> dict[str, Any]:
        """``GET /schedules/search`` → SearchResult of schedules."""
        rows = self.all(workflow_name)
        if schedule_name:
            rows = [s for s in rows if schedule_name.lower() in s["name"].lower()]
        if paused is not None:
            rows = [s for s in rows if bool(s.get("paused")) == paused]
        text = (free_text or "").strip().lower()
        if text and text != "*":
            rows = [s for s in rows if text in (s["name"] + " " + str(s.get("description") or "")).lower()]
        rows = sort_rows(rows, sort, "name")
        return {"totalHits": len(rows), "results": rows[start : start + min(size, MAX_SEARCH)]}

    def search_executions(
        self, query: str | None, free_text: str | None, start: int, size: int, sort: str | None
    ) -> dict[str, Any]:
        """``GET /search/executions`` → SearchResult of WorkflowScheduleExecutionModel, the latest first.

        ``query``: clauses joined by AND, each ``field = value`` or ``field IN (a, b)`` over scheduleName,
        workflowName, workflowId, executionId, state; ``freeText`` matches any of those and the reason."""
        clauses = parse_query(query or "")
        names = clauses.get("scheduleName")
        one = next(iter(names)) if names is not None and len(names) == 1 else None
        rows = self.store.recent_schedule_executions(one, SEARCH_WINDOW)
        for field, allowed in clauses.items():
            rows = [r for r in rows if str(r.get(field)) in allowed]
        text = (free_text or "").strip().lower()
        if text and text != "*":
            keys = ("scheduleName", "workflowName", "workflowId", "executionId", "state", "reason")
            rows = [r for r in rows if any(text in str(r.get(k) or "").lower() for k in keys)]
        if sort:
            rows = sort_rows(rows, sort, "scheduledTime")
        return {"totalHits": len(rows), "results": rows[start : start + min(size, MAX_SEARCH)]}

    def next_few(
        self, cron_expression: str, start: int | None, end: int | None, limit: int, zone_id: str | None = None
    ) -> list[int]:
        """``nextFewSchedules``: the next fire times of one expression from ``start`` (default now), in
        ``zone_id`` (UTC by default; the zone is a Podium addition, so a schedule's page can show its own)."""
        if limit < 1 or limit > MAX_SEARCH:
            raise ValidationFailed([FieldError("limit", f"limit must be 1 to {MAX_SEARCH}", limit)])
        try:
            zone = cron.zone(zone_id)
        except cron.CronError as e:
            raise ValidationFailed([FieldError("zoneId", str(e), zone_id)]) from None
        try:
            return sch.next_few(cron_expression, start or self.clock.now(), end or None, limit, zone.key)
        except cron.CronError as e:
            raise ValidationFailed(
                [FieldError("cronExpression", f"Invalid cron expression: {e}", cron_expression)]
            ) from None

    # -- writing ---------------------------------------------------------------------------------
    def save(self, raw: Any, author: str | None) -> dict[str, Any]:
        """``POST /schedules``: create or replace a schedule; its next run is the first fire after now."""
        schedule = sch.check_schedule(raw)
        req = check_start_request(schedule["startWorkflowRequest"])
        check_input_limits(self.engine.limits, req.get("input"))
        if req.get("workflowDef"):
            self.engine.metadata.prepare_workflow_def(req["workflowDef"])  # a 400 now, not a FAILED fire later
        else:
            version = req.get("version")
            if self.engine.metadata.workflow_def(req["name"], version or None) is None:
                suffix = f" version {version}" if version else ""
                raise ValidationFailed(
                    [FieldError("startWorkflowRequest.name", f"Unknown workflow: {req['name']}{suffix}", req["name"])]
                )
        schedule["startWorkflowRequest"] = req
        now = self.clock.now()
        with self.store.transaction():
            old = self.store.get_schedule(schedule["name"])
            before = old[0] if old is not None else {}
            schedule["createTime"] = before.get("createTime") or now
            schedule["createdBy"] = before.get("createdBy") or schedule.get("createdBy") or author
            schedule["updatedTime"] = now
            schedule["updatedBy"] = author or schedule.get("updatedBy") or schedule["createdBy"]
            if not schedule["paused"]:
                schedule.pop("pausedReason", None)
            nxt = sch.next_fire(schedule, now)
            next_run = None if nxt is None else nxt[0]
            self.store.put_schedule(schedule, next_run, now)
        self.changed()
        return sch.public(schedule, next_run)

    def delete(self, name: str) -> None:
        with self.store.transaction():
            if not self.store.delete_schedule(name):
                raise NotFound(f"Schedule '{name}' not found")
            self.store.put_definition_tags(SCHEDULE_TAGS, name, [], self.clock.now())
        self.changed()

    def pause(self, name: str, reason: str | None, author: str | None) -> None:
        self._set_paused(name, True, reason, author)

    def resume(self, name: str, author: str | None) -> None:
        self._set_paused(name, False, None, author)

    def _set_paused(self, name: str, paused: bool, reason: str | None, author: str | None) -> None:
        now = self.clock.now()
        with self.store.transaction():
            found = self.store.get_schedule(name)
            if found is None:
                raise NotFound(f"Schedule '{name}' not found")
            schedule, next_run = found
            self._write_paused(schedule, next_run, paused, reason, author, now)
        self.changed()

    def _write_paused(
        self,
        schedule: dict[str, Any],
        next_run: int | None,
        paused: bool,
        reason: str | None,
        author: str | None,
        now: int,
    ) -> None:
        was_paused = bool(schedule.get("paused"))
        schedule["paused"] = paused
        if paused:
            if reason is not None:
                schedule["pausedReason"] = reason[: sch.MAX_TEXT]
        else:
            schedule.pop("pausedReason", None)
            if was_paused:  # the fires missed while paused are not made up: the next one after now
                nxt = sch.next_fire(schedule, now)
                next_run = None if nxt is None else nxt[0]
        schedule["updatedTime"] = now
        if author:
            schedule["updatedBy"] = author
        self.store.put_schedule(schedule, next_run, now)

    def pause_all(self, paused: bool, author: str | None) -> dict[str, Any]:
        """``/admin/pause|resume``: every schedule; a map naming those changed."""
        now = self.clock.now()
        changed: list[str] = []
        with self.store.transaction():
            for schedule, next_run in self.store.list_schedules():
                if bool(schedule.get("paused")) != paused:
                    self._write_paused(schedule, next_run, paused, None, author, now)
                    changed.append(schedule["name"])
        self.changed()
        return {"paused" if paused else "resumed": changed}

    def bulk(self, names: Any, paused: bool, author: str | None) -> dict[str, Any]:
        """``PUT /bulk/pause|resume``: BulkResponse over the named schedules."""
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValidationFailed([FieldError("body", "must be a list of schedule names", None)])
        ok: list[str] = []
        errors: dict[str, str] = {}
        for name in names:
            try:
                self._set_paused(name, paused, None, author)
                ok.append(name)
            except PodiumError as e:
                errors[name] = e.message
        return {"bulkErrorResults": errors, "bulkSuccessfulResults": ok, "message": "Bulk Request has been processed."}

    def requeue(self) -> dict[str, Any]:
        """``/admin/requeue``: recompute every schedule's next run time from now (a schedule whose fires are
        overdue keeps them) and wake the firing loop."""
        now = self.clock.now()
        count = 0
        with self.store.transaction():
            for schedule, next_run in self.store.list_schedules():
                if next_run is not None and next_run <= now:
                    continue
                nxt = sch.next_fire(schedule, now)
                self.store.put_schedule(schedule, None if nxt is None else nxt[0], now)
                count += 1
        self.changed()
        return {"requeued": count}

    # -- tags (kept like definitions' tags, under the kind "schedule") ------------------------------
    def get_tags(self, name: str) -> list[dict[str, Any]]:
        self.get(name)
        return self.store.get_definition_tags(SCHEDULE_TAGS, name)

    def put_tags(self, name: str, raw: Any) -> None:
        """Replace the schedule's tags (as PUT does for definitions' tags; the SDKs call it "set")."""
        new = tags.parse(raw)
        with self.store.transaction():
            self.get(name)
            self._write_tags(name, new)

    def delete_tags(self, name: str, raw: Any) -> None:
        gone = tags.parse(raw)
        with self.store.transaction():
            self._write_tags(name, tags.without(self.get_tags(name), gone))

    def _write_tags(self, name: str, kept: list[dict[str, Any]]) -> None:
        if len(kept) > tags.MAX_TAGS:
            raise ValidationFailed([FieldError("body", f"at most {tags.MAX_TAGS} tags per schedule", len(kept))])
        self.store.put_definition_tags(SCHEDULE_TAGS, name, kept, self.clock.now())

    def by_tag(self, tag: str | None) -> list[dict[str, Any]]:
        """Schedules with a tag ``key:value`` (or ``key``), for ``GET /schedules/tags?tag=``."""
        key, sep, value = (tag or "").partition(":")
        out = []
        for schedule in self.all():
            for t in self.store.get_definition_tags(SCHEDULE_TAGS, schedule["name"]):
                if t.get("key") == key and (not sep or str(t.get("value")) == value):
                    out.append(schedule)
                    break
        return out

    # -- firing (service.schedule_fires) ------------------------------------------------------------
    def run_due(self, now: int | None = None, limit: int = fires.BATCH) -> int:
        """Make the fires due by ``now`` (default: the clock) of up to ``limit`` schedules; returns how many
        schedules were due (``limit``: call again)."""
        return fires.run_due(self.engine, self.clock.now() if now is None else now, limit)

    def fire(
        self, schedule: dict[str, Any], scheduled_time: int, cron_text: str, advance: tuple[int, int | None]
    ) -> dict[str, Any] | None:
        """``schedule_fires.fire``: one fire time of one schedule, in one transaction."""
        return fires.fire(self.engine, schedule, scheduled_time, cron_text, advance)

    def prune(self, keep_ms: int, limit: int = fires.PRUNE_BATCH) -> int:
        """Delete up to ``limit`` execution records scheduled more than ``keep_ms`` ago (one transaction);
        returns how many. A pruned fire time is long past every schedule's next run: never fired again."""
        with self.store.transaction():
            return self.store.prune_schedule_executions(self.clock.now() - keep_ms, limit)

    def earliest(self) -> int | None:
        """The earliest next run time of the schedules not paused."""
        return self.store.earliest_schedule()
