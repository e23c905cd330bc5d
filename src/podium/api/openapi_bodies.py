"""The request bodies as OpenAPI documents them (the routes read raw bodies, so FastAPI cannot infer them).

Documentation only: parsing stays hand-written (fast lane, services, shapes.py), and these schemas say
what that parsing accepts — unknown fields are allowed everywhere, ``null`` counts as absent.
"""

from __future__ import annotations

from typing import Any, Final

from podium.domain import statuses as st

Schema = dict[str, Any]

INT64_MAX: Final = 2**63 - 1


def _int(minimum: int = 0, maximum: int = INT64_MAX) -> Schema:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def _obj(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": True}
    if required:
        schema["required"] = list(required)
    return schema


STRING: Final[Schema] = {"type": "string"}
BOOL: Final[Schema] = {"type": "boolean"}
ANY_OBJECT: Final[Schema] = {"type": "object", "additionalProperties": True}
STRING_LIST: Final[Schema] = {"type": "array", "items": STRING}
STRING_MAP: Final[Schema] = {"type": "object", "additionalProperties": STRING}

TASK_RESULT: Final = _obj(
    {
        "workflowInstanceId": {"type": "string", "minLength": 1},
        "taskId": {"type": "string", "minLength": 1},
        "status": {"type": "string", "enum": sorted(st.TASK_RESULT_STATUSES)},
        "outputData": ANY_OBJECT,
        "reasonForIncompletion": STRING,
        "callbackAfterSeconds": _int(0, 2**31 - 1),
        "workerId": STRING,
        "logs": {
            "type": "array",
            "items": {"oneOf": [STRING, _obj({"log": STRING, "taskId": STRING, "createdTime": _int()})]},
        },
        "externalOutputPayloadStoragePath": STRING,
        "subWorkflowId": STRING,
        "extendLease": BOOL,
        "executionMetadata": ANY_OBJECT,
        "supportsCancellation": BOOL,
    },
    required=("workflowInstanceId", "taskId"),
)

TASK_DEF: Final = _obj(
    {
        "name": {"type": "string", "minLength": 1},
        "description": STRING,
        "ownerEmail": STRING,
        "retryCount": _int(),
        "timeoutSeconds": _int(),
        "totalTimeoutSeconds": _int(),
        "responseTimeoutSeconds": _int(1),
        "pollTimeoutSeconds": _int(),
        "retryDelaySeconds": _int(),
        "maxRetryDelaySeconds": _int(),
        "backoffScaleFactor": _int(1),
        "backoffJitterMs": _int(),
        "rateLimitPerFrequency": _int(),
        "rateLimitFrequencyInSeconds": _int(),
        "concurrentExecLimit": _int(),
        "timeoutPolicy": {"type": "string", "enum": ["RETRY", "TIME_OUT_WF", "ALERT_ONLY"]},
        "retryLogic": {"type": "string", "enum": ["FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF"]},
        "inputKeys": STRING_LIST,
        "outputKeys": STRING_LIST,
        "inputTemplate": ANY_OBJECT,
        "isolationGroupId": STRING,
        "executionNameSpace": STRING,
    },
    required=("name",),
)

WORKFLOW_TASK: Final = _obj(
    {
        "name": {"type": "string", "minLength": 1},
        "taskReferenceName": {"type": "string", "minLength": 1},
        "type": STRING,
        "description": STRING,
        "inputParameters": ANY_OBJECT,
        "optional": BOOL,
        "asyncComplete": BOOL,
        "startDelay": _int(),
        "retryCount": _int(),
        # Operators nest WorkflowTask lists (forkTasks, decisionCases, loopOver, ...): described loosely.
        "taskDefinition": ANY_OBJECT,
    },
    required=("name", "taskReferenceName"),
)

WORKFLOW_DEF: Final = _obj(
    {
        "name": {"type": "string", "minLength": 1},
        "description": STRING,
        "version": _int(),
        "tasks": {"type": "array", "items": WORKFLOW_TASK, "minItems": 1},
        "inputParameters": STRING_LIST,
        "outputParameters": ANY_OBJECT,
        "failureWorkflow": STRING,
        "schemaVersion": {"type": "integer", "enum": [2]},
        "restartable": BOOL,
        "workflowStatusListenerEnabled": BOOL,
        "ownerEmail": STRING,
        "timeoutPolicy": {"type": "string", "enum": ["TIME_OUT_WF", "ALERT_ONLY"]},
        "timeoutSeconds": _int(),
        "variables": ANY_OBJECT,
        "inputTemplate": ANY_OBJECT,
    },
    required=("name", "tasks"),
)

START_WORKFLOW_REQUEST: Final = _obj(
    {
        "name": STRING,
        "version": _int(0, 2**31 - 1),
        "correlationId": STRING,
        "input": ANY_OBJECT,
        "taskToDomain": STRING_MAP,
        "workflowDef": WORKFLOW_DEF,
        "externalInputPayloadStoragePath": STRING,
        "priority": _int(0, 99),
        "createdBy": STRING,
        "idempotencyKey": STRING,
        "idempotencyStrategy": {"type": "string", "enum": ["FAIL", "RETURN_EXISTING", "FAIL_ON_RUNNING"]},
    }
)

EVENT_HANDLER: Final = _obj(
    {
        "name": {"type": "string", "minLength": 1},
        "event": {"type": "string", "minLength": 1},
        "condition": STRING,
        "evaluatorType": {"type": "string", "enum": ["javascript", "graaljs", "value-param"]},
        "active": BOOL,
        "actions": {
            "type": "array",
            "minItems": 1,
            "items": _obj(
                {
                    "action": {"type": "string", "enum": ["start_workflow", "complete_task", "fail_task"]},
                    "start_workflow": ANY_OBJECT,
                    "complete_task": ANY_OBJECT,
                    "fail_task": ANY_OBJECT,
                    "expandInlineJSON": BOOL,
                },
                required=("action",),
            ),
        },
    },
    required=("name", "event", "actions"),
)

RERUN_REQUEST: Final = _obj(
    {
        "reRunFromWorkflowId": STRING,
        "workflowInput": ANY_OBJECT,
        "reRunFromTaskId": STRING,
        "taskInput": ANY_OBJECT,
        "correlationId": STRING,
    }
)
SKIP_TASK_REQUEST: Final = _obj({"taskInput": ANY_OBJECT, "taskOutput": ANY_OBJECT})
CORRELATED_BATCH: Final = _obj({"correlationIds": STRING_LIST, "workflowNames": STRING_LIST})


def json_body(schema: Schema, *, required: bool = True, description: str | None = None) -> dict[str, Any]:
    """``openapi_extra`` for a route whose JSON body has ``schema`` (an empty body is allowed unless ``required``)."""
    body: Schema = {"required": required, "content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return {"requestBody": body}


def one_or_many(schema: Schema) -> Schema:
    """A body that is one object or a list of them (the SDKs send both)."""
    return {"oneOf": [schema, {"type": "array", "items": schema}]}


TEXT_BODY: Final = {
    "requestBody": {
        "required": True,
        "description": "The log line: raw text, or a JSON-quoted string",
        "content": {"text/plain": {"schema": STRING}, "application/json": {"schema": STRING}},
    }
}
