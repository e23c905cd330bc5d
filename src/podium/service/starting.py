"""Creating workflow executions (start, sub-workflows, failure workflows)."""

from __future__ import annotations

import copy
from typing import Any, cast

from podium.decider import WorkflowState
from podium.domain import statuses as st
from podium.domain.errors import Conflict, FieldError, InvalidArgument, NotFound, ValidationFailed
from podium.domain.limits import Limits
from podium.domain.model import EXTERNAL_FLAG, JSON, StartWorkflowRequest, Workflow, WorkflowDef
from podium.domain.payloads import EXTERNAL_INPUT, PayloadType, mark_external
from podium.domain.validation_limits import depth_error, payload_size
from podium.service.engine import Engine
from podium.service.unit import DecideNestingExceeded, Unit

# Orkes' idempotency strategies; FAIL is the default when only a key is given.
FAIL, RETURN_EXISTING, FAIL_ON_RUNNING = "FAIL", "RETURN_EXISTING", "FAIL_ON_RUNNING"
IDEMPOTENCY_STRATEGIES = (FAIL, RETURN_EXISTING, FAIL_ON_RUNNING)


def resolve_definition(engine: Engine, req: StartWorkflowRequest) -> WorkflowDef:
    """The definition a start request runs: inline, a pinned version, or the latest."""
    inline = req.get("workflowDef")
    if inline:
        return engine.metadata.prepare_workflow_def(inline)
    name = req.get("name")
    if not name:
        raise ValidationFailed([FieldError("name", "Workflow name cannot be null or empty", name)])
    version = req.get("version")
    wd = engine.metadata.workflow_def(name, version if version else None)
    if wd is None:
        suffix = f" and version: {version}" if version else ""
        raise NotFound(f"No such workflow found by name: {name}{suffix}")
    return wd


_START_STRINGS = (
    "correlationId",
    "createdBy",
    "idempotencyKey",
    "idempotencyStrategy",
    "name",
    "externalInputPayloadStoragePath",
)


def check_start_request(req: Any) -> StartWorkflowRequest:
    """Type checks of a StartWorkflowRequest (Conductor's field types)."""
    if not isinstance(req, dict):
        raise InvalidArgument("StartWorkflowRequest must be a JSON object")
    req = {k: v for k, v in req.items() if v is not None}
    errors: list[FieldError] = []
    if not req.get("name") and not req.get("workflowDef"):
        errors.append(FieldError("name", "Workflow name cannot be null or empty", req.get("name")))
    if "input" in req and not isinstance(req["input"], dict):
        errors.append(FieldError("input", "input must be a JSON object", req["input"]))
    if "taskToDomain" in req and (
        not isinstance(req["taskToDomain"], dict) or not all(isinstance(v, str) for v in req["taskToDomain"].values())
    ):
        errors.append(FieldError("taskToDomain", "taskToDomain must map task names to domain strings", None))
    prio = req.get("priority", 0)
    if not isinstance(prio, int) or isinstance(prio, bool) or not 0 <= prio <= 99:
        errors.append(FieldError("priority", "priority: Priority must be between 0 and 99", prio))
    version = req.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < 2**31):
        errors.append(FieldError("version", "version must be an integer from 0 to 2^31-1", version))
    if "workflowDef" in req and not isinstance(req["workflowDef"], dict):
        errors.append(FieldError("workflowDef", "workflowDef must be a JSON object", req["workflowDef"]))
    for key in _START_STRINGS:
        if key in req and not isinstance(req[key], str):
            errors.append(FieldError(key, f"{key} must be a string", req[key]))
    strategy = req.get("idempotencyStrategy")
    if strategy is not None and strategy not in IDEMPOTENCY_STRATEGIES:
        errors.append(
            FieldError(
                "idempotencyStrategy",
                f"idempotencyStrategy must be one of {', '.join(IDEMPOTENCY_STRATEGIES)}",
                strategy,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return cast(StartWorkflowRequest, req)


def claim_idempotency_key(unit: Unit, name: str, req: StartWorkflowRequest, workflow_id: str) -> str | None:
    """Give the request's ``idempotencyKey`` (scoped to the workflow name) to ``workflow_id``; returns the id
    of the workflow to answer with instead of starting one (RETURN_EXISTING), or raises Conflict (FAIL, the
    default, whatever the holder's status; FAIL_ON_RUNNING while the holder runs). The store's unique key
    decides between concurrent starts, on every node: one of them claims it, the others see its holder."""
    key = req.get("idempotencyKey")
    if not key:
        return None
    strategy = req.get("idempotencyStrategy") or FAIL
    store = unit.store
    for _ in range(3):  # a FAIL_ON_RUNNING takeover may race another one
        holder = store.claim_idempotency_key(name, key, workflow_id)
        if holder == workflow_id:
            return None
        if strategy == RETURN_EXISTING:
            return holder
        if strategy == FAIL_ON_RUNNING:
            wf = store.get_workflow(holder)
            if wf is None or st.workflow_terminal(wf["status"]):
                if store.replace_idempotency_key(name, key, holder, workflow_id):
                    return None
                continue
            raise Conflict(f"Workflow {name} with idempotencyKey '{key}' is already running: {holder}")
        raise Conflict(f"Workflow {name} with idempotencyKey '{key}' already exists: {holder}")
    raise Conflict(f"Workflow {name} with idempotencyKey '{key}' is being started by another request")


def check_input_limits(limits: Limits, inp: Any) -> int:
    """A 400 for a start input nested too deep or over the size limit (issue #12); returns its size."""
    if not inp:
        return 0
    problem = depth_error(inp, "input", limits)
    if problem is not None:
        raise ValidationFailed([problem])
    size = payload_size(inp)
    if size > limits.workflow_input_bytes:
        raise ValidationFailed(
            [
                FieldError(
                    "input",
                    f"The input payload size: {size} bytes is greater than the permissible limit: "
                    f"{limits.workflow_input_bytes} bytes (PODIUM_LIMIT_WORKFLOW_INPUT_BYTES)",
                )
            ]
        )
    return size


def new_workflow(
    unit: Unit,
    wd: WorkflowDef,
    req: StartWorkflowRequest,
    *,
    workflow_id: str | None = None,
    parent_id: str | None = None,
    parent_task_id: str | None = None,
    event: str | None = None,
    input_size: int | None = None,
) -> WorkflowState:
    """Create, persist and decide a new execution in the caller's unit of work (``input_size``: the
    request input's size when the caller measured it)."""
    now = unit.clock.now()
    inp: JSON = dict(req.get("input") or {})
    payloads = unit.engine.payloads
    given = req.get("externalInputPayloadStoragePath")
    if given and not inp:  # the client stored the input itself (docs/architecture.md#external-payloads)
        inp = payloads.adopt({}, EXTERNAL_INPUT, given, unit.engine.limits.workflow_input_bytes)
    for k, v in (wd.get("inputTemplate") or {}).items():
        inp.setdefault(k, copy.deepcopy(v))
    wf: Workflow = {
        "workflowId": workflow_id or unit.engine.new_id(),
        "status": st.RUNNING,
        "createTime": now,
        "updateTime": now,
        "startTime": now,
        "endTime": 0,
        "tasks": [],
        "input": inp,
        "output": {},
        "taskToDomain": dict(req.get("taskToDomain") or {}),
        "failedReferenceTaskNames": [],
        "failedTaskNames": [],
        "workflowDefinition": wd,
        "priority": req.get("priority", 0) or 0,
        "variables": copy.deepcopy(wd.get("variables") or {}),
        "lastRetriedTime": 0,
        "history": [],
        "workflowName": wd["name"],
        "workflowVersion": wd.get("version", 1),
    }
    for key in ("correlationId", "createdBy", "idempotencyKey"):
        val = req.get(key)
        if val:
            wf[key] = val  # type: ignore[typeddict-item]
    if input_size is None or given or wd.get("inputTemplate"):
        input_size = payload_size(inp) if inp else 0
    size = input_size
    if size > unit.engine.limits.workflow_input_threshold_bytes:
        if given and not req.get("input"):
            mark_external(wf, EXTERNAL_INPUT, given, size)
        else:
            payloads.externalize(wf, EXTERNAL_INPUT, PayloadType.WORKFLOW_INPUT, inp, size)
        wf[EXTERNAL_FLAG] = True
    if parent_id:
        wf["parentWorkflowId"] = parent_id
    if parent_task_id:
        wf["parentWorkflowTaskId"] = parent_task_id
    if event:
        wf["event"] = event
    state = WorkflowState(wf, [])
    unit.decide(state, new=True)
    return state


def start(engine: Engine, raw: Any) -> str:
    """POST /api/workflow: validate, create and run the first decide — one transaction."""
    req = check_start_request(raw)
    input_size = check_input_limits(engine.limits, req.get("input"))
    wd = resolve_definition(engine, req)
    try:
        with engine.unit() as unit:
            workflow_id = engine.new_id()
            existing = claim_idempotency_key(unit, wd["name"], req, workflow_id)
            if existing is not None:
                return existing
            state = new_workflow(unit, wd, req, workflow_id=workflow_id, input_size=input_size)
    except DecideNestingExceeded as e:
        raise InvalidArgument(e.message) from None
    return state.workflow_id
