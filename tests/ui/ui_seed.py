"""Definitions and executions the UI tests look at, created through the REST API only."""

from __future__ import annotations

import time
from typing import Any

import httpx


def _ok(r: httpx.Response) -> httpx.Response:
    assert r.status_code in (200, 204), f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r


def simple(name: str, ref: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref, "type": "SIMPLE", **extra}


def inline(ref: str, expression: str, **inputs: Any) -> dict[str, Any]:
    params = {"evaluatorType": "javascript", "expression": expression, **inputs}
    return {"name": ref, "taskReferenceName": ref, "type": "INLINE", "inputParameters": params}


class Seed:
    """Registers the demo definitions under a prefix and drives executions like a worker would."""

    def __init__(self, api: httpx.Client, prefix: str) -> None:
        self.api = api
        self.p = prefix
        self.demo = f"{prefix}_order"
        self.child = f"{prefix}_child"
        self.fan = f"{prefix}_fanout"
        self.t_prepare, self.t_left, self.t_right = f"{prefix}_prepare", f"{prefix}_pack", f"{prefix}_bill"
        self.t_approve, self.t_slow, self.t_item = f"{prefix}_approve", f"{prefix}_slow", f"{prefix}_item"

    # -- definitions ---------------------------------------------------------------------------
    def register(self) -> None:
        names = [self.t_prepare, self.t_left, self.t_right, self.t_approve, self.t_slow, self.t_item]
        _ok(
            self.api.post(
                "/metadata/taskdefs", json=[{"name": n, "retryCount": 0, "description": f"{n} worker"} for n in names]
            )
        )
        child = {
            "name": self.child,
            "version": 1,
            "description": "Child: computes a receipt",
            "tasks": [inline("receipt", "({ receipt: 'R-' + $.n })", n="${workflow.input.n}")],
        }
        _ok(self.api.post("/metadata/workflow", params={"overwrite": "true"}, json=child))
        _ok(self.api.post("/metadata/workflow", params={"overwrite": "true"}, json=self.demo_def()))
        fan = {
            "name": self.fan,
            "version": 1,
            "description": "Dynamic fan-out",
            "inputParameters": ["items"],
            "tasks": [
                {
                    "name": "fan",
                    "taskReferenceName": "fan",
                    "type": "FORK_JOIN_DYNAMIC",
                    "inputParameters": {"forkTaskName": self.t_item, "forkTaskInputs": "${workflow.input.items}"},
                },
                {"name": "fan_join", "taskReferenceName": "fan_join", "type": "JOIN"},
                simple(self.t_approve, "after_fan"),
            ],
        }
        _ok(self.api.post("/metadata/workflow", params={"overwrite": "true"}, json=fan))

    def demo_def(self) -> dict[str, Any]:
        return {
            "name": self.demo,
            "version": 1,
            "description": "Order handling demo",
            "inputParameters": ["route", "orderId"],
            "tasks": [
                simple(self.t_prepare, "prepare", inputParameters={"orderId": "${workflow.input.orderId}"}),
                {
                    "name": "fork",
                    "taskReferenceName": "fork",
                    "type": "FORK_JOIN",
                    "forkTasks": [
                        [simple(self.t_left, "pack")],
                        [simple(self.t_right, "bill"), inline("bill_total", "$.x || 42")],
                    ],
                },
                {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["pack", "bill_total"]},
                {
                    "name": "route",
                    "taskReferenceName": "route",
                    "type": "SWITCH",
                    "evaluatorType": "value-param",
                    "expression": "route",
                    "inputParameters": {"route": "${workflow.input.route}"},
                    "decisionCases": {
                        "fast": [inline("fast_path", "'fast'")],
                        "slow": [simple(self.t_slow, "slow_path")],
                    },
                    "defaultCase": [inline("default_path", "'default'")],
                },
                {
                    "name": "loop",
                    "taskReferenceName": "loop",
                    "type": "DO_WHILE",
                    "loopCondition": "$.loop['iteration'] < 3",
                    "loopOver": [inline("loop_body", "'pass'")],
                },
                {
                    "name": "receipt",
                    "taskReferenceName": "receipt",
                    "type": "SUB_WORKFLOW",
                    "inputParameters": {"n": "${workflow.input.orderId}"},
                    "subWorkflowParam": {"name": self.child, "version": 1},
                },
                simple(self.t_approve, "approve"),
            ],
            "outputParameters": {"receipt": "${receipt.output.receipt}"},
        }

    # -- executions ----------------------------------------------------------------------------
    def start(self, name: str, correlation_id: str | None = None, **inputs: Any) -> str:
        body: dict[str, Any] = {"name": name, "input": inputs}
        if correlation_id:
            body["correlationId"] = correlation_id
        return _ok(self.api.post("/workflow", json=body)).text

    def workflow(self, wid: str) -> dict[str, Any]:
        wf: dict[str, Any] = _ok(self.api.get(f"/workflow/{wid}")).json()
        return wf

    def complete(
        self,
        task_type: str,
        wid: str,
        output: dict[str, Any] | None = None,
        status: str = "COMPLETED",
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        """Poll ``task_type`` until the task of ``wid`` comes, then report ``status`` for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = _ok(
                self.api.get(
                    f"/tasks/poll/batch/{task_type}", params={"count": 1, "timeout": 200, "workerid": "ui-test-worker"}
                )
            )
            for task in r.json():
                body = {
                    "workflowInstanceId": task["workflowInstanceId"],
                    "taskId": task["taskId"],
                    "status": status,
                    "outputData": output or {"done": True},
                    "logs": [
                        {
                            "log": f"worked on {task['referenceTaskName']}",
                            "taskId": task["taskId"],
                            "createdTime": int(time.time() * 1000),
                        }
                    ],
                }
                if status != "COMPLETED":
                    body["reasonForIncompletion"] = "worker said no"
                _ok(self.api.post("/tasks", json=body))
                if task["workflowInstanceId"] == wid:
                    return dict(task)
        raise AssertionError(f"no {task_type} task of {wid} came")

    def wait_for(self, wid: str, ref: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wf = self.workflow(wid)
            if any(t["referenceTaskName"] == ref and t["status"] == status for t in wf["tasks"]):
                return wf
            time.sleep(0.05)
        raise AssertionError(f"{ref} of {wid} never became {status}")

    def running_demo(self, route: str = "fast", correlation_id: str | None = None) -> str:
        """An order execution advanced to `approve` (or to `slow_path` on the slow route), left SCHEDULED."""
        wid = self.start(self.demo, correlation_id=correlation_id, route=route, orderId=7)
        self.complete(self.t_prepare, wid, {"prepared": True, "items": 3})
        self.complete(self.t_left, wid, {"box": "M"})
        self.complete(self.t_right, wid, {"amount": 12.5})
        self.wait_for(wid, "slow_path" if route == "slow" else "approve", "SCHEDULED")
        return wid


def start_many(api: httpx.Client, name: str, count: int, prefix: str, threads: int = 8) -> list[str]:
    """Start ``count`` executions of ``name`` (correlation ids ``{prefix}-{i}``) over a few connections."""
    from concurrent.futures import ThreadPoolExecutor

    base = str(api.base_url).rstrip("/")
    headers = dict(api.headers)

    def batch(k: int) -> list[str]:
        ids = []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            for i in range(k, count, threads):
                body = {"name": name, "input": {"n": i}, "correlationId": f"{prefix}-{i}"}
                ids.append(_ok(c.post("/workflow", json=body)).text)
        return ids

    with ThreadPoolExecutor(threads) as pool:
        return [wid for part in pool.map(batch, range(threads)) for wid in part]
