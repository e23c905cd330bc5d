"""One decide pass: the state, the injected environment and the helpers operators build on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.decider.env import DeciderEnv
from podium.decider.graph import Graph, graph_of, strip_iteration
from podium.decider.outcome import Effect, Outcome, QueuePush
from podium.decider.records import effective_task_def, new_task
from podium.decider.state import WorkflowState
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.durations import MAX_DELAY_MS
from podium.domain.model import EXTERNAL_FLAG, JSON, Task, TaskDef, WorkflowTask
from podium.domain.payloads import (
    EXTERNAL_INPUT,
    EXTERNAL_OUTPUT,
    PayloadType,
    forget_external,
    mark_external,
    new_path,
)
from podium.domain.queues import task_queue
from podium.domain.validation_limits import input_too_large, output_too_large, payload_size, total_too_large
from podium.expr import ResolutionContext, resolve, resolve_input


class Pass:
    """Mutable context of one decide call."""

    __slots__ = ("_bases", "_ctx", "_live", "_tds", "ended", "env", "graph", "now", "origin", "out", "state", "wf")

    def __init__(self, state: WorkflowState, env: DeciderEnv, now: int, out: Outcome | None = None) -> None:
        self.state = state
        self.wf = state.workflow
        self.env = env
        self.now = now
        self.out = out if out is not None else Outcome()
        self.graph: Graph = graph_of(self.wf["workflowDefinition"])
        self.ended = False
        self._ctx: ResolutionContext | None = None
        self._tds: dict[str, TaskDef] = {}
        self._live: dict[str, Task] | None = None
        self._bases: dict[str, Task] | None = None  # live_base's answers, kept up to date like _live
        # Refs created at run time (dynamic fork tasks) → the definition node whose loop they live in.
        self.origin: dict[str, str] = {}

    # -- definitions and expressions -------------------------------------------------------
    def task_def(self, wt: WorkflowTask) -> TaskDef:
        """The definition that governs records of this node (looked up once per name and pass)."""
        name = wt.get("name", "")
        if "taskDefinition" in wt or not name:
            return effective_task_def(wt, self.env.task_def(name) if name else None)
        hit = self._tds.get(name)
        if hit is None:
            hit = self._tds[name] = effective_task_def(wt, self.env.task_def(name))
        return hit

    def context(self) -> ResolutionContext:
        """A resolution context over the current state (rebuilt after every change)."""
        if self._ctx is None:
            self._ctx = ResolutionContext(self.wf, self.state.tasks, env=self.env.env_vars)
        return self._ctx

    def invalidate(self) -> None:
        """Forget cached views of the state; call after changing, adding or removing records."""
        self._ctx = None
        self._live = None
        self._bases = None

    def live_map(self) -> dict[str, Task]:
        """Each reference's latest record not superseded by a retry (kept until records are added)."""
        if self._live is None:
            self._live = {t["referenceTaskName"]: t for t in self.state.tasks if not t.get("retried")}
        return self._live

    def resolve_input(self, wt: WorkflowTask, task_id: str, td: TaskDef | None = None) -> JSON:
        """A node's inputParameters resolved against the workflow (docs/reference.md#expressions)."""
        params = wt.get("inputParameters") or {}
        template = td.get("inputTemplate") if td else None
        return resolve_input(params, self.context(), task_id=task_id, template=template or None)

    def resolve(self, value: Any, task_id: str | None = None) -> Any:
        return resolve(value, self.context(), task_id=task_id)

    # -- records ---------------------------------------------------------------------------
    def new_record(
        self,
        wt: WorkflowTask,
        *,
        task_type: str,
        status: str,
        iteration: int = 0,
        input_data: JSON | None = None,
        task_def_name: str | None = None,
        ref: str | None = None,
        td: TaskDef | None = None,
    ) -> Task:
        """Create, resolve and add a record for ``wt``."""
        task_id = self.env.new_id()
        if input_data is None:
            input_data = self.resolve_input(wt, task_id, td)
        size = payload_size(input_data) if input_data else 0
        too_large = size > self.env.limits.task_input_bytes
        if too_large:
            input_data = {}
        t = new_task(
            self.wf,
            wt,
            task_id=task_id,
            task_type=task_type,
            status=status,
            input_data=input_data,
            now=self.now,
            iteration=iteration,
            ref=ref or self.ref_for(wt, iteration),
            task_def_name=task_def_name,
            td=td,
        )
        if status == st.IN_PROGRESS:
            t["startTime"] = self.now
        self.add(t)
        if too_large:
            self.fail_workflow(input_too_large(t["referenceTaskName"], size, self.env.limits.task_input_bytes))
        elif size:
            if size > self.env.limits.task_input_threshold_bytes:
                self.externalize(t, EXTERNAL_INPUT, PayloadType.TASK_INPUT, input_data, size)
            self.charge(size)
        return t

    def externalize(self, record: Mapping[str, Any], path_key: str, kind: PayloadType, value: Any, size: int) -> None:
        """Keep ``value`` (over its threshold) in the payload store: the service writes it before the record."""
        path = new_path(kind, self.env.new_id())
        mark_external(record, path_key, path, size)
        self.wf[EXTERNAL_FLAG] = True
        self.out.payloads.append((path, value))

    def charge(self, size: int) -> None:
        """Count ``size`` bytes of task payload against the execution's total; over it, the workflow FAILS."""
        total = self.wf.get("_payloadBytes", 0) + size
        self.wf["_payloadBytes"] = total
        limit = self.env.limits.workflow_total_bytes
        if total > limit:
            self.fail_workflow(total_too_large(total, limit))

    def fail_workflow(self, reason: str) -> None:
        """End the workflow FAILED now (once), e.g. when a payload limit is reached."""
        if not self.ended and not st.workflow_terminal(self.wf["status"]):
            from podium.decider.lifecycle import end_workflow

            end_workflow(self, st.FAILED, reason)

    def add(self, task: Task) -> None:
        """Append a new record with the next seq."""
        task["seq"] = self.state.next_seq()
        self.state.tasks.append(task)
        self.out.new_tasks.append(task)
        self.out.changes += 1
        self._ctx = None
        # Kept up to date rather than rebuilt: a wide fork adds thousands of records in one pass.
        if self._live is not None:
            if task.get("retried"):
                self._live = None
            else:
                self._live[task["referenceTaskName"]] = task
        if self._bases is not None:
            if task.get("retried"):
                self._bases = None
            else:
                self._bases[strip_iteration(task["referenceTaskName"])] = task

    def touch(self, task: Task) -> None:
        """Mark an existing record changed."""
        task["updateTime"] = self.now
        self.out.touch(task)
        self._ctx = None

    def finish(self, task: Task, status: str, output: JSON | None = None, reason: str | None = None) -> None:
        """Move a record to a terminal status (a task whose output is over the limit FAILS instead)."""
        size = 0
        if output:
            size = payload_size(output)
            limit = self.env.limits.task_output_bytes
            if size > limit:
                status, output = st.FAILED_WITH_TERMINAL_ERROR, {}
                reason = output_too_large(task["taskId"], self.wf["workflowId"], size, limit)
                size = 0
            else:
                self.charge(size)
        task["status"] = status
        if output is not None:
            task["outputData"] = output
            if EXTERNAL_OUTPUT in task:
                forget_external(task, EXTERNAL_OUTPUT)
            if size > self.env.limits.task_output_threshold_bytes:
                self.externalize(task, EXTERNAL_OUTPUT, PayloadType.TASK_OUTPUT, output, size)
        if reason is not None:
            task["reasonForIncompletion"] = reason
        if not task.get("startTime"):
            task["startTime"] = self.now
        task["endTime"] = self.now
        self.touch(task)

    def push(self, task: Task, delay_ms: int = 0) -> None:
        """Make a record pollable on its queue after ``delay_ms``."""
        delay_ms = min(delay_ms, MAX_DELAY_MS)
        self.out.pushes.append(QueuePush(task_queue(task), task["taskId"], delay_ms, task.get("workflowPriority", 0)))

    def remove_from_queue(self, task: Task) -> None:
        self.out.removes.append((task_queue(task), task["taskId"]))

    def effect(self, kind: str, task: Task | None = None, **data: Any) -> None:
        self.out.effects.append(Effect(kind, task, dict(data)))

    def due(self, task: Task) -> bool:
        """True once a record's start delay has passed."""
        delay = task.get("startDelayInSeconds", 0) or task.get("callbackAfterSeconds", 0)
        return self.now >= task.get("scheduledTime", 0) + delay * 1000

    # -- navigation ------------------------------------------------------------------------
    def live(self, ref: str) -> Task | None:
        """The latest record of an exact reference that has not been superseded by a retry."""
        return self.live_map().get(ref)

    def live_base(self, base_ref: str) -> Task | None:
        """The latest non-superseded record of a node, whatever its iteration suffix."""
        if self._bases is None:
            self._bases = {strip_iteration(t["referenceTaskName"]): t for t in self.state.tasks if not t.get("retried")}
        return self._bases.get(base_ref)

    def schedule(self, wt: WorkflowTask, iteration: int = 0) -> None:
        """Schedule a node, stepping over references that were skipped (skiptask)."""
        from podium.decider.operators.base import operator_for

        ref = self.ref_for(wt, iteration)
        existing = self.live(ref)
        if existing is not None:
            if existing["status"] == st.SKIPPED and not existing.get("executed"):
                existing["executed"] = True
                self.touch(existing)
                self.schedule_after(wt, iteration)
            return
        limit = self.env.limits.workflow_tasks
        if len(self.state.tasks) >= limit:
            from podium.decider.lifecycle import end_workflow

            end_workflow(
                self,
                st.FAILED,
                f"The workflow reached the limit of {limit} task records (PODIUM_LIMIT_WORKFLOW_TASKS) "
                f"when scheduling '{ref}'",
            )
            return
        operator_for(wt.get("type", tt.SIMPLE)).schedule(self, wt, iteration)

    def schedule_next(self, task: Task) -> None:
        """Schedule what follows a record that has just been processed."""
        from podium.decider.operators.base import operator_for

        wt = task.get("workflowTask")
        if wt is None or wt.get("type") == tt.TERMINATE:
            return
        if not operator_for(wt.get("type", tt.SIMPLE)).continues(self, task):
            return
        iteration = task.get("iteration", 0)
        if wt.get("type") == tt.DO_WHILE:  # its own iteration field counts its passes, not its context
            iteration = suffix_iteration(task["referenceTaskName"], wt.get("taskReferenceName", ""))
        self.schedule_after(wt, iteration)

    def ref_for(self, wt: WorkflowTask, iteration: int) -> str:
        """The record reference of a node scheduled in DO_WHILE pass ``iteration`` (0: not in a loop).

        Nested loops suffix every level, outermost first: ``ref__<outer>__<inner>``.
        """
        ref = wt.get("taskReferenceName", "")
        if not iteration:
            return ref
        loop = self.graph.enclosing_loop(self.origin.get(ref, ref))
        if loop is not None and self.graph.enclosing_loop(loop) is not None:
            rec = self.live_base(loop)
            if rec is not None:
                return f"{ref}{rec['referenceTaskName'][len(loop) :]}__{iteration}"
        return f"{ref}__{iteration}"

    def schedule_after(self, wt: WorkflowTask, iteration: int) -> None:
        """Follow the definition graph from a node as Conductor does: the next sibling; after the end of a
        SWITCH case, what follows the SWITCH; after a loop body, back to its DO_WHILE; after a fork branch,
        nothing (its JOIN waits)."""
        node = self.graph.node(wt.get("taskReferenceName", ""))
        while node is not None:
            if node.index + 1 < len(node.siblings):
                self.schedule(node.siblings[node.index + 1], iteration)
                return
            if node.kind == "root" or node.owner is None:
                return
            owner = self.graph.by_ref[node.owner]
            if node.kind == "branch":
                return
            if node.kind == "loop":
                loop = self.live_base(node.owner)
                if loop is not None:
                    from podium.decider.operators.base import operator_for

                    operator_for(tt.DO_WHILE).loop_body_done(self, loop)
                return
            node = owner  # end of a SWITCH case: continue after the SWITCH


def suffix_iteration(ref: str, base: str) -> int:
    """The innermost DO_WHILE pass encoded in a record reference (``base__2__5`` → 5; ``base`` → 0)."""
    tail = ref[len(base) :].rpartition("__")[2] if len(ref) > len(base) else ""
    return int(tail) if tail.isdigit() else 0


def iteration_ref(ref: str, iteration: int) -> str:
    """The reference of a record inside a DO_WHILE pass (``ref__N``)."""
    return f"{ref}__{iteration}" if iteration else ref
