"""FORK_JOIN and JOIN: parallel branches and the task that waits for them (docs/reference.md#fork_join-and-join)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.decider.operators.base import Operator, register
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass

NOT_FOLLOWED_BY_JOIN = "Fork task definition is not followed by a join task"


def following_join(p: Pass, wt: WorkflowTask) -> WorkflowTask | None:
    """The JOIN that directly follows a fork node in the definition, if any."""
    node = p.graph.node(wt.get("taskReferenceName", ""))
    if node is None or node.index + 1 >= len(node.siblings):
        return None
    nxt = node.siblings[node.index + 1]
    return nxt if nxt.get("type") == tt.JOIN else None


def fail_workflow(p: Pass, reason: str) -> None:
    """A runtime mapping error: the workflow FAILS with ``reason``, as Conductor fails a run on a bad definition."""
    from podium.decider.lifecycle import end_workflow

    end_workflow(p, st.FAILED, reason)


def record_suffix(task: Task) -> str:
    """The DO_WHILE suffix of a record (``join__2`` → ``__2``; outside loops ``""``)."""
    base = task.get("workflowTask", {}).get("taskReferenceName", "")
    ref = task["referenceTaskName"]
    return ref[len(base) :] if ref.startswith(base) else ""


def live_by_ref(p: Pass) -> dict[str, Task]:
    """Every reference's latest record not superseded by a retry (one scan for many look-ups)."""
    return p.live_map()


def schedule_join(p: Pass, join_wt: WorkflowTask, iteration: int, join_on: list[str]) -> None:
    """Create the IN_PROGRESS JOIN record of a fork (unless it already exists)."""
    if p.live(p.ref_for(join_wt, iteration)) is not None:
        return
    p.new_record(
        join_wt,
        task_type=tt.JOIN,
        status=st.IN_PROGRESS,
        iteration=iteration,
        input_data={"joinOn": list(join_on)},
        task_def_name=tt.JOIN,
    )


@register(tt.FORK_JOIN)
class ForkOperator(Operator):
    """FORK record (COMPLETED at once), the first task of every branch, then the JOIN."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        join = following_join(p, wt)
        if join is None:
            fail_workflow(p, NOT_FOLLOWED_BY_JOIN)
            return
        fork = p.new_record(wt, task_type=tt.FORK, status=st.COMPLETED, iteration=iteration, task_def_name=tt.FORK)
        p.finish(fork, st.COMPLETED)
        for branch in wt.get("forkTasks") or []:
            if branch:
                p.schedule(branch[0], iteration)
                if p.ended:
                    return
        schedule_join(p, join, iteration, join.get("joinOn") or [])


@register(tt.JOIN)
class JoinOperator(Operator):
    """Completes once every joined reference is terminal and processed by the decider.

    A joined failure counts only after the decider has handled it (no retry left, and not
    optional): a plain failure then normally ends the workflow first, as in Conductor.
    """

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        schedule_join(p, wt, iteration, wt.get("joinOn") or [])

    def step(self, p: Pass, task: Task) -> bool:
        suffix = record_suffix(task)
        output: JSON = {}
        failures: list[Task] = []
        permissive: list[Task] = []
        optional_errors = False
        done = True
        join_on = task.get("inputData", {}).get("joinOn") or []
        live = live_by_ref(p) if join_on else {}
        for ref in join_on:
            joined = live.get(ref + suffix if suffix else ref)
            if (
                joined is None
                or not st.task_terminal(joined["status"])
                or not (joined.get("executed") or joined["status"] == st.SKIPPED)
            ):
                done = False
                continue
            if joined.get("outputData"):
                output[joined["referenceTaskName"]] = joined["outputData"]
            status = joined["status"]
            wt = joined.get("workflowTask", {})
            if status == st.COMPLETED_WITH_ERRORS:
                optional_errors = True
            elif not st.task_successful(status):
                if wt.get("optional"):
                    optional_errors = True
                elif wt.get("permissive"):
                    permissive.append(joined)
                else:
                    failures.append(joined)
        if failures:
            status = st.CANCELED if all(f["status"] == st.CANCELED for f in failures) else st.FAILED
            p.finish(task, status, output, _reasons(failures))
            return True
        if not done:
            return False
        if permissive:
            p.finish(task, st.FAILED, output, _reasons(permissive))
        elif optional_errors:
            p.finish(task, st.COMPLETED_WITH_ERRORS, output)
        else:
            p.finish(task, st.COMPLETED, output)
        return True


def _reasons(tasks: list[Task]) -> str:
    return " ".join(t.get("reasonForIncompletion") or f"{t['referenceTaskName']} {t['status']}" for t in tasks)
