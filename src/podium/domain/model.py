"""Conductor's wire shapes as typed dictionaries.

Executions and definitions are kept as plain JSON-shaped dicts with Conductor's camelCase keys:
they come from and go to JSON (HTTP and the store) without conversion, and mypy still checks the
keys. Fixed-shape fields are never set to None; an absent key is Conductor's omitted null. Free-form
maps (input, output, variables, ...) are ``dict[str, Any]`` and keep their nulls.
"""

from __future__ import annotations

from typing import Any, Final, TypedDict, cast

JSON = dict[str, Any]


class TaskDef(TypedDict, total=False):
    """A registered task type (docs/reference.md#task-definitions)."""

    name: str
    description: str
    retryCount: int
    timeoutSeconds: int
    totalTimeoutSeconds: int
    timeoutPolicy: str
    retryLogic: str
    retryDelaySeconds: int
    backoffScaleFactor: int
    maxRetryDelaySeconds: int
    backoffJitterMs: int
    responseTimeoutSeconds: int
    pollTimeoutSeconds: int
    rateLimitPerFrequency: int
    rateLimitFrequencyInSeconds: int
    concurrentExecLimit: int
    inputKeys: list[str]
    outputKeys: list[str]
    inputTemplate: JSON
    ownerEmail: str
    isolationGroupId: str
    executionNameSpace: str
    runtimeMetadata: list[str]
    taskStatusListenerEnabled: bool
    inputSchema: JSON
    outputSchema: JSON
    enforceSchema: bool
    baseType: str
    createTime: int
    updateTime: int
    createdBy: str
    updatedBy: str
    ownerApp: str


class WorkflowTask(TypedDict, total=False):
    """A node of a workflow definition (docs/reference.md#tasks-in-a-definition)."""

    name: str
    taskReferenceName: str
    type: str
    description: str
    inputParameters: JSON
    optional: bool
    startDelay: int
    asyncComplete: bool
    retryCount: int
    taskDefinition: TaskDef
    rateLimited: bool
    permissive: bool
    metadata: JSON
    # SWITCH / DECISION
    evaluatorType: str
    expression: str
    caseValueParam: str
    caseExpression: str
    decisionCases: dict[str, list[WorkflowTask]]
    defaultCase: list[WorkflowTask]
    scriptExpression: str
    # FORK / JOIN
    forkTasks: list[list[WorkflowTask]]
    joinOn: list[str]
    defaultExclusiveJoinTask: list[str]
    joinStatus: str
    joinMode: str
    # DO_WHILE
    loopCondition: str
    loopOver: list[WorkflowTask]
    items: Any
    # DYNAMIC / FORK_JOIN_DYNAMIC
    dynamicTaskNameParam: str
    dynamicForkTasksParam: str
    dynamicForkTasksInputParamName: str
    dynamicForkJoinTasksParam: str
    # SUB_WORKFLOW / EVENT
    subWorkflowParam: JSON
    sink: str
    onStateChange: JSON
    cacheConfig: JSON


class WorkflowDef(TypedDict, total=False):
    """A versioned workflow definition (docs/reference.md#the-workflow-definition)."""

    name: str
    description: str
    version: int
    tasks: list[WorkflowTask]
    inputParameters: list[str]
    outputParameters: JSON
    failureWorkflow: str
    failureWorkflowVersion: int
    schemaVersion: int
    restartable: bool
    timeoutPolicy: str
    timeoutSeconds: int
    variables: JSON
    inputTemplate: JSON
    ownerEmail: str
    workflowStatusListenerEnabled: bool
    workflowStatusListenerSink: str
    inputSchema: JSON
    outputSchema: JSON
    enforceSchema: bool
    metadata: JSON
    rateLimitConfig: JSON
    cacheConfig: JSON
    maskedFields: list[str]
    createTime: int
    updateTime: int
    createdBy: str
    updatedBy: str
    ownerApp: str


class TaskExecLog(TypedDict, total=False):
    """One task log line (Conductor's TaskExecLog)."""

    log: str
    taskId: str
    createdTime: int


class Task(TypedDict, total=False):
    """A task execution record (Conductor's Task)."""

    taskId: str
    taskType: str
    status: str
    inputData: JSON
    referenceTaskName: str
    retryCount: int
    seq: int
    correlationId: str
    pollCount: int
    taskDefName: str
    scheduledTime: int
    startTime: int
    endTime: int
    updateTime: int
    startDelayInSeconds: int
    retriedTaskId: str
    retried: bool
    executed: bool
    callbackFromWorker: bool
    responseTimeoutSeconds: int
    workflowInstanceId: str
    workflowType: str
    reasonForIncompletion: str
    callbackAfterSeconds: int
    workerId: str
    outputData: JSON
    workflowTask: WorkflowTask
    domain: str
    rateLimitPerFrequency: int
    rateLimitFrequencyInSeconds: int
    externalInputPayloadStoragePath: str
    externalOutputPayloadStoragePath: str
    workflowPriority: int
    executionNameSpace: str
    isolationGroupId: str
    iteration: int
    subWorkflowId: str
    subworkflowChanged: bool
    firstStartTime: int
    parentTaskId: str
    executionMetadata: JSON
    runtimeMetadata: JSON
    queueWaitTime: int
    loopOverTask: bool
    taskDefinition: TaskDef


class Workflow(TypedDict, total=False):
    """A workflow execution (Conductor's Workflow)."""

    # Podium's bookkeeping: bytes of every task input and output stored so far (PODIUM_LIMIT_WORKFLOW_TOTAL_BYTES).
    _payloadBytes: int
    _externalPayloads: bool  # see EXTERNAL_FLAG
    workflowId: str
    status: str
    createTime: int
    updateTime: int
    startTime: int
    endTime: int
    createdBy: str
    updatedBy: str
    ownerApp: str
    parentWorkflowId: str
    parentWorkflowTaskId: str
    tasks: list[Task]
    input: JSON
    output: JSON
    correlationId: str
    reRunFromWorkflowId: str
    reasonForIncompletion: str
    event: str
    taskToDomain: dict[str, str]
    failedReferenceTaskNames: list[str]
    failedTaskNames: list[str]
    workflowDefinition: WorkflowDef
    externalInputPayloadStoragePath: str
    externalOutputPayloadStoragePath: str
    priority: int
    variables: JSON
    lastRetriedTime: int
    history: list[JSON]
    idempotencyKey: str
    rateLimitKey: str
    rateLimited: bool
    workflowName: str
    workflowVersion: int


class TaskResult(TypedDict, total=False):
    """Body of a task update (Conductor's TaskResult)."""

    workflowInstanceId: str
    taskId: str
    status: str
    outputData: JSON
    reasonForIncompletion: str
    callbackAfterSeconds: int
    workerId: str
    logs: list[TaskExecLog]
    externalOutputPayloadStoragePath: str
    subWorkflowId: str
    extendLease: bool
    executionMetadata: JSON
    supportsCancellation: bool


class StartWorkflowRequest(TypedDict, total=False):
    """Body of POST /api/workflow (Conductor's StartWorkflowRequest)."""

    name: str
    version: int
    correlationId: str
    input: JSON
    taskToDomain: dict[str, str]
    workflowDef: WorkflowDef
    externalInputPayloadStoragePath: str
    priority: int
    createdBy: str
    idempotencyKey: str
    idempotencyStrategy: str


class RerunWorkflowRequest(TypedDict, total=False):
    """Body of POST /api/workflow/{id}/rerun."""

    reRunFromWorkflowId: str
    workflowInput: JSON
    reRunFromTaskId: str
    taskInput: JSON
    correlationId: str


class SkipTaskRequest(TypedDict, total=False):
    """Body of PUT /api/workflow/{id}/skiptask/{ref}."""

    taskInput: JSON
    taskOutput: JSON


class PollData(TypedDict, total=False):
    """The last poll of one worker on one queue."""

    queueName: str
    domain: str
    workerId: str
    lastPollTime: int


class EventHandlerAction(TypedDict, total=False):
    """One action of an event handler (Conductor's start_workflow, complete_task or fail_task)."""

    action: str
    start_workflow: JSON
    complete_task: JSON
    fail_task: JSON
    expandInlineJSON: bool
    terminate_workflow: JSON
    update_workflow_variables: JSON


class EventHandler(TypedDict, total=False):
    """An event handler (Conductor's EventHandler)."""

    name: str
    event: str
    condition: str
    evaluatorType: str
    active: bool
    actions: list[EventHandlerAction]


def add_derived_fields(t: Task) -> Task:
    """Set Conductor's derived task properties (queueWaitTime, loopOverTask) from the record."""
    start = t.get("startTime", 0)
    sched = t.get("scheduledTime", 0)
    t["queueWaitTime"] = max(0, start - sched) if start and sched else 0
    t["loopOverTask"] = t.get("iteration", 0) > 0
    return t


PAYLOAD_BYTES: Final = "_payloadBytes"
EXTERNAL_FLAG: Final = "_externalPayloads"
"""Set on a workflow record when it or one of its tasks has an external payload (a cheap test on load)."""
_HIDDEN: Final = (PAYLOAD_BYTES, EXTERNAL_FLAG)


def public_workflow(wf: Workflow) -> Workflow:
    """The workflow as the API shows it: without Podium's own bookkeeping fields (a copy only if it has any)."""
    if PAYLOAD_BYTES not in wf and EXTERNAL_FLAG not in wf:
        return wf
    shown = cast(Workflow, {k: v for k, v in wf.items() if k not in _HIDDEN})
    return shown
