"""The worker protocol: poll, update, logs, queues (docs/compatibility.md#tasks-apitasks)."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, cast

from podium.decider import WorkflowState
from podium.decider.lookup import task_by_ref
from podium.decider.operators import operator_for
from podium.decider.operators.system import MAX_VARIABLES_BYTES
from podium.decider.transitions import apply_result, lease_deadline
from podium.domain import statuses as st
from podium.domain.errors import FieldError, InvalidArgument, NotFound, PodiumError, ValidationFailed
from podium.domain.model import EXTERNAL_FLAG, Task, TaskExecLog, TaskResult, Workflow, add_derived_fields
from podium.domain.payloads import EXTERNAL_OUTPUT, PayloadType, mark_external
from podium.domain.queues import queue_name, task_queue
from podium.domain.validation_limits import output_too_large, payload_size
from podium.logs import about
from podium.service import metrics
from podium.service.decide_failures import describe
from podium.service.engine import Engine
from podium.service.unit import Unit
from podium.store.protocols import ReadsAhead

# A task held back by a rate or concurrency limit is offered again after this long (Conductor's
# taskExecutionPostponeDuration, 60 s).
POSTPONE_MS = 60_000

log = logging.getLogger("podium.tasks")


class TaskService:
    """Poll and update for workers; one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._rate: dict[str, deque[int]] = defaultdict(deque)
        # Puts secret values into the copies of tasks handed to workers (``ValuesService.reveal``).
        self.reveal: Callable[[list[Task]], list[Task]] | None = None
        store = engine.store
        # The store's ``expect``, when it can read the workflows of waiting updates ahead.
        self._expect = store.expect if isinstance(store, ReadsAhead) else None

    def expect_update(self, workflow_id: str) -> bool:
        """An update of a task of ``workflow_id`` waits to run: True if its workflow will be read ahead,
        with the unit before it, so the caller should let the other waiting requests say theirs first."""
        return self._expect is not None and self._expect(workflow_id)

    # -- poll -------------------------------------------------------------------------------
    def poll(self, task_type: str, worker_id: str | None, domain: str | None, count: int) -> list[Task]:
        """Hand out up to ``count`` tasks of a type (and domain) to a worker."""
        engine = self.engine
        now = engine.clock.now()
        engine.poll_data.record(task_type, domain, worker_id, now)
        metrics.count(metrics.TASK_POLL, task_type)
        queue = queue_name(task_type, domain or None)
        store = engine.store
        out: list[Task] = []
        ids = store.queue_peek(queue, now, count if engine.single_writer else 1)
        if not ids:
            return out  # the common empty poll costs one indexed read and no transaction
        with engine.unit() as unit:
            if not engine.single_writer:
                # Shared stores dequeue inside the transaction (other nodes poll the same queue).
                ids = store.queue_peek(queue, now, count)
            # The clock once the tasks are ours: every decide that saw them SCHEDULED ran before, so the
            # response deadlines set here are no earlier than the next check it stored (the poll need
            # not write the workflow's next check; docs/architecture.md#next-checks).
            now = engine.clock.now()
            handed: dict[str, int] = {}
            rated: set[str] = set()  # task types with a rate limit among those polled
            for task_id in ids:
                task = store.load_task(task_id)
                if task is None or st.task_terminal(task["status"]):
                    store.queue_remove(queue, task_id)
                    continue
                if self._limited(task, now, handed, rated):
                    store.queue_set_visible(queue, task_id, now + POSTPONE_MS, now)
                    continue
                task["status"] = st.IN_PROGRESS
                if not task.get("startTime"):
                    task["startTime"] = now
                task["callbackAfterSeconds"] = 0
                if worker_id:
                    task["workerId"] = worker_id
                task["pollCount"] = task.get("pollCount", 0) + 1
                name = task.get("taskDefName") or task["taskType"]
                handed[name] = handed.get(name, 0) + 1
                task["updateTime"] = now
                add_derived_fields(task)  # what the response shows is what is stored
                store.queue_set_visible(queue, task_id, lease_deadline(task, now), now)
                out.append(task)
            if rated:
                unit.on_commit(lambda: self._count_rate(handed, rated, now))
            if out:
                store.upsert_tasks(out)
        if out:
            metrics.count(metrics.TASK_POLL_COUNT, task_type, amount=len(out))
            if self.reveal is not None:
                out = self.reveal(out)
        return out

    def _limited(self, task: Task, now: int, handed: dict[str, int], rated: set[str]) -> bool:
        """Concurrency and rate limits of the task's definition (docs/reference.md#task-definitions)."""
        name = task.get("taskDefName") or task["taskType"]
        td = self.engine.metadata.task_def(name)
        if td is None:
            return False
        limit = td.get("concurrentExecLimit") or 0
        if limit > 0 and self.engine.store.count_in_progress(name) + handed.get(name, 0) >= limit:
            return True
        per = td.get("rateLimitPerFrequency") or 0
        freq = td.get("rateLimitFrequencyInSeconds") or 1
        if per > 0 and freq > 0:
            rated.add(name)
            window = self._rate[name]
            cutoff = now - freq * 1000
            while window and window[0] <= cutoff:
                window.popleft()
            # Tasks handed out by this poll count at once; the window keeps them only once committed.
            if len(window) + handed.get(name, 0) >= per:
                return True
        return False

    def _count_rate(self, handed: dict[str, int], rated: set[str], now: int) -> None:
        """Once a poll is committed, its tasks of rate-limited types enter their windows."""
        for name in rated:
            self._rate[name].extend([now] * handed.get(name, 0))

    # -- update -----------------------------------------------------------------------------
    def update(self, raw: Any) -> Task:
        """Apply a worker's TaskResult and decide the workflow (Conductor's task update). Returns the task.

        Should deciding the workflow fail (a bug, or a poison workflow), the worker's result is still
        kept: it is stored without a decide and the workflow left to the sweeper, which retries the decide
        with back-off and in the end fails the workflow (``service/decide_failures.py``).
        """
        result = check_task_result(raw)
        try:
            with self.engine.unit() as unit:
                return self.update_in(unit, result)
        except PodiumError:
            raise
        except Exception as e:
            log.warning("deciding after the update of task %s failed; the sweeper retries it: %s",
                        result.get("taskId"), describe(e),
                        extra=about(result.get("workflowInstanceId"), result.get("taskId")))  # fmt: skip
        with self.engine.unit() as unit:
            task = self.update_in(unit, result, decide=False)
            unit.store.set_next_check(task["workflowInstanceId"], unit.clock.now())
        return task

    def update_by_ref(
        self, workflow_id: str, ref: str, status: str, output: dict[str, Any], worker_id: str | None = None
    ) -> Task:
        """Complete (or fail, ...) the task of a reference name, the latest pending one first (as Conductor's
        update by reference).
        """
        if status not in st.TASK_RESULT_STATUSES:
            raise InvalidArgument(f"Invalid task status: {status}")
        with self.engine.unit() as unit:
            state = unit.load(workflow_id)
            task = task_by_ref(state.tasks, workflow_id, ref)
            result: dict[str, Any] = {
                "workflowInstanceId": workflow_id,
                "taskId": task["taskId"],
                "status": status,
                "outputData": output,
            }
            if worker_id:
                result["workerId"] = worker_id
            return self._update_loaded(unit, check_task_result(result), state, task)

    def update_state(
        self, workflow_id: str, variables: dict[str, Any] | None, ref: str | None, result: dict[str, Any] | None
    ) -> None:
        """Orkes' WorkflowStateUpdate: merge ``variables`` into the workflow's, then apply ``result`` to
        the task of reference ``ref`` (the latest pending one), in one unit of work, and decide."""
        with self.engine.unit() as unit:
            state = unit.load(workflow_id)
            wf = state.workflow
            if variables:
                merge_variables(wf, variables)
            if st.workflow_terminal(wf["status"]):
                # An ended workflow keeps its tasks as they are (a late result is ignored, as by update).
                wf["updateTime"] = unit.clock.now()
                unit.store.update_workflow(wf, None)
            elif ref and result is not None:
                task = task_by_ref(state.tasks, workflow_id, ref)
                checked = check_task_result({**result, "workflowInstanceId": workflow_id, "taskId": task["taskId"]})
                self._update_loaded(unit, checked, state, task)
            else:
                unit.decide(state)

    def update_in(self, unit: Unit, result: TaskResult, *, decide: bool = True) -> Task:
        """Apply a checked TaskResult in the caller's unit of work (and decide its workflow, unless told not to)."""
        store = unit.store
        # The result names its workflow: load it and its tasks once and find the task among them.
        loaded = unit.load_state(result["workflowInstanceId"])
        task = _find(loaded[1], result["taskId"]) if loaded is not None else None
        if task is None:
            found = store.get_task(result["taskId"])
            if found is None:
                raise NotFound(f"No such task found by id: {result['taskId']}")
            loaded = unit.load_state(found["workflowInstanceId"])
            task = _find(loaded[1], result["taskId"]) if loaded is not None else None
            if loaded is None or task is None:
                raise NotFound(f"No such workflow found by id: {found['workflowInstanceId']}")
        assert loaded is not None
        return self._update_loaded(unit, result, WorkflowState(*loaded), task, decide=decide)

    def _update_loaded(
        self, unit: Unit, result: TaskResult, state: WorkflowState, task: Task, *, decide: bool = True
    ) -> Task:
        """Apply a result to ``task``, one of the records of ``state`` loaded in this unit, and decide."""
        store = unit.store
        wf = state.workflow
        now = unit.clock.now()
        logs = result.get("logs") or []
        if logs:
            store.add_logs([_log(lg, task["taskId"], now) for lg in logs])
        if st.task_terminal(task["status"]) or st.workflow_terminal(wf["status"]):
            store.queue_remove(task_queue(task), task["taskId"])
            return task
        if result.get("extendLease"):
            store.queue_set_visible(task_queue(task), task["taskId"], lease_deadline(task, now), now)
            task["updateTime"] = now
            store.upsert_tasks([task])
            return task
        metrics.count(metrics.TASK_UPDATE, task["taskType"], result.get("status", st.IN_PROGRESS))
        result, external = self._within_limits(result, task, wf)
        self._apply(unit, task, result, now)
        if external is not None:
            mark_external(task, EXTERNAL_OUTPUT, *external)
            wf[EXTERNAL_FLAG] = True
        if decide:
            unit.decide(state, touched=[task])
        else:
            unit.save_task(task)
        return task

    def _within_limits(self, result: TaskResult, task: Task, wf: Workflow) -> tuple[TaskResult, tuple[str, int] | None]:
        """A worker's output over the limit fails the task instead, as Conductor does; what fits counts
        towards the execution's total (which the decide that follows checks).

        An output over Conductor's threshold is kept in the payload store (the path and its size are
        returned); an output the worker stored itself (``externalOutputPayloadStoragePath``) is read
        from there.
        """
        limits = self.engine.limits
        limit = limits.task_output_bytes
        external: tuple[str, int] | None = None
        given = result.get("externalOutputPayloadStoragePath")
        if given and not result.get("outputData"):  # the worker stored its output itself
            holder: dict[str, Any] = {}
            output = self.engine.payloads.adopt(holder, EXTERNAL_OUTPUT, given, limit)
            result = {**result, "outputData": output}
            external = (given, payload_size(output))
        output = result.get("outputData")
        if not output:
            return result, None
        size = payload_size(output)
        if size > limit:
            return {
                **result,
                "status": st.FAILED_WITH_TERMINAL_ERROR,
                "outputData": {},
                "reasonForIncompletion": output_too_large(task["taskId"], wf["workflowId"], size, limit),
            }, None
        if external is None and size > limits.task_output_threshold_bytes:
            holder = {}
            path = self.engine.payloads.externalize(holder, EXTERNAL_OUTPUT, PayloadType.TASK_OUTPUT, output, size)
            external = (path, size)
        wf["_payloadBytes"] = wf.get("_payloadBytes", 0) + size
        return result, external

    def _apply(self, unit: Unit, task: Task, result: TaskResult, now: int) -> None:
        queue = task_queue(task)
        worker = operator_for(task.get("workflowTask", {}).get("type", "SIMPLE")).worker
        move = apply_result(task, result, now, worker=worker)
        if move.remove:
            unit.store.queue_remove(queue, task["taskId"])
        elif move.requeue_after_ms is not None:
            delay = move.requeue_after_ms
            unit.store.queue_push(queue, task["taskId"], task.get("workflowPriority", 0), now + delay, now)
            unit.notify(queue, delay)

    # -- logs and queues --------------------------------------------------------------------
    def add_log(self, task_id: str, text: str) -> None:
        engine = self.engine
        if engine.store.get_task(task_id) is None:
            raise NotFound(f"No such task found by id: {task_id}")
        with engine.unit() as unit:
            unit.store.add_logs([{"taskId": task_id, "log": text, "createdTime": unit.clock.now()}])

    def logs(self, task_id: str) -> list[TaskExecLog]:
        return self.engine.store.get_logs(task_id)

    def get(self, task_id: str) -> Task:
        task = self.engine.store.get_task(task_id)
        if task is None:
            raise NotFound(f"No such task found by id: {task_id}")
        return task


def merge_variables(wf: Workflow, variables: Any) -> None:
    """Merge new values into ``workflow.variables`` (shallow, overwrite), within SET_VARIABLE's size limit."""
    if not isinstance(variables, dict):
        raise InvalidArgument("Workflow variables must be a JSON object")
    merged = {**(wf.get("variables") or {}), **variables}
    size = payload_size(merged)
    if size > MAX_VARIABLES_BYTES:
        raise InvalidArgument(f"The variables payload of {size} bytes exceeds the limit of {MAX_VARIABLES_BYTES} bytes")
    wf["variables"] = merged


def _find(tasks: list[Task], task_id: str) -> Task | None:
    return next((t for t in reversed(tasks) if t["taskId"] == task_id), None)


def _log(lg: Any, task_id: str, now: int) -> TaskExecLog:
    if isinstance(lg, dict):
        return {"taskId": task_id, "log": lg.get("log") or "", "createdTime": lg.get("createdTime") or now}
    return {"taskId": task_id, "log": lg, "createdTime": now}


# A TaskResult's optional fields and the JSON type each must have (Conductor's TaskResult).
_RESULT_STRINGS = ("reasonForIncompletion", "workerId", "externalOutputPayloadStoragePath", "subWorkflowId")
_RESULT_TYPES: tuple[tuple[str, type, str], ...] = (
    ("outputData", dict, "a JSON object"),
    ("executionMetadata", dict, "a JSON object"),
    ("extendLease", bool, "a boolean"),
    ("supportsCancellation", bool, "a boolean"),
    ("logs", list, "a list"),
    *((key, str, "a string") for key in _RESULT_STRINGS),
)
MAX_CALLBACK_SECONDS = 2**31 - 1  # ~68 years: anything longer cannot be meant, and ms arithmetic stays in 64 bits
_INT64 = 2**63 - 1


def check_task_result(raw: Any) -> TaskResult:
    """Type checks of Conductor's TaskResult; unknown fields pass, as Conductor's clients expect."""
    if not isinstance(raw, dict):
        raise InvalidArgument("TaskResult must be a JSON object")
    raw = {k: v for k, v in raw.items() if v is not None}
    errors: list[FieldError] = []
    for key in ("workflowInstanceId", "taskId"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            errors.append(FieldError(key, f"{key} cannot be null or empty", raw.get(key)))
    status = raw.get("status", st.IN_PROGRESS)
    if not isinstance(status, str) or status not in st.TASK_RESULT_STATUSES:
        errors.append(FieldError("status", f"Invalid task status: {status}", status))
    for key, kind, what in _RESULT_TYPES:
        if key in raw and not isinstance(raw[key], kind):
            errors.append(FieldError(key, f"{key} must be {what}", raw[key]))
    cb = raw.get("callbackAfterSeconds", 0)
    if not isinstance(cb, int) or isinstance(cb, bool) or not 0 <= cb <= MAX_CALLBACK_SECONDS:
        errors.append(
            FieldError(
                "callbackAfterSeconds", f"callbackAfterSeconds must be an integer from 0 to {MAX_CALLBACK_SECONDS}", cb
            )
        )
    logs = raw.get("logs")
    if logs and isinstance(logs, list):
        _check_logs(logs, errors)
    if errors:
        raise ValidationFailed(errors)
    return cast(TaskResult, raw)


def _check_logs(logs: list[Any], errors: list[FieldError]) -> None:
    """Each log is a TaskExecLog object ``{log, createdTime}`` or, leniently, a bare string."""
    for i, lg in enumerate(logs):
        if isinstance(lg, str):
            continue
        if not isinstance(lg, dict):
            errors.append(FieldError(f"logs[{i}]", "a log must be an object {log, createdTime} or a string", lg))
            continue
        text = lg.get("log")
        if text is not None and not isinstance(text, str):
            errors.append(FieldError(f"logs[{i}].log", "log must be a string", text))
        created = lg.get("createdTime")
        if created is not None and (
            not isinstance(created, int) or isinstance(created, bool) or not 0 <= created <= _INT64
        ):
            errors.append(
                FieldError(f"logs[{i}].createdTime", "createdTime must be an integer (epoch milliseconds)", created)
            )
