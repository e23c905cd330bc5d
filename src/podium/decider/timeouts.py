"""Workflow and task timeouts, and when the sweeper must look again (docs/reference.md#task-definitions)."""

from __future__ import annotations

from podium.decider.operators.base import operator_for
from podium.decider.passes import Pass
from podium.decider.transitions import response_deadline
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import Task

# Re-check a running workflow at least this often even when no deadline is near (safety net).
MAX_CHECK_INTERVAL_MS = 3_600_000


def workflow_timed_out(p: Pass) -> str | None:
    """The reason if the workflow timeout (TIME_OUT_WF) has passed, else None."""
    wd = p.wf["workflowDefinition"]
    timeout = wd.get("timeoutSeconds", 0) or 0
    if timeout <= 0 or wd.get("timeoutPolicy", "ALERT_ONLY") != "TIME_OUT_WF":
        return None
    since = p.wf.get("lastRetriedTime") or p.wf.get("createTime", 0)
    elapsed = p.now - since
    if elapsed < timeout * 1000:
        return None
    return (
        f"Workflow timed out after {elapsed // 1000} seconds. Timeout configured as {timeout} seconds. "
        "Timeout policy configured to TIME_OUT_WF"
    )


def check_task_timeouts(p: Pass, task: Task) -> bool:
    """Apply total, run, poll and response timeouts to a running record; True if it changed."""
    wt = task.get("workflowTask", {})
    if not operator_for(wt.get("type", tt.SIMPLE)).worker:
        return _check_wait_timeout(p, task) if wt.get("type") == tt.WAIT else False
    td = p.task_def(wt)
    policy = td.get("timeoutPolicy", "TIME_OUT_WF")
    status = task["status"]
    cb = task.get("callbackAfterSeconds", 0) or 0
    delay = task.get("startDelayInSeconds", 0) or 0
    total = td.get("totalTimeoutSeconds", 0) or 0
    if total > 0:
        from podium.decider.decide import first_scheduled

        if p.now - first_scheduled(p, task) >= total * 1000:
            return _apply(p, task, policy, f"Task total timeout of {total} seconds exceeded")
    timeout = td.get("timeoutSeconds", 0) or 0
    start = task.get("startTime", 0) or 0
    if timeout > 0 and start > 0 and p.now - (start + delay * 1000) >= timeout * 1000:
        return _apply(p, task, policy, f"Task timed out after {timeout} seconds")
    poll_timeout = td.get("pollTimeoutSeconds")
    if (
        status == st.SCHEDULED
        and poll_timeout is not None
        and poll_timeout > 0
        and p.now - (task.get("scheduledTime", 0) + delay * 1000) >= (poll_timeout + cb) * 1000
    ):
        return _apply(p, task, policy, f"Task poll timed out after {poll_timeout} seconds")
    response = task.get("responseTimeoutSeconds", 0) or 0
    if (
        status == st.IN_PROGRESS
        and response > 0
        and not wt.get("asyncComplete")
        and p.now - task.get("updateTime", 0) >= (response + cb) * 1000
    ):
        p.remove_from_queue(task)
        p.finish(task, st.TIMED_OUT, reason=f"responseTimeout: {response} exceeded")
        return True
    return False


def _check_wait_timeout(p: Pass, task: Task) -> bool:
    """A WAIT (open-ended or not) is held to its task definition's ``timeoutSeconds`` too, as in
    Conductor: with policy RETRY it times out and is retried, with TIME_OUT_WF it ends the workflow."""
    deadline = _wait_timeout_deadline(p, task)
    if deadline is None or p.now < deadline:
        return False
    td = p.task_def(task.get("workflowTask", {}))
    return _apply(
        p, task, td.get("timeoutPolicy", "TIME_OUT_WF"), f"Task timed out after {td.get('timeoutSeconds')} seconds"
    )


def _wait_timeout_deadline(p: Pass, task: Task) -> int | None:
    if task["status"] != st.IN_PROGRESS:
        return None
    td = p.task_def(task.get("workflowTask", {}))
    timeout = td.get("timeoutSeconds", 0) or 0
    if timeout <= 0 or td.get("timeoutPolicy", "TIME_OUT_WF") == "ALERT_ONLY":
        return None
    start = task.get("startTime") or task.get("scheduledTime", 0)
    return int(start + timeout * 1000)


def _apply(p: Pass, task: Task, policy: str, reason: str) -> bool:
    if policy == "ALERT_ONLY":
        return False
    p.remove_from_queue(task)
    p.finish(task, st.TIMED_OUT, reason=reason)
    if policy == "TIME_OUT_WF":
        from podium.decider.lifecycle import end_workflow

        task["executed"] = True
        end_workflow(p, st.TIMED_OUT, reason, failed_task_id=task["taskId"])
    return True


def next_deadline(p: Pass, known: dict[int, int | None] | None = None, *, tasks: bool = True) -> int:
    """When the sweeper must decide this workflow again (``tasks=False``: for its own timeout only)."""
    best = p.now + MAX_CHECK_INTERVAL_MS
    wd = p.wf["workflowDefinition"]
    timeout = wd.get("timeoutSeconds", 0) or 0
    if timeout > 0 and wd.get("timeoutPolicy", "ALERT_ONLY") == "TIME_OUT_WF":
        since = p.wf.get("lastRetriedTime") or p.wf.get("createTime", 0)
        best = min(best, since + timeout * 1000)
    if not tasks:
        return max(best, p.now)
    earliest = earliest_task_deadline(p, known)
    if earliest is not None and earliest < best:
        best = earliest
    return max(best, p.now)


def earliest_task_deadline(p: Pass, known: dict[int, int | None] | None = None) -> int | None:
    """The nearest moment a running record needs the decider by itself (timeouts, WAIT, delays).

    ``known`` maps records (by identity) to deadlines computed earlier in this pass; records the pass
    did not change reuse them. Without it, it is filled in for the records seen.
    """
    best: int | None = None
    changed = p.out.dirty
    for t in p.state.tasks:
        if t.get("retried") or st.task_terminal(t["status"]):
            continue
        key = id(t)
        if known is not None and key in known and t["taskId"] not in changed:
            d = known[key]
        else:
            d = _task_deadline(p, t)
            if known is not None:
                known[key] = d
        if d is not None and (best is None or d < best):
            best = d
    return best


def changed_deadline(p: Pass) -> int:
    """The nearest deadline among records this pass created or changed (``MAX`` ahead when none)."""
    best = p.now + MAX_CHECK_INTERVAL_MS
    for t in (*p.out.new_tasks, *p.out.dirty.values()):
        if t.get("retried") or st.task_terminal(t["status"]):
            continue
        d = _task_deadline(p, t)
        if d is not None and d < best:
            best = d
    return best


def _task_deadline(p: Pass, t: Task) -> int | None:
    """The earliest moment ``check_task_timeouts`` (or the operator) could act on a record."""
    wt = t.get("workflowTask", {})
    op = operator_for(wt.get("type", tt.SIMPLE))
    best = op.deadline(p, t)
    if not op.worker:
        if wt.get("type") == tt.WAIT:
            timeout_at = _wait_timeout_deadline(p, t)
            if timeout_at is not None:
                best = timeout_at if best is None else min(best, timeout_at)
        if t["status"] == st.SCHEDULED:
            delay = t.get("startDelayInSeconds", 0) or t.get("callbackAfterSeconds", 0) or 0
            due = t.get("scheduledTime", 0) + delay * 1000
            best = due if best is None else min(best, due)
        return best
    out: list[int] = [] if best is None else [best]
    td = p.task_def(wt)
    cb = t.get("callbackAfterSeconds", 0) or 0
    delay = t.get("startDelayInSeconds", 0) or 0
    if td.get("timeoutPolicy", "TIME_OUT_WF") != "ALERT_ONLY":
        total = td.get("totalTimeoutSeconds", 0) or 0
        if total > 0:
            from podium.decider.decide import first_scheduled

            out.append(first_scheduled(p, t) + total * 1000)
        timeout = td.get("timeoutSeconds", 0) or 0
        if timeout > 0 and t.get("startTime"):
            out.append(t["startTime"] + (delay + timeout) * 1000)
        poll_timeout = td.get("pollTimeoutSeconds")
        if t["status"] == st.SCHEDULED and poll_timeout:
            out.append(t.get("scheduledTime", 0) + (delay + poll_timeout + cb) * 1000)
    response = t.get("responseTimeoutSeconds", 0) or 0
    if response > 0 and not wt.get("asyncComplete"):
        if t["status"] == st.IN_PROGRESS:
            out.append(t.get("updateTime", 0) + (response + cb) * 1000)
        elif t["status"] == st.SCHEDULED and not p.env.polls_move_checks:
            # A poll hands the task out no earlier than now, so its response deadline is no earlier than
            # this: the poll never has to move the check itself (docs/architecture.md#next-checks).
            answer_by = response_deadline(t, p.now)
            if answer_by is not None:
                out.append(answer_by)
    return min(out) if out else None
