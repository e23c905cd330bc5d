"""decide(state, env, now): what happens next in a workflow (Conductor's decider). Pure: no I/O."""

from __future__ import annotations

from podium.decider.env import DeciderEnv
from podium.decider.lifecycle import cancel_pending, end_workflow
from podium.decider.operators.base import Operator, operator_for
from podium.decider.outcome import Outcome
from podium.decider.passes import Pass
from podium.decider.retries import retry_delay_seconds
from podium.decider.state import WorkflowState
from podium.decider.timeouts import (
    changed_deadline,
    check_task_timeouts,
    earliest_task_deadline,
    next_deadline,
    workflow_timed_out,
)
from podium.decider.transitions import next_attempt
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import Task
from podium.domain.validation_limits import total_too_large

_MAX_ROUNDS = 10_000
# A pass that left an evaluation running comes back this soon at the latest (its answer wakes it sooner).
PENDING_RECHECK_MS = 1_000


def decide(
    state: WorkflowState,
    env: DeciderEnv,
    now: int,
    prior_check: int | None = None,
    changed: list[Task] | None = None,
) -> Outcome:
    """Advance a workflow as far as it can go now; returns what changed.

    ``prior_check`` is the re-check time the previous decide of this workflow computed (lowered by any
    poll since). Before it, no timeout can be due, so records the pass does not touch are not looked at
    again: a workflow with a wide fork costs little per completed branch. ``changed`` lists records the
    caller changed before deciding (a worker's update); they count as changed by the pass.
    """
    p = Pass(state, env, now)
    for t in changed or ():
        p.out.touch(t)
    wf = state.workflow
    if st.workflow_terminal(wf["status"]):
        if wf["status"] != st.COMPLETED and any(not st.task_terminal(t["status"]) for t in state.tasks):
            cancel_pending(p)
        return p.out
    reason = workflow_timed_out(p)
    if reason is not None:
        end_workflow(p, st.TIMED_OUT, reason)
        return p.out
    total, limit = wf.get("_payloadBytes", 0), env.limits.workflow_total_bytes
    if total > limit:  # worker outputs are counted by the service before it decides
        end_workflow(p, st.FAILED, total_too_large(total, limit))
        return p.out
    if wf["status"] == st.PAUSED:
        # A paused workflow acts on no record's deadline (resuming decides it with every record), only on
        # its own timeout: a task deadline here would wake it for nothing, or at once and again if passed.
        p.out.next_check = next_deadline(p, tasks=False)
        return p.out
    if not state.tasks:
        first = p.graph.first()
        if first is None:
            end_workflow(p, st.COMPLETED)
            return p.out
        p.schedule(first)
    deadlines: dict[int, int | None] = {}
    if prior_check is not None and now < prior_check:
        # Nothing is due, and the caller names what it changed: look only at that and running operators.
        run_rounds(p, check_timeouts=False, only_changed=changed is not None)
    else:
        prior_check = None
        earliest = earliest_task_deadline(p, deadlines)
        run_rounds(p, check_timeouts=earliest is not None and earliest <= now)
    if not p.ended:
        if _complete(p):
            failed = _permissive_failures(p)
            if failed:
                reason = ". ".join(
                    f"Task {t['taskId']} failed with status: {t['status']} and reason: "
                    f"'{t.get('reasonForIncompletion', '')}'"
                    for t in failed
                )
                end_workflow(p, st.FAILED, reason, failed_task_id=failed[0]["taskId"])
            else:
                end_workflow(p, st.COMPLETED)
        elif prior_check is not None:
            p.out.next_check = max(now, min(prior_check, changed_deadline(p)))
        else:
            p.out.next_check = next_deadline(p, deadlines)
        if p.out.evaluations_pending:
            soon = now + PENDING_RECHECK_MS
            p.out.next_check = soon if p.out.next_check is None else min(p.out.next_check, soon)
        if p.out.again and not p.ended:
            p.out.next_check = now
    return p.out


def run_rounds(p: Pass, check_timeouts: bool = True, only_changed: bool = False) -> None:
    """Process pending records until nothing changes: each is checked, retried or ended, and what
    follows an ended one is scheduled, as Conductor's decider does.

    The first round looks at every record (timeouts are checked there: time does not move during a
    pass). Later rounds look only at records created or changed since, plus running system records
    that may react to them, so a large fork costs little per completed branch. With ``only_changed``
    (no timeout is due and every record changed since the last pass is marked changed in ``p.out``)
    the first round is such a round too: after a decide pass every terminal record is processed and
    every running operator has seen the latest state, so nothing else can move.
    """
    work = p.state.tasks
    first = check_timeouts
    steppers: list[Task] | None = None
    if only_changed and not check_timeouts:
        steppers = [t for t in p.state.tasks if _reacts(t)]
        marked = {id(t) for t in p.out.new_tasks}
        marked.update(id(t) for t in p.out.dirty.values())
        marked.update(id(t) for t in steppers)
        work = [t for t in p.state.tasks if id(t) in marked]
    stepped: dict[int, int] = {}
    for _ in range(_MAX_ROUNDS):
        progressed = False
        seen_new = len(p.out.new_tasks)
        p.out.dirty_since_round = {}
        for task in list(work):
            if p.ended:
                return
            if task.get("retried") or task.get("executed") or task["status"] == st.SKIPPED:
                continue
            if not st.task_terminal(task["status"]):
                op = operator_for(task.get("workflowTask", {}).get("type", tt.SIMPLE))
                # A running operator record is re-evaluated only when something changed since its last look.
                if has_step(op) and stepped.get(id(task)) != p.out.changes:
                    if op.step(p, task):
                        progressed = True
                    stepped[id(task)] = p.out.changes
                if p.ended:
                    return
                if first and not st.task_terminal(task["status"]) and check_task_timeouts(p, task):
                    progressed = True
                if p.ended:
                    return
            if st.task_terminal(task["status"]):
                progressed = True
                _process_terminal(p, task)
        if not progressed:
            return
        first = False
        created = p.out.new_tasks[seen_new:]
        if steppers is None:
            steppers = [t for t in p.state.tasks if _reacts(t)]
        else:
            steppers = [t for t in steppers if _reacts(t)] + [t for t in created if _reacts(t)]
        # The next round's records in seq (= list) order, without a scan of every record: a long loop
        # runs one round per pass of its body.
        changed = {id(t): t for t in created}
        changed.update((id(t), t) for t in p.out.dirty_since_round.values())
        changed.update((id(t), t) for t in steppers)
        work = sorted(changed.values(), key=_seq)


def _seq(task: Task) -> int:
    return task.get("seq", 0)


def _reacts(task: Task) -> bool:
    """A running record whose operator re-evaluates others' progress (JOIN, DO_WHILE, ...)."""
    ttype = task.get("workflowTask", {}).get("type", tt.SIMPLE)
    known = _STEPS_BY_TYPE.get(ttype)
    if known is None:
        known = _STEPS_BY_TYPE[ttype] = has_step(operator_for(ttype))
    # The type first: most records (worker tasks) have no step, whatever their state.
    return known and not (task["status"] in st.TASK_TERMINAL or task.get("executed") or task.get("retried"))


_HAS_STEP: dict[type, bool] = {}
_STEPS_BY_TYPE: dict[str, bool] = {}


def has_step(op: Operator) -> bool:
    """True when the operator overrides ``step`` (the base one does nothing)."""
    cls = type(op)
    known = _HAS_STEP.get(cls)
    if known is None:
        known = _HAS_STEP[cls] = cls.step is not Operator.step
    return known


def _process_terminal(p: Pass, task: Task) -> None:
    status = task["status"]
    if not st.task_successful(status):
        if _retry(p, task):
            return
        wt = task.get("workflowTask", {})
        if wt.get("optional"):
            task["status"] = st.COMPLETED_WITH_ERRORS
        elif not wt.get("permissive"):
            task["executed"] = True
            p.touch(task)
            end_status = {st.TIMED_OUT: st.TIMED_OUT, st.CANCELED: st.TERMINATED}.get(status, st.FAILED)
            reason = (
                f"Task {task['taskId']} failed with status: {status} and reason: "
                f"'{task.get('reasonForIncompletion', '')}'"
            )
            end_workflow(p, end_status, reason, failed_task_id=task["taskId"])
            return
    task["executed"] = True
    p.touch(task)
    p.schedule_next(task)


def _retry(p: Pass, task: Task) -> bool:
    """Create the next attempt of a failed task if its policy allows (docs/reference.md#task-definitions)."""
    status = task["status"]
    wt = task.get("workflowTask", {})
    ttype = wt.get("type", tt.SIMPLE)
    if status not in (st.FAILED, st.TIMED_OUT) or ttype in tt.CONTROL_TYPES:
        return False
    td = p.task_def(wt)
    allowed = wt.get("retryCount")
    if allowed is None:
        allowed = td.get("retryCount", 0)
    if task.get("retryCount", 0) >= allowed:
        return False
    total = td.get("totalTimeoutSeconds", 0)
    if total > 0 and p.now - first_scheduled(p, task) >= total * 1000:
        return False
    delay_s = retry_delay_seconds(td, task.get("retryCount", 0), p.env.random())
    new_id = p.env.new_id()
    new = next_attempt(
        task, new_id=new_id, now=p.now, delay_seconds=int(delay_s), fresh_input=p.resolve_input(wt, new_id, td)
    )
    task["executed"] = True
    p.touch(task)
    p.add(new)
    if operator_for(ttype).worker:
        p.push(new, int(delay_s * 1000))
    # A system task's new attempt stays SCHEDULED; its operator runs it once due (Pass.due).
    return True


def first_scheduled(p: Pass, task: Task) -> int:
    """Scheduled time of the first attempt in a retry chain."""
    first = task
    by_id = {t["taskId"]: t for t in p.state.tasks}
    while first.get("retriedTaskId") and first["retriedTaskId"] in by_id:
        first = by_id[first["retriedTaskId"]]
    return first.get("scheduledTime", 0)


def _permissive_failures(p: Pass) -> list[Task]:
    """Latest attempts of permissive, non-optional tasks that ended unsuccessfully
    (docs/reference.md#tasks-in-a-definition).
    """
    latest: dict[str, Task] = {}
    for t in p.state.tasks:
        if not t.get("retried"):
            latest[t["referenceTaskName"]] = t
    return [
        t
        for t in latest.values()
        if not st.task_successful(t["status"])
        and t.get("workflowTask", {}).get("permissive")
        and not t.get("workflowTask", {}).get("optional")
    ]


def _complete(p: Pass) -> bool:
    """Conductor's completion check: every record terminal and processed (nothing left to schedule)."""
    for t in p.state.tasks:
        if t["status"] == st.SKIPPED:
            continue
        if not st.task_terminal(t["status"]) or not (t.get("executed") or t.get("retried")):
            return False
    return bool(p.state.tasks)
