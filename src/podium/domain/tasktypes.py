"""Task type names and their classification (docs/reference.md)."""

from __future__ import annotations

from typing import Final

SIMPLE: Final = "SIMPLE"
SWITCH: Final = "SWITCH"
DECISION: Final = "DECISION"
FORK_JOIN: Final = "FORK_JOIN"
FORK: Final = "FORK"  # taskType of the record a FORK_JOIN / FORK_JOIN_DYNAMIC node creates
FORK_JOIN_DYNAMIC: Final = "FORK_JOIN_DYNAMIC"
JOIN: Final = "JOIN"
EXCLUSIVE_JOIN: Final = "EXCLUSIVE_JOIN"
DO_WHILE: Final = "DO_WHILE"
DYNAMIC: Final = "DYNAMIC"
SUB_WORKFLOW: Final = "SUB_WORKFLOW"
START_WORKFLOW: Final = "START_WORKFLOW"
TERMINATE: Final = "TERMINATE"
SET_VARIABLE: Final = "SET_VARIABLE"
WAIT: Final = "WAIT"
HUMAN: Final = "HUMAN"
INLINE: Final = "INLINE"
LAMBDA: Final = "LAMBDA"
JSON_JQ_TRANSFORM: Final = "JSON_JQ_TRANSFORM"
HTTP: Final = "HTTP"
EVENT: Final = "EVENT"
NOOP: Final = "NOOP"
KAFKA_PUBLISH: Final = "KAFKA_PUBLISH"

# Types the server runs itself; any other type string is a worker task.
SYSTEM_TYPES: Final = frozenset(
    {
        SWITCH,
        DECISION,
        FORK_JOIN,
        FORK,
        FORK_JOIN_DYNAMIC,
        JOIN,
        EXCLUSIVE_JOIN,
        DO_WHILE,
        DYNAMIC,
        SUB_WORKFLOW,
        START_WORKFLOW,
        TERMINATE,
        SET_VARIABLE,
        WAIT,
        HUMAN,
        INLINE,
        LAMBDA,
        JSON_JQ_TRANSFORM,
        HTTP,
        EVENT,
        NOOP,
        KAFKA_PUBLISH,
    }
)
# Control-flow types that are never retried (docs/reference.md#tasks-in-a-definition).
CONTROL_TYPES: Final = frozenset({DECISION, SWITCH, FORK, FORK_JOIN, FORK_JOIN_DYNAMIC, JOIN, EXCLUSIVE_JOIN, DO_WHILE})
# Records whose taskDefName is the type string rather than the WorkflowTask name.
TYPE_NAMED: Final = frozenset({FORK, JOIN, SWITCH, DECISION, EXCLUSIVE_JOIN})


def is_worker_type(task_type: str) -> bool:
    """True when tasks of this WorkflowTask type are executed by polling workers."""
    return task_type not in SYSTEM_TYPES
