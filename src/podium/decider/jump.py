"""Jump (Orkes ``POST /api/workflow/{id}/jump/{ref}``): cancel what runs and go on from another task.

Only a task of the definition's top level can be jumped to. Every running record is CANCELED (its
operator's cancel hook runs: a sub-workflow is terminated). Records of the target and of every
top-level task after it (a jump backwards) are superseded, as a retry supersedes an attempt, so the
target is scheduled afresh; tasks between the current point and a target further on never run.
"""

from __future__ import annotations

from podium.decider.graph import top_level_ref
from podium.decider.lifecycle import cancel_pending
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain.errors import InvalidArgument
from podium.domain.model import JSON, WorkflowTask


def jump(p: Pass, ref: str, task_input: JSON | None) -> None:
    """Cancel the running records of ``p``'s workflow and schedule the top-level task ``ref``;
    ``task_input`` (if any) is merged over its inputParameters."""
    node = p.graph.node(ref)
    if node is None or node.owner is not None:
        raise InvalidArgument(
            f"Task reference {ref} is not a top-level task of workflow {p.wf.get('workflowName')} "
            f"version {p.wf.get('workflowVersion')}"
        )
    running = [t for t in p.state.tasks if not st.task_terminal(t["status"])]
    cancel_pending(p)
    for t in running:  # canceled by the jump, not failed: nothing to react to
        t["executed"] = True
        p.touch(t)
    later = {wt.get("taskReferenceName", "") for wt in node.siblings[node.index :]}
    for t in p.state.tasks:
        if not t.get("retried") and top_level_ref(p.graph, t["referenceTaskName"]) in later:
            t["retried"] = True
            p.touch(t)
    p.invalidate()
    wt: WorkflowTask = node.task
    if task_input:
        wt = {**wt, "inputParameters": {**(wt.get("inputParameters") or {}), **task_input}}
    p.schedule(wt)
