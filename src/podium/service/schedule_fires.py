"""Firing schedules (issue #15): one fire time of one schedule starts its workflow and records the execution
in ONE transaction, after claiming the unique (schedule name, scheduled time) row — however many nodes race
for a fire, and whatever restarts happen around it, each fire time yields one workflow.

``run_due`` is what the firing loop (``runtime.scheduler``) calls when the earliest next run time has come.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from podium.domain import schedule as sch
from podium.domain.errors import BackendUnavailable, PodiumError
from podium.service.engine import Engine
from podium.service.starting import check_start_request, claim_idempotency_key, new_workflow, resolve_definition

log = logging.getLogger("podium.scheduler")

# Schedules whose due fires one ``run_due`` call makes.
BATCH = 100
STACK_TRACE_CHARS = 4000
PRUNE_BATCH = 1000
# A schedule whose fire could not even be attempted is looked at again this much later.
RETRY_BROKEN_MS = 60_000


# -- firing ----------------------------------------------------------------------------------
def run_due(engine: Engine, now: int, limit: int = BATCH) -> int:
    """Make the fires due by ``now`` of up to ``limit`` schedules; returns how many schedules were due
    (``limit``: call again)."""
    due = engine.store.due_schedules(now, limit)
    for schedule, next_run in due:
        try:
            fire_due(engine, schedule, next_run, now)
        except BackendUnavailable:
            raise
        except Exception:
            # Not a failed start (``fire`` records those): a schedule that cannot be worked out. Look
            # again in a while rather than at once, over and over.
            log.exception("schedule %s: firing failed", schedule.get("name"))
            with engine.store.transaction():
                engine.store.advance_schedule(schedule["name"], next_run, now + RETRY_BROKEN_MS)
    return len(due)


def fire_due(engine: Engine, schedule: dict[str, Any], next_run: int, now: int) -> None:
    """Make a due schedule's fire and move its next run on.

    With ``runCatchupScheduleInstances`` the stored next run time is fired, even long after it; the
    loop comes back at once for the next missed one, in order. Without, only the latest fire time
    that has passed is fired, and the next run is the first one after now."""
    name = schedule["name"]
    if schedule.get("runCatchupScheduleInstances"):
        oldest = catch_up_from(schedule, next_run, now, engine.limits.schedule_catch_up_fires)
        at = sch.latest_fire(schedule, oldest, oldest)
    else:
        at = sch.latest_fire(schedule, next_run, now)
    if at is None:  # the expression changed under us: just move on
        nxt = sch.next_fire(schedule, now)
        with engine.store.transaction():
            engine.store.advance_schedule(name, next_run, None if nxt is None else nxt[0])
        return
    scheduled_time, cron_text = at
    nxt = sch.next_fire(schedule, scheduled_time)
    new_next = None if nxt is None else nxt[0]
    fire(engine, schedule, scheduled_time, cron_text, advance=(next_run, new_next))


def catch_up_from(schedule: dict[str, Any], next_run: int, now: int, most: int) -> int:
    """The oldest missed fire time to replay: ``next_run``, unless that is more than about ``most`` of the
    schedule's intervals ago (a schedule every second after a week down would start 604,800 workflows);
    then the fire time about ``most`` intervals before now, the older ones skipped."""
    after = sch.next_fire(schedule, next_run)
    if after is None or after[0] > now:
        return next_run  # at most one fire behind
    window = max(after[0] - next_run, 1) * most
    if now - next_run <= window:
        return next_run
    oldest = sch.latest_fire(schedule, next_run, now - window)
    if oldest is None:
        return next_run
    log.warning(
        "schedule %s: %d s behind; catch-up replays about %d fires, from %d (older missed fires skipped)",
        schedule["name"], (now - next_run) // 1000, most, oldest[0],
    )  # fmt: skip
    return oldest[0]


def fire(
    engine: Engine, schedule: dict[str, Any], scheduled_time: int, cron_text: str, advance: tuple[int, int | None]
) -> dict[str, Any] | None:
    """Start the schedule's workflow for one fire time, record the execution and move the schedule's
    next run time from ``advance[0]`` to ``advance[1]`` — one transaction. Returns the execution, or
    None when this fire time was recorded already (by another node, or before a restart)."""
    now = engine.clock.now()
    execution_id = engine.new_id()
    raw_req = dict(schedule.get("startWorkflowRequest") or {})
    execution: dict[str, Any] = {
        "executionId": execution_id,
        "scheduleName": schedule["name"],
        "scheduledTime": scheduled_time,
        "executionTime": now,
        "workflowName": raw_req.get("name"),
        "startWorkflowRequest": raw_req,
        "state": sch.EXECUTED,
        "zoneId": schedule.get("zoneId") or sch.DEFAULT_ZONE,
    }
    raw_req["input"] = {
        **(raw_req.get("input") or {}),
        sch.STARTED_BY: schedule["name"],
        sch.SCHEDULED_TIME: scheduled_time,
        sch.EXECUTED_TIME: now,
        sch.EXECUTION_ID: execution_id,
        sch.SCHEDULER_CRON: cron_text,
    }
    try:
        req = check_start_request(raw_req)
        wd = resolve_definition(engine, req)
        workflow_id = engine.new_id()
        execution["workflowId"] = workflow_id
        execution["workflowName"] = wd["name"]
        with engine.unit() as unit:
            # The claim first: a node that loses it waits here for the winner's commit, then does nothing.
            if not engine.store.claim_schedule_fire(execution):
                engine.store.advance_schedule(schedule["name"], *advance)
                return None
            if claim_idempotency_key(unit, wd["name"], req, workflow_id) is not None:
                raise PodiumError(f"idempotencyKey '{req.get('idempotencyKey')}' is held by another workflow")
            new_workflow(unit, wd, req, workflow_id=workflow_id)
            engine.store.advance_schedule(schedule["name"], *advance)
        return execution
    except BackendUnavailable:
        raise
    except Exception as e:
        # The start failed (e.g. the definition was deleted): nothing of it was kept; record the fire
        # as FAILED with the reason, so it is not made again either.
        execution["state"] = sch.FAILED
        execution.pop("workflowId", None)
        execution["reason"] = e.message if isinstance(e, PodiumError) else f"{type(e).__name__}: {e}"
        if not isinstance(e, PodiumError):
            execution["stackTrace"] = traceback.format_exc()[-STACK_TRACE_CHARS:]
        log.warning("schedule %s: fire at %d failed: %s", schedule["name"], scheduled_time, execution["reason"])
        with engine.store.transaction():
            claimed = engine.store.claim_schedule_fire(execution)
            engine.store.advance_schedule(schedule["name"], *advance)
        return execution if claimed else None
