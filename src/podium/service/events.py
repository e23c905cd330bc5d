"""Event handlers (Conductor's event handlers, docs/compatibility.md#events-apievent-apiqueue):
CRUD, the internal ``conductor`` event queue and handler actions.

EVENT tasks publish through the ``publish_event`` effect (same transaction as the decision); the
system-task runner calls :meth:`EventService.process` to deliver queued messages to the active
handlers of their queue. Each action runs in one transaction together with its EventExecution
record, so a message delivered twice (crash before the ack) does not repeat completed actions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import orjson

from podium.decider import WorkflowState
from podium.decider.lookup import task_by_ref
from podium.decider.operators.integration import PUBLISH_EVENT
from podium.decider.operators.system import TASK_LOGS_EFFECT
from podium.decider.outcome import Effect
from podium.domain import statuses as st
from podium.domain.errors import BackendUnavailable, Conflict, InvalidArgument, NotFound, PodiumError, ValidationFailed
from podium.domain.model import JSON, EventHandler, StartWorkflowRequest, Task
from podium.domain.validation import validate_event_handler
from podium.expr import ResolutionContext, resolve
from podium.expr.pending import EvaluationPending
from podium.logs import about
from podium.service import metrics
from podium.service.engine import Engine
from podium.service.event_limits import ActionRateLimit
from podium.service.tasks import TaskService, check_task_result
from podium.service.unit import Unit

log = logging.getLogger("podium.events")

# Notifier channel that wakes the event processor when a message is published.
EVENTS_SIGNAL: Final = "_podium:events"
# Internal queues behind /api/queue/update (Conductor's status queues), one per task status.
STATUS_QUEUES: Final = {st.COMPLETED: "conductor_COMPLETED", st.FAILED: "conductor_FAILED"}
_STATUS_OF_QUEUE: Final = {q: s for s, q in STATUS_QUEUES.items()}
_ACTION_STATUS: Final = {"complete_task": st.COMPLETED, "fail_task": st.FAILED}

JsEvaluator = Callable[[str, Mapping[str, Any]], Any]


def install(engine: Engine) -> None:
    """Register the effect handlers of EVENT tasks and script logs on an engine."""
    engine.effect_handlers.setdefault(PUBLISH_EVENT, _publish_effect)
    engine.effect_handlers.setdefault(TASK_LOGS_EFFECT, _task_logs_effect)


def publish(unit: Unit, queue: str, message_id: str, payload: Any) -> None:
    """Put a message on an internal queue (in the caller's unit) and wake the processor after commit."""
    text = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()
    unit.store.event_publish(queue, message_id, text, unit.clock.now())
    unit.notify(EVENTS_SIGNAL)


def _publish_effect(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    publish(unit, eff.data["queue"], eff.data["message_id"], eff.data["payload"])


def _task_logs_effect(unit: Unit, state: WorkflowState, eff: Effect) -> None:
    if eff.task is None:
        return
    now = unit.clock.now()
    task_id = eff.task["taskId"]
    unit.store.add_logs([{"taskId": task_id, "log": str(line), "createdTime": now} for line in eff.data["lines"]])


class EventService:
    """Handler definitions and message delivery; one transaction per write."""

    def __init__(
        self,
        engine: Engine,
        tasks: TaskService,
        *,
        js: JsEvaluator | None = None,
        js_syntax_check: Callable[[str], str | None] | None = None,
    ) -> None:
        from podium.expr import javascript

        self.engine = engine
        self.tasks = tasks
        self.store = engine.store
        # The engine's evaluator (processes, on a server) unless one is given.
        self._js: JsEvaluator = js or engine.env.js or javascript.evaluate
        self._js_check = js_syntax_check or javascript.check_syntax
        self._rate = ActionRateLimit(engine.limits.event_actions_per_second)

    # -- handler definitions --------------------------------------------------------------
    def add(self, raw: Any) -> None:
        eh = self._prepare(raw)
        with self.store.transaction():
            if self.store.get_event_handler(eh["name"]) is not None:
                raise Conflict(f"EventHandler with name {eh['name']} already exists!")
            self.store.put_event_handler(eh)

    def update(self, raw: Any) -> None:
        eh = self._prepare(raw)
        with self.store.transaction():
            if self.store.get_event_handler(eh["name"]) is None:
                raise NotFound(f"EventHandler with name {eh['name']} not found!")
            self.store.put_event_handler(eh)

    def delete(self, name: str) -> None:
        with self.store.transaction():
            if not self.store.delete_event_handler(name):
                raise NotFound(f"EventHandler with name {name} not found!")

    def all(self) -> list[EventHandler]:
        return self.store.list_event_handlers()

    def for_event(self, event: str, active_only: bool = True) -> list[EventHandler]:
        handlers = self.store.list_event_handlers(event)
        return [h for h in handlers if h.get("active")] if active_only else handlers

    def _prepare(self, raw: Any) -> EventHandler:
        if not isinstance(raw, dict):
            raise InvalidArgument("EventHandler must be a JSON object")
        raw = {k: v for k, v in raw.items() if v is not None}
        errors = validate_event_handler(raw, js_syntax_check=self._js_check)
        if errors:
            raise ValidationFailed(errors)
        eh = cast(EventHandler, raw)
        eh["active"] = bool(raw.get("active", False))
        eh["actions"] = [{**a, "expandInlineJSON": bool(a.get("expandInlineJSON"))} for a in raw["actions"]]  # type: ignore[typeddict-item]
        return eh

    # -- delivery -------------------------------------------------------------------------
    def process(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` queued messages; returns how many were taken off the queue."""
        done = 0
        for seq, queue, message_id, text in self.store.event_peek(limit, self.engine.clock.now()):
            try:
                self._deliver(queue, message_id, text)
            except BackendUnavailable as e:  # transient: leave the message for the next round
                log.warning("event %s on %s will be retried: %s", message_id, queue, e.message)
                break
            except EvaluationPending:  # a condition still runs in an evaluator: deliver it next round
                break
            with self.store.transaction():
                self.store.event_ack(seq)
            done += 1
        return done

    def _deliver(self, queue: str, message_id: str, text: str) -> None:
        try:
            payload: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            payload = text
        status = _STATUS_OF_QUEUE.get(queue)
        if status is not None:
            self._status_update(status, payload)
            return
        for eh in self.store.list_event_handlers(queue):
            if eh.get("active"):
                self._run_handler(eh, message_id, payload, text)

    def _run_handler(self, eh: EventHandler, message_id: str, payload: Any, text: str) -> None:
        now = self.engine.clock.now()
        condition = (eh.get("condition") or "").strip()
        if condition:
            try:
                matched = self._condition(eh, condition, payload)
            except Exception as e:
                self._record(eh, message_id, 0, "", st.FAILED, {"error": _message(e), "condition": condition}, now)
                return
            if not matched:
                self._record(eh, message_id, 0, "", st.SKIPPED, {"msg": text, "condition": condition}, now)
                return
        for i, action in enumerate(eh.get("actions") or []):
            key = _key(eh, message_id, i)
            prior = self.store.get_event_execution(key)
            if prior is not None and prior.get("status") == st.COMPLETED:
                continue  # delivered before; the ack was lost
            kind = action.get("action", "")
            if not self._rate.allow(eh.get("name", ""), now):
                continue  # dropped (and counted): the message is acknowledged all the same
            try:
                with self.engine.unit() as unit:
                    output = self._action(unit, eh, cast(JSON, action), message_id, payload)
                    self._record(eh, message_id, i, kind, st.COMPLETED, output, now)
            except BackendUnavailable:
                raise
            except PodiumError as e:
                self._record(eh, message_id, i, kind, st.FAILED, {"error": e.message}, now)
            except Exception as e:
                log.exception("event handler %s action %s failed", eh.get("name"), kind)
                self._record(eh, message_id, i, kind, st.FAILED, {"error": _message(e)}, now)

    def _condition(self, eh: EventHandler, condition: str, payload: Any) -> bool:
        if eh.get("evaluatorType") == "value-param":
            return _truthy(payload.get(condition) if isinstance(payload, dict) else None)
        return _truthy(self._js(condition, payload if isinstance(payload, dict) else {"value": payload}))

    def _record(
        self, eh: EventHandler, message_id: str, i: int, action: str, status: str, output: JSON, now: int
    ) -> None:
        execution: JSON = {
            "id": f"{message_id}_{i}",
            "messageId": message_id,
            "name": eh.get("name", ""),
            "event": eh.get("event", ""),
            "created": now,
            "status": status,
            "output": output,
        }
        if action:
            execution["action"] = action
        with self.store.transaction():
            self.store.put_event_execution(_key(eh, message_id, i), execution)

    def executions(self, handler_name: str, limit: int = 100) -> list[JSON]:
        """The latest EventExecutions of a handler, newest first."""
        return self.store.list_event_executions(handler_name, limit)

    # -- actions --------------------------------------------------------------------------
    def _action(self, unit: Unit, eh: EventHandler, action: JSON, message_id: str, payload: Any) -> JSON:
        kind = action.get("action")
        doc = expand_inline_json(payload) if action.get("expandInlineJSON") else payload
        ctx = ResolutionContext.from_document(doc if isinstance(doc, dict) else {})
        params = resolve(action.get(kind) or {}, ctx) if isinstance(kind, str) else {}
        if not isinstance(params, dict):
            raise InvalidArgument(f"Action {kind} parameters must be an object")
        marks = {"conductor.event.messageId": message_id, "conductor.event.name": eh.get("event", "")}
        if kind == "start_workflow":
            return self._start_workflow(unit, eh, params, marks, payload)
        status = _ACTION_STATUS.get(str(kind))
        if status is None:
            raise InvalidArgument(f"Action {kind} is not supported")
        task = self._locate(params)
        output = params.get("output")
        out: JSON = {**(output if isinstance(output, dict) else {}), **marks}
        result: JSON = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task["taskId"],
            "status": status,
            "outputData": out,
        }
        reason = params.get("reasonForIncompletion")
        if isinstance(reason, str) and reason:
            result["reasonForIncompletion"] = reason
        self.tasks.update_in(unit, check_task_result(result))
        ref = task["referenceTaskName"]
        return {"workflowId": task["workflowInstanceId"], "taskId": task["taskId"], "taskRefName": ref}

    def _start_workflow(self, unit: Unit, eh: EventHandler, params: JSON, marks: JSON, payload: Any) -> JSON:
        from podium.service.starting import check_start_request, new_workflow, resolve_definition

        depth = self._chain_depth(eh, payload)

        inp = params.get("input")
        req: JSON = {"name": params.get("name"), "input": {**(inp if isinstance(inp, dict) else {}), **marks}}
        version = params.get("version")
        if isinstance(version, str) and version.strip().isdigit():
            version = int(version)
        if isinstance(version, int) and not isinstance(version, bool) and version > 0:
            req["version"] = version
        for key in ("correlationId", "taskToDomain", "priority"):
            if params.get(key) not in (None, "", {}):
                req[key] = params[key]
        request: StartWorkflowRequest = check_start_request(req)
        wd = resolve_definition(self.engine, request)
        state = new_workflow(unit, wd, request, event=eh.get("event"))
        unit.store.set_event_depth(state.workflow_id, depth)
        return {"workflowId": state.workflow_id}

    def _chain_depth(self, eh: EventHandler, payload: Any) -> int:
        """The chain depth of a workflow this action would start: one more than the workflow that
        published the message (an EVENT task's message names it); refused past the limit."""
        publisher = payload.get("workflowInstanceId") if isinstance(payload, dict) else None
        depth = 1 + (self.store.event_depth(publisher) if isinstance(publisher, str) and publisher else 0)
        limit = self.engine.limits.event_chain_depth
        if depth > limit:
            name = eh.get("name", "")
            metrics.count(metrics.EVENT_ACTION_REFUSED, name, "chain_depth")
            log.warning(
                "event handler %s: not starting a workflow for %s, chain of event-started workflows %d deep",
                name, publisher, depth,
            )  # fmt: skip
            raise Conflict(
                f"Event handler {name} would start a workflow {depth} deep in a chain of event-started "
                f"workflows (limit {limit}, PODIUM_LIMIT_EVENT_CHAIN_DEPTH); it looks like an event loop"
            )
        return depth

    def _locate(self, params: JSON) -> Task:
        task_id = params.get("taskId")
        if isinstance(task_id, str) and task_id:
            task = self.store.get_task(task_id)
            if task is None:
                raise NotFound(f"No such task found by id: {task_id}")
            return task
        workflow_id, ref = params.get("workflowId"), params.get("taskRefName")
        if not isinstance(workflow_id, str) or not workflow_id or not isinstance(ref, str) or not ref:
            raise InvalidArgument("The action needs 'taskId' or 'workflowId' + 'taskRefName'")
        return task_by_ref(self.store.get_tasks(workflow_id), workflow_id, ref)

    # -- /api/queue (status queues) -------------------------------------------------------
    def publish_status_update(
        self, workflow_id: str, status: str, output: JSON, *, ref: str | None = None, task_id: str | None = None
    ) -> None:
        """Queue a message that moves a pending task of a workflow to ``status``."""
        queue = STATUS_QUEUES.get(status)
        if queue is None:
            raise InvalidArgument(f"Status must be one of {', '.join(STATUS_QUEUES)}, got {status}")
        payload: JSON = {"workflowId": workflow_id, "output": output}
        if ref:
            payload["taskRefName"] = ref
        if task_id:
            payload["taskId"] = task_id
        with self.engine.unit() as unit:
            publish(unit, queue, self.engine.new_id(), payload)

    def queue_sizes(self) -> dict[str, int]:
        sizes = self.store.event_queue_sizes()
        return {q: sizes.get(q, 0) for q in STATUS_QUEUES.values()}

    def _status_update(self, status: str, payload: Any) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("workflowId"), str):
            log.warning("dropping malformed status message %r", payload)
            return
        wid: str = payload["workflowId"]
        tasks = self.store.get_tasks(wid)
        task: Task | None
        if payload.get("taskId"):
            task = next((t for t in tasks if t["taskId"] == payload["taskId"]), None)
        elif payload.get("taskRefName"):
            try:
                task = task_by_ref(tasks, wid, str(payload["taskRefName"]))
            except NotFound:
                task = None
        else:
            task = next((t for t in tasks if t["taskType"] == "WAIT" and not st.task_terminal(t["status"])), None)
        if task is None or st.task_terminal(task["status"]):
            log.info("status message for %s matched no pending task", wid, extra=about(wid))
            return
        output = payload.get("output")
        result: JSON = {
            "workflowInstanceId": wid,
            "taskId": task["taskId"],
            "status": status,
            "outputData": output if isinstance(output, dict) else {},
        }
        try:
            self.tasks.update(result)
        except BackendUnavailable:
            raise  # the message stays queued for the next round
        except PodiumError as e:
            log.info("status message for %s not applied: %s", wid, e.message, extra=about(wid))


def expand_inline_json(value: Any) -> Any:
    """Strings holding a JSON object or array are parsed (recursively); everything else is kept."""
    if isinstance(value, dict):
        return {k: expand_inline_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_inline_json(v) for v in value]
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "["):
            try:
                return expand_inline_json(orjson.loads(s))
            except orjson.JSONDecodeError:
                return value
    return value


def _truthy(v: Any) -> bool:
    """JavaScript truthiness of a JSON value."""
    if isinstance(v, float) and v != v:  # NaN
        return False
    return v not in (None, False, 0, "") or isinstance(v, dict | list)


def _key(eh: EventHandler, message_id: str, i: int) -> str:
    return f"{eh.get('name', '')}:{message_id}_{i}"


def _message(e: BaseException) -> str:
    msg = getattr(e, "message", None)
    return msg if isinstance(msg, str) and msg else (str(e) or type(e).__name__)
