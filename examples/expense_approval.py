"""Expense approval with a person in the loop: small expenses are paid at once; large ones wait on
a HUMAN task until a manager answers through the task API
(``POST /api/tasks/{workflowId}/manager_approval/COMPLETED`` with ``{"approved": true|false}``).
A rejection ends the run early with TERMINATE.

``python examples/expense_approval.py [--server URL]`` files three expenses and plays the manager.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from podium.client import PodiumClient
from podium.domain.model import Task, TaskDef, Workflow, WorkflowDef
from podium.worker import Runner, worker_task

APPROVAL_LIMIT = 100.0


@worker_task("submit_expense")
def submit_expense(expense_id: str, employee: str, amount: float) -> dict[str, Any]:
    return {"expenseId": expense_id, "needsApproval": amount > APPROVAL_LIMIT}


@worker_task("pay_expense")
def pay_expense(expense_id: str, employee: str, amount: float) -> dict[str, Any]:
    return {"paymentId": f"P-{expense_id}", "paid": amount, "to": employee}


@worker_task("notify_rejection")
def notify_rejection(employee: str, comment: str | None = None) -> dict[str, Any]:
    return {"message": f"{employee}: your expense was rejected ({comment or 'no comment'})"}


TASK_DEFS: list[TaskDef] = [
    {"name": n, "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 30, "timeoutSeconds": 60}
    for n in ("submit_expense", "pay_expense", "notify_rejection")
]

_EXPENSE = {
    "expense_id": "${workflow.input.expense_id}",
    "employee": "${workflow.input.employee}",
    "amount": "${workflow.input.amount}",
}

WORKFLOW: WorkflowDef = {
    "name": "expense_approval",
    "version": 1,
    "schemaVersion": 2,
    "timeoutSeconds": 0,
    "tasks": [
        {"name": "submit_expense", "taskReferenceName": "submit", "inputParameters": _EXPENSE},
        {
            "name": "review",
            "taskReferenceName": "review",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "needs",
            "inputParameters": {"needs": "${submit.output.needsApproval}"},
            "decisionCases": {
                "true": [
                    {
                        "name": "manager_approval",
                        "taskReferenceName": "manager_approval",
                        "type": "HUMAN",
                        "inputParameters": {**_EXPENSE, "limit": APPROVAL_LIMIT},
                    },
                    {
                        "name": "decision",
                        "taskReferenceName": "decision",
                        "type": "SWITCH",
                        "evaluatorType": "value-param",
                        "expression": "approved",
                        "inputParameters": {"approved": "${manager_approval.output.approved}"},
                        "decisionCases": {
                            "false": [
                                {
                                    "name": "notify_rejection",
                                    "taskReferenceName": "reject",
                                    "inputParameters": {
                                        "employee": "${workflow.input.employee}",
                                        "comment": "${manager_approval.output.comment}",
                                    },
                                },
                                {
                                    "name": "stop",
                                    "taskReferenceName": "stop",
                                    "type": "TERMINATE",
                                    "inputParameters": {
                                        "terminationStatus": "COMPLETED",
                                        "terminationReason": "rejected by the manager",
                                        "workflowOutput": {
                                            "status": "REJECTED",
                                            "by": "${manager_approval.output.approver}",
                                        },
                                    },
                                },
                            ]
                        },
                    },
                ]
            },
            "defaultCase": [],
        },
        {"name": "pay_expense", "taskReferenceName": "pay", "inputParameters": _EXPENSE},
    ],
    "outputParameters": {
        "status": "PAID",
        "paymentId": "${pay.output.paymentId}",
        "by": "${manager_approval.output.approver}",
    },
}

WORKERS = [submit_expense, pay_expense, notify_rejection]


def register(api: PodiumClient) -> None:
    api.register_task_defs(TASK_DEFS)
    api.update_workflow_defs([WORKFLOW])


def wait_for_pending(api: PodiumClient, workflow_id: str, ref: str, timeout: float = 30.0) -> Task:
    """The task with this reference once it exists and waits for an answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in api.get_workflow(workflow_id)["tasks"]:
            if task["referenceTaskName"] == ref and task["status"] in ("SCHEDULED", "IN_PROGRESS"):
                return task
        time.sleep(0.05)
    raise TimeoutError(f"no pending {ref} in {workflow_id}")


def main(server_url: str = "http://localhost:8080") -> dict[str, Workflow]:
    """Files a small, a large approved and a large rejected expense; returns the three runs."""
    runs: dict[str, Workflow] = {}
    with PodiumClient(server_url) as api:
        register(api)
        with Runner(WORKERS, server_url, poll_timeout_ms=200):
            small = api.start_workflow("expense_approval", {"expense_id": "E1", "employee": "Bo", "amount": 42.0})
            runs["small"] = api.wait_for_workflow(small)
            for key, approved in (("approved", True), ("rejected", False)):
                wid = api.start_workflow(
                    "expense_approval", {"expense_id": f"E-{key}", "employee": "Cy", "amount": 450.0}
                )
                wait_for_pending(api, wid, "manager_approval")
                # The manager answers through the task API (a UI or a chat bot would do the same).
                answer = {"approved": approved, "approver": "grace", "comment": "looks fine" if approved else "no"}
                api.update_task_by_ref(wid, "manager_approval", "COMPLETED", answer)
                runs[key] = api.wait_for_workflow(wid)
    for key, run in runs.items():
        print(f"{key}: {run['status']} {run.get('output')}")
    return runs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://localhost:8080")
    main(parser.parse_args().server)
