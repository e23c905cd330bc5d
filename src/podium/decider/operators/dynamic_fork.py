"""FORK_JOIN_DYNAMIC: fork branches whose tasks are only known at run time (docs/reference.md#fork_join_dynamic).

Every forked task is a one-task branch: it has no node in the definition graph, so nothing is
scheduled after it (its JOIN waits for it). Inside a DO_WHILE the forked refs get the same
iteration suffix as the fork itself (``Pass.origin`` ties them to the fork's node).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from podium.decider.graph import Graph
from podium.decider.operators.base import Operator, register
from podium.decider.operators.fork import fail_workflow, following_join, schedule_join
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, WorkflowTask

if TYPE_CHECKING:
    from podium.decider.passes import Pass

NOT_FOLLOWED_BY_JOIN = "Dynamic join definition is not followed by a join task. Check the workflow definition."


class ForkInputError(Exception):
    """The fork's input does not describe a valid set of tasks."""


Forked = list[tuple[WorkflowTask, JSON]]  # (task to schedule, input laid over its resolved input)


def forked_tasks(wt: WorkflowTask, inputs: JSON, graph: Graph) -> Forked:
    """The tasks a dynamic fork starts, in order, from its resolved input (all three styles)."""
    if isinstance(inputs.get("forkTaskInputs"), list):
        return _simple_form(wt, inputs, graph)
    if wt.get("dynamicForkTasksParam"):
        return _task_list_form(wt, inputs)
    if wt.get("dynamicForkJoinTasksParam"):
        return _legacy_form(wt, inputs)
    raise ForkInputError("Dynamic fork has no 'dynamicForkTasksParam' and no 'forkTaskInputs' list")


def _task_list_form(wt: WorkflowTask, inputs: JSON) -> Forked:
    key = wt.get("dynamicForkTasksParam", "")
    raw = inputs.get(key)
    if not isinstance(raw, list) or not all(
        isinstance(t, dict) and isinstance(t.get("taskReferenceName"), str) and t["taskReferenceName"] for t in raw
    ):
        raise ForkInputError(
            f"Input '{key}' is invalid: expected a list of workflow tasks, each with a taskReferenceName, got {raw!r}"
        )
    input_key = wt.get("dynamicForkTasksInputParamName", "")
    by_ref = inputs.get(input_key)
    if not isinstance(by_ref, dict) or not all(isinstance(v, dict) for v in by_ref.values()):
        raise ForkInputError(
            f"Input '{input_key}' to the dynamically forked tasks must be a map of task reference → input map, "
            f"got {by_ref!r}"
        )
    out: Forked = []
    for t in raw:
        task = cast(WorkflowTask, dict(t))
        if not task.get("type"):
            task["type"] = tt.SIMPLE
        out.append((task, by_ref.get(task["taskReferenceName"]) or {}))
    return out


def _simple_form(wt: WorkflowTask, inputs: JSON, graph: Graph) -> Forked:
    sub_workflow = inputs.get("forkTaskWorkflow")
    task_type = inputs.get("forkTaskType") or tt.SIMPLE
    name = inputs.get("forkTaskName")
    if not name and task_type in tt.SYSTEM_TYPES:
        name = task_type
    name = str(name or wt.get("taskReferenceName", ""))
    prefix = f"_{name}_"
    if sum(1 for n in graph.by_ref.values() if n.task.get("type") == tt.FORK_JOIN_DYNAMIC) > 1:
        prefix = f"_{wt.get('taskReferenceName', '')}_{name}_"
    out: Forked = []
    for i, item in enumerate(inputs["forkTaskInputs"]):
        data: JSON = dict(item) if isinstance(item, dict) else {"input": item}
        data["__index"] = i
        task: WorkflowTask = {"name": name, "taskReferenceName": f"{prefix}{i}", "type": task_type}
        if sub_workflow:
            version = inputs.get("forkTaskWorkflowVersion")
            params: JSON = {"name": str(sub_workflow)}
            if version is not None and str(version).strip().isdigit():
                params["version"] = int(str(version).strip())
            if isinstance(item, dict) and isinstance(item.get("taskToDomain"), dict):
                params["taskToDomain"] = item["taskToDomain"]
            task.update({"name": str(sub_workflow), "type": tt.SUB_WORKFLOW, "subWorkflowParam": params})
        task["inputParameters"] = data
        if wt.get("optional"):
            task["optional"] = True
        out.append((task, data))
    return out


def _legacy_form(wt: WorkflowTask, inputs: JSON) -> Forked:
    key = wt.get("dynamicForkJoinTasksParam", "")
    raw: Any = inputs.get(key)
    tasks = raw.get("dynamicTasks") if isinstance(raw, dict) else raw
    if not isinstance(tasks, list):
        raise ForkInputError(f"Dynamic tasks could not be created: input '{key}' has no dynamic tasks, got {raw!r}")
    out: Forked = []
    for item in tasks:
        if not isinstance(item, dict) or not item.get("referenceName"):
            raise ForkInputError(f"Dynamic tasks could not be created: invalid entry {item!r} in input '{key}'")
        task: WorkflowTask = {
            "name": str(item.get("taskName") or ""),
            "taskReferenceName": str(item["referenceName"]),
            "type": str(item.get("type") or tt.SIMPLE),
        }
        data = item.get("input")
        out.append((task, data if isinstance(data, dict) else {}))
    return out


@register(tt.FORK_JOIN_DYNAMIC)
class DynamicForkOperator(Operator):
    """FORK record (input has ``forkedTasks``/``forkedTaskDefs``), the forked tasks, then the JOIN
    whose ``joinOn`` lists the last record of each forked task. Bad input fails the workflow with
    no forked task created."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        join = following_join(p, wt)
        if join is None:
            fail_workflow(p, NOT_FOLLOWED_BY_JOIN)
            return
        task_id = p.env.new_id()
        inputs = p.resolve_input(wt, task_id)
        try:
            forked = forked_tasks(wt, inputs, p.graph)
        except ForkInputError as exc:
            fail_workflow(p, str(exc))
            return
        limit = p.env.limits.fork_width
        if len(forked) > limit:
            fork = p.new_record(
                wt, task_type=tt.FORK, status=st.IN_PROGRESS, iteration=iteration, input_data=inputs,
                task_def_name=tt.FORK,
            )  # fmt: skip
            fork["taskId"] = task_id
            p.finish(
                fork,
                st.FAILED_WITH_TERMINAL_ERROR,
                reason=f"Dynamic fork of {len(forked)} tasks is over the limit of {limit} (PODIUM_LIMIT_FORK_WIDTH)",
            )
            return
        base = wt.get("taskReferenceName", "")
        refs = [t["taskReferenceName"] for t, _ in forked]
        if len(set(refs)) != len(refs):
            fail_workflow(p, f"No dynamic tasks could be created: duplicate task reference names in {refs}")
            return
        fork_input: JSON = {"forkedTasks": refs, "forkedTaskDefs": [t for t, _ in forked], **inputs}
        fork = p.new_record(
            wt,
            task_type=tt.FORK,
            status=st.COMPLETED,
            iteration=iteration,
            input_data=fork_input,
            task_def_name=tt.FORK,
        )
        fork["taskId"] = task_id
        p.finish(fork, st.COMPLETED)
        suffix = fork["referenceTaskName"][len(base) :]
        join_on: list[str] = []
        for task, data in forked:
            p.origin[task["taskReferenceName"]] = base
            first = len(p.state.tasks)
            p.schedule(task, iteration)
            if p.ended:
                return
            created = p.state.tasks[first:]
            own = p.ref_for(task, iteration)
            for rec in created:
                if rec["referenceTaskName"] == own and data:
                    rec["inputData"].update(data)
            if created:
                last = created[-1]["referenceTaskName"]
                join_on.append(last[: len(last) - len(suffix)] if suffix and last.endswith(suffix) else last)
            else:
                join_on.append(task["taskReferenceName"])
        p.invalidate()
        schedule_join(p, join, iteration, join_on)
