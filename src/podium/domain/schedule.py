"""Workflow schedules (docs/scheduler.md): the WorkflowSchedule and schedule-execution shapes, their validation and
their fire times. Pure: the caller passes the time.

A schedule fires on every time of its ``cronExpression`` (in ``zoneId``) and of each entry of its
``cronSchedules`` (``{cronExpression, zoneId}``, the zone defaulting to the schedule's), within
``scheduleStartTime`` .. ``scheduleEndTime`` (epoch ms, both inclusive, either open).
"""

from __future__ import annotations

import re
from typing import Any, Final
from zoneinfo import ZoneInfo

from podium.domain import cron
from podium.domain.errors import FieldError, ValidationFailed

NAME: Final = re.compile(r"[A-Za-z0-9_.~-]{1,255}")
# Names that are paths of their own under /api/scheduler/schedules/.
RESERVED_NAMES: Final = frozenset({"search", "tags"})
DEFAULT_ZONE: Final = "UTC"
MAX_CRON_SCHEDULES: Final = 100
MAX_TEXT: Final = 4096
# Execution states (WorkflowScheduleExecutionModel.state).
POLLED, EXECUTED, FAILED = "POLLED", "EXECUTED", "FAILED"
# The keys a fire adds to the workflow input (as Conductor's scheduler does).
STARTED_BY, SCHEDULED_TIME, EXECUTED_TIME, EXECUTION_ID, SCHEDULER_CRON = (
    "_startedByScheduler", "_scheduledTime", "_executedTime", "_executionId", "_schedulerCron",
)  # fmt: skip

Schedule = dict[str, Any]
Crons = list[tuple[cron.CronExpression, ZoneInfo]]


def _ms(raw: dict[str, Any], key: str, errors: list[FieldError]) -> int | None:
    value = raw.get(key)
    if value is None or value == 0:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        errors.append(FieldError(key, f"{key} must be epoch milliseconds", value))
        return None
    return value


def _text(raw: dict[str, Any], key: str, errors: list[FieldError]) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        errors.append(FieldError(key, f"{key} must be a string of at most {MAX_TEXT} characters", value))
        return None
    return value


def _zone(zone_id: Any, path: str, errors: list[FieldError]) -> None:
    try:
        if zone_id is not None and not isinstance(zone_id, str):
            raise cron.CronError("zoneId must be a string")
        cron.zone(zone_id)
    except cron.CronError as e:
        errors.append(FieldError(path, str(e), zone_id))


def _cron(expr: Any, zone_id: Any, path: str, errors: list[FieldError]) -> None:
    _zone(zone_id, f"{path}zoneId", errors)
    if not isinstance(expr, str):
        errors.append(FieldError(f"{path}cronExpression", "cronExpression must be a string", expr))
        return
    try:
        cron.parse(expr)
    except cron.CronError as e:
        errors.append(FieldError(f"{path}cronExpression", f"Invalid cron expression: {e}", expr))


def check_schedule(raw: Any) -> Schedule:
    """The schedule a SaveScheduleRequest describes, with defaults filled in, or ValidationFailed naming
    each bad field. Times and authors are the caller's to set; the workflow's existence too."""
    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError("body", "A schedule must be a JSON object", None)])
    errors: list[FieldError] = []
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name) or name.strip(".") == "":
        errors.append(
            FieldError("name", "name must be 1-255 characters of letters, digits and _ . ~ - (URL-safe)", name)
        )
    elif name in RESERVED_NAMES:
        errors.append(FieldError("name", f"'{name}' names an endpoint (/schedules/{name}); choose another", name))
    zone_id = raw.get("zoneId") or DEFAULT_ZONE
    expr, entries = raw.get("cronExpression"), raw.get("cronSchedules")
    if expr is None and not entries:
        errors.append(FieldError("cronExpression", "cronExpression or cronSchedules is required", None))
    if expr is not None:
        _cron(expr, zone_id, "", errors)
    else:
        _zone(zone_id, "zoneId", errors)
    schedules: list[dict[str, Any]] = []
    if entries is not None:
        if not isinstance(entries, list) or len(entries) > MAX_CRON_SCHEDULES:
            errors.append(FieldError("cronSchedules", f"cronSchedules must be a list of at most {MAX_CRON_SCHEDULES}"))
        else:
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    errors.append(FieldError(f"cronSchedules[{i}]", "must be {cronExpression, zoneId}", entry))
                    continue
                _cron(entry.get("cronExpression"), entry.get("zoneId") or zone_id, f"cronSchedules[{i}].", errors)
                schedules.append(
                    {"cronExpression": entry.get("cronExpression"), "zoneId": entry.get("zoneId") or zone_id}
                )
    start, end = _ms(raw, "scheduleStartTime", errors), _ms(raw, "scheduleEndTime", errors)
    if start is not None and end is not None and end < start:
        errors.append(FieldError("scheduleEndTime", "scheduleEndTime must not be before scheduleStartTime", end))
    for key in ("runCatchupScheduleInstances", "paused"):
        if raw.get(key) is not None and not isinstance(raw.get(key), bool):
            errors.append(FieldError(key, f"{key} must be true or false", raw.get(key)))
    req = raw.get("startWorkflowRequest")
    if not isinstance(req, dict) or not (req.get("name") or req.get("workflowDef")):
        errors.append(FieldError("startWorkflowRequest.name", "startWorkflowRequest with a workflow name is required"))
    texts = {k: _text(raw, k, errors) for k in ("description", "pausedReason", "createdBy", "updatedBy")}
    if errors:
        raise ValidationFailed(errors)
    out: Schedule = {
        "name": name,
        "cronExpression": expr,
        "zoneId": zone_id,
        "runCatchupScheduleInstances": bool(raw.get("runCatchupScheduleInstances")),
        "paused": bool(raw.get("paused")),
        "startWorkflowRequest": req,
        "scheduleStartTime": start,
        "scheduleEndTime": end,
    }
    if schedules:
        out["cronSchedules"] = schedules
    out.update({k: v for k, v in texts.items() if v is not None})
    return out


def crons(schedule: Schedule) -> list[tuple[str, cron.CronExpression, ZoneInfo]]:
    """Every (expression text, parsed expression, zone) a schedule fires on."""
    zone_id = schedule.get("zoneId") or DEFAULT_ZONE
    out = []
    if schedule.get("cronExpression"):
        out.append((schedule["cronExpression"], cron.parse(schedule["cronExpression"]), cron.zone(zone_id)))
    for entry in schedule.get("cronSchedules") or []:
        tz = cron.zone(entry.get("zoneId") or zone_id)
        out.append((entry["cronExpression"], cron.parse(entry["cronExpression"]), tz))
    return out


def next_fire(schedule: Schedule, after_ms: int) -> tuple[int, str] | None:
    """The schedule's first fire time strictly after ``after_ms`` within its bounds, and the expression
    that fires then; None when it never fires again."""
    start, end = schedule.get("scheduleStartTime"), schedule.get("scheduleEndTime")
    if start:
        after_ms = max(after_ms, start - 1)
    best: tuple[int, str] | None = None
    for text, expr, tz in crons(schedule):
        t = expr.next_after(after_ms, tz, end or None)
        if t is not None and (best is None or t < best[0]):
            best = (t, text)
    return best


# Windows searched backwards from "now" for the latest missed fire, smallest first, so a dense schedule
# after a long downtime is not walked fire by fire.
_LOOKBACK_MS = (60_000, 3_600_000, 86_400_000, 31 * 86_400_000)


def latest_fire(schedule: Schedule, from_ms: int, now_ms: int) -> tuple[int, str] | None:
    """The last fire time in ``from_ms`` .. ``now_ms`` (inclusive), or None."""
    for window in (*_LOOKBACK_MS, None):
        lo = from_ms if window is None else max(from_ms, now_ms - window)
        last: tuple[int, str] | None = None
        t = next_fire(schedule, lo - 1)
        while t is not None and t[0] <= now_ms:
            last = t
            t = next_fire(schedule, t[0])
        if last is not None or lo == from_ms:
            return last
    return None


def public(schedule: Schedule, next_run: int | None) -> Schedule:
    """The WorkflowSchedule a client sees: the stored fields plus ``nextRunTime``."""
    out = {k: v for k, v in schedule.items() if v is not None}
    out.setdefault("pausedReason", None)
    if next_run is not None and not schedule.get("paused"):
        out["nextRunTime"] = next_run
    return out


def next_few(expression: str, start_ms: int, end_ms: int | None, limit: int, zone_id: str | None = None) -> list[int]:
    """``nextFewSchedules``: up to ``limit`` fire times of one expression from ``start_ms`` (inclusive)."""
    expr = cron.parse(expression)
    return cron.next_fires([(expr, cron.zone(zone_id))], start_ms - 1, limit, end_ms)
