"""Rerun from a task: re-open the loops around it and re-follow the graph
(docs/compatibility.md#retry-restart-rerun-and-skip)."""

from __future__ import annotations

from podium.decider.graph import strip_iteration
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import Task
from podium.domain.payloads import EXTERNAL_OUTPUT, forget_external


def refollow(p: Pass, target: Task) -> None:
    """Re-create what the deleted records stood for after a rerun from ``target``.

    The DO_WHILE records around the target go back to IN_PROGRESS at the target's pass. Following
    the graph again from every surviving processed record (outside loops, or in the target's pass)
    re-schedules a fork's JOIN and sibling branches that came after the target (``p.schedule``
    skips references that exist).
    """
    graph = p.graph
    ref = target["referenceTaskName"]
    groups = _pass_groups(ref[len(strip_iteration(ref)) :])
    loops: list[str] = []
    node = graph.node(ref)
    while node is not None and node.owner is not None:
        if node.kind == "loop":
            loops.insert(0, node.owner)
        node = graph.node(node.owner)
    for depth, loop_ref in enumerate(loops[: len(groups)]):
        loop = p.live(loop_ref + "".join(f"__{g}" for g in groups[:depth]))
        if loop is None:
            continue
        n = int(groups[depth])
        out = {k: v for k, v in (loop.get("outputData") or {}).items() if not (k.isdigit() and int(k) >= n)}
        out["iteration"] = loop["iteration"] = n
        loop.update({"status": st.IN_PROGRESS, "executed": False, "endTime": 0, "outputData": out})
        forget_external(loop, EXTERNAL_OUTPUT)
        loop.pop("reasonForIncompletion", None)
        p.touch(loop)
    for rec in list(p.state.tasks):
        if rec is target or rec.get("retried") or not rec.get("executed") or rec["status"] == st.SKIPPED:
            continue
        base = strip_iteration(rec["referenceTaskName"])
        wt = rec.get("workflowTask", {})
        if not st.task_successful(rec["status"]) or base in loops or graph.node(base) is None:
            continue
        own = _pass_groups(rec["referenceTaskName"][len(base) :])
        if wt.get("taskReferenceName") != base or own != groups[: len(own)]:
            continue  # a dynamic task, or a record of another DO_WHILE pass
        if wt.get("type") == tt.FORK_JOIN:
            for branch in wt.get("forkTasks") or []:
                if branch:
                    p.schedule(branch[0], rec.get("iteration", 0))
        p.schedule_next(rec)


def _pass_groups(suffix: str) -> list[str]:
    """``__2__5`` → ``["2", "5"]`` (the DO_WHILE passes a record reference encodes)."""
    return [g for g in suffix.split("__") if g]
