"""Definitions the workloads run, and a small synchronous client for setting up and checking."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(RuntimeError):
    """The server answered a setup or check call with an error."""

    def __init__(self, what: str, status: int, body: str) -> None:
        super().__init__(f"{what}: HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


def task_def(name: str, *, response_timeout_s: int = 300, retries: int = 2) -> dict[str, Any]:
    return {
        "name": name,
        "retryCount": retries,
        "retryLogic": "FIXED",
        "retryDelaySeconds": 0,
        "timeoutSeconds": 0,
        "timeoutPolicy": "TIME_OUT_WF",
        "responseTimeoutSeconds": response_timeout_s,
        "ownerEmail": "bench@example.com",
    }


def linear_def(name: str, task_name: str, length: int = 5) -> dict[str, Any]:
    """``length`` SIMPLE tasks in sequence, each fed from the previous one's output."""
    tasks: list[dict[str, Any]] = []
    for i in range(1, length + 1):
        src = "${workflow.input.x}" if i == 1 else f"${{t{i - 1}.output.x}}"
        tasks.append({"name": task_name, "taskReferenceName": f"t{i}", "type": "SIMPLE", "inputParameters": {"x": src}})
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "bench@example.com",
        "tasks": tasks,
        "outputParameters": {"x": f"${{t{length}.output.x}}"},
    }


def fanout_def(name: str, task_name: str) -> dict[str, Any]:
    """A FORK_JOIN_DYNAMIC over ``workflow.input.items`` (one SIMPLE task per item), then a JOIN."""
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "bench@example.com",
        "tasks": [
            {
                "name": "fan",
                "taskReferenceName": "fan",
                "type": "FORK_JOIN_DYNAMIC",
                "inputParameters": {"forkTaskName": task_name, "forkTaskInputs": "${workflow.input.items}"},
            },
            {"name": "gather", "taskReferenceName": "gather", "type": "JOIN"},
        ],
    }


def system_def(name: str) -> dict[str, Any]:
    """Server-side tasks only: SET_VARIABLE, INLINE (JavaScript), SWITCH, JSON_JQ_TRANSFORM."""
    jq_task = {
        "name": "total",
        "taskReferenceName": "total",
        "type": "JSON_JQ_TRANSFORM",
        "inputParameters": {"items": "${workflow.input.items}", "queryExpression": "[.items[].price] | add"},
    }
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "bench@example.com",
        "tasks": [
            {
                "name": "remember",
                "taskReferenceName": "remember",
                "type": "SET_VARIABLE",
                "inputParameters": {"order": "${workflow.input.orderId}", "kind": "${workflow.input.kind}"},
            },
            {
                "name": "score",
                "taskReferenceName": "score",
                "type": "INLINE",
                "inputParameters": {
                    "evaluatorType": "javascript",
                    "amount": "${workflow.input.amount}",
                    "expression": "function f() { return $.amount > 100 ? 'big' : 'small'; } f();",
                },
            },
            {
                "name": "route",
                "taskReferenceName": "route",
                "type": "SWITCH",
                "evaluatorType": "value-param",
                "expression": "size",
                "inputParameters": {"size": "${score.output.result}"},
                "decisionCases": {
                    "big": [jq_task],
                    "small": [
                        {
                            "name": "mark",
                            "taskReferenceName": "mark",
                            "type": "SET_VARIABLE",
                            "inputParameters": {"small": True},
                        }
                    ],
                },
                "defaultCase": [],
            },
        ],
        "outputParameters": {"size": "${score.output.result}", "order": "${workflow.variables.order}"},
    }


def system_input(i: int) -> dict[str, Any]:
    return {
        "orderId": f"order-{i}",
        "kind": "retail",
        "amount": 50 + (i % 2) * 100,
        "items": [{"sku": f"s{j}", "price": 10 + j} for j in range(3)],
    }


class Setup:
    """Synchronous calls for setting a workload up and checking its outcome (not timed)."""

    def __init__(self, base_url: str) -> None:
        self._c = httpx.Client(base_url=base_url, timeout=60)

    def __enter__(self) -> Setup:
        return self

    def __exit__(self, *exc: object) -> None:
        self._c.close()

    def _check(self, what: str, r: httpx.Response) -> httpx.Response:
        if r.status_code >= 300:
            raise ApiError(what, r.status_code, r.text)
        return r

    def task_defs(self, defs: list[dict[str, Any]]) -> None:
        self._check("register task definitions", self._c.post("/api/metadata/taskdefs", json=defs))

    def workflow_def(self, wd: dict[str, Any]) -> None:
        r = self._c.post("/api/metadata/workflow", params={"overwrite": "true"}, json=wd)
        self._check(f"register workflow {wd['name']}", r)

    def start(self, name: str, inp: dict[str, Any]) -> str:
        r = self._check(f"start {name}", self._c.post("/api/workflow", json={"name": name, "input": inp}))
        return r.text

    def poll(self, task_type: str, count: int = 1, timeout_ms: int = 1000) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"count": count, "timeout": timeout_ms, "workerid": "bench-setup"}
        r = self._check(f"poll {task_type}", self._c.get(f"/api/tasks/poll/batch/{task_type}", params=params))
        out: list[dict[str, Any]] = r.json()
        return out

    def complete(self, task: dict[str, Any], output: dict[str, Any]) -> None:
        body = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task["taskId"],
            "status": "COMPLETED",
            "outputData": output,
        }
        self._check("update task", self._c.post("/api/tasks", json=body))

    def workflow(self, wid: str, include_tasks: bool = False) -> dict[str, Any]:
        r = self._c.get(f"/api/workflow/{wid}", params={"includeTasks": str(include_tasks).lower()})
        out: dict[str, Any] = self._check(f"get workflow {wid}", r).json()
        return out
