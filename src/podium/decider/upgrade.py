"""Upgrade (Orkes ``POST /api/workflow/{id}/upgrade``): a running workflow goes on under another
definition version from the task it is running now.

Every top-level task of the new definition before that point that has no record yet is recorded as
SKIPPED, with the output the caller gave for its reference (so later tasks can read it). Records
already made stay as they are; the running task must exist in the new definition.
"""

from __future__ import annotations

from typing import Any

from podium.decider.graph import top_level_ref
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.errors import InvalidArgument
from podium.domain.model import Task


def skip_to_current(p: Pass, task_output: dict[str, Any]) -> list[Task]:
    """Record SKIPPED the tasks of ``p``'s (new) definition before the running point; returns them.

    ``p`` must be built after the workflow's definition was replaced by the new one.
    """
    root = p.graph.definition.get("tasks", [])
    order = {wt.get("taskReferenceName", ""): i for i, wt in enumerate(root)}
    live = [t for t in p.state.tasks if not t.get("retried")]
    running = [t for t in live if not st.task_terminal(t["status"])]
    points: list[int] = []
    for t in running:
        top = top_level_ref(p.graph, t["referenceTaskName"])
        if top not in order:
            raise InvalidArgument(
                f"The running task {t['referenceTaskName']} is not part of workflow "
                f"{p.graph.definition.get('name')} version {p.graph.definition.get('version')}"
            )
        points.append(order[top])
    if points:
        current = min(points)
    else:  # between tasks: after the last one recorded
        seen = [order[r] for r in (top_level_ref(p.graph, t["referenceTaskName"]) for t in live) if r in order]
        current = max(seen) + 1 if seen else 0
    recorded = {top_level_ref(p.graph, t["referenceTaskName"]) for t in live}
    skipped: list[Task] = []
    for wt in root[:current]:
        ref = wt.get("taskReferenceName", "")
        if ref in recorded:
            continue
        ttype = wt.get("type", tt.SIMPLE)
        rec = p.new_record(
            wt, task_type=wt.get("name", "") if tt.is_worker_type(ttype) else ttype, status=st.SKIPPED, input_data={}
        )
        out = task_output.get(ref)
        rec["outputData"] = dict(out) if isinstance(out, dict) else {}
        rec["startTime"] = rec["endTime"] = p.now
        rec["executed"] = True
        p.touch(rec)
        skipped.append(rec)
    return skipped
