"""Defaults of definitions (docs/reference.md#the-workflow-definition, #task-definitions) and the
ad-hoc task definition."""

from __future__ import annotations

from typing import Final

from podium.domain.model import TaskDef, WorkflowDef

TASK_DEF_DEFAULTS: Final[TaskDef] = {
    "retryCount": 3,
    "timeoutSeconds": 0,
    "totalTimeoutSeconds": 0,
    "timeoutPolicy": "TIME_OUT_WF",
    "retryLogic": "FIXED",
    "retryDelaySeconds": 60,
    "backoffScaleFactor": 1,
    "maxRetryDelaySeconds": 0,
    "backoffJitterMs": 0,
    "responseTimeoutSeconds": 3600,
    "inputKeys": [],
    "outputKeys": [],
    "inputTemplate": {},
    "taskStatusListenerEnabled": True,
    "enforceSchema": False,
}

WORKFLOW_DEF_DEFAULTS: Final[WorkflowDef] = {
    "version": 1,
    "inputParameters": [],
    "outputParameters": {},
    "schemaVersion": 2,
    "restartable": True,
    "timeoutPolicy": "ALERT_ONLY",
    "timeoutSeconds": 0,
    "variables": {},
    "inputTemplate": {},
    "workflowStatusListenerEnabled": False,
    "enforceSchema": True,
}


def with_task_def_defaults(td: TaskDef) -> TaskDef:
    """A copy of ``td`` with every defaulted field filled in."""
    out: TaskDef = {**TASK_DEF_DEFAULTS, **td}
    return out


def with_workflow_def_defaults(wd: WorkflowDef) -> WorkflowDef:
    """A copy of ``wd`` with every defaulted field filled in."""
    out: WorkflowDef = {**WORKFLOW_DEF_DEFAULTS, **wd}
    return out


def adhoc_task_def(name: str, worker_task: bool) -> TaskDef:
    """The in-memory definition used for a task name that has none registered."""
    td = with_task_def_defaults({"name": name})
    if not worker_task:
        td["retryCount"] = 0
        td["responseTimeoutSeconds"] = 0
    return td
