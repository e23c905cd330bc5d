"""Order fulfilment: validate, then reserve stock and charge the card in parallel (FORK_JOIN/JOIN),
then ship by the chosen method (SWITCH) and notify the customer.

Run a server (``podium server``), then: ``python examples/order_fulfilment.py [--server URL]``.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass, field
from typing import Any

from podium.client import PodiumClient
from podium.domain.model import TaskDef, Workflow, WorkflowDef, WorkflowTask
from podium.worker import NonRetryableError, Runner, TaskContext, worker_task

PRICES = {"book": 12.5, "lamp": 30.0, "pen": 1.25}


@dataclass
class Line:
    sku: str
    qty: int = 1


@dataclass
class Order:
    order_id: str
    customer: str
    lines: list[Line] = field(default_factory=list)
    shipping: str = "standard"


@worker_task("validate_order")
def validate_order(order: Order, ctx: TaskContext) -> dict[str, Any]:
    """The whole workflow input arrives as an ``Order`` (a dataclass built from inputData)."""
    if not order.lines:
        raise NonRetryableError(f"order {order.order_id} has no lines")
    unknown = [line.sku for line in order.lines if line.sku not in PRICES]
    if unknown:
        raise NonRetryableError(f"unknown products: {', '.join(unknown)}")
    total = round(sum(PRICES[line.sku] * line.qty for line in order.lines), 2)
    ctx.log(f"order {order.order_id}: {len(order.lines)} lines, total {total}")
    return {"total": total, "items": sum(line.qty for line in order.lines)}


@worker_task("reserve_inventory", concurrency=4)
def reserve_inventory(order_id: str, lines: list[Line]) -> dict[str, Any]:
    return {"reservation": f"R-{order_id}", "reserved": {line.sku: line.qty for line in lines}}


@worker_task("charge_payment", concurrency=4)
async def charge_payment(order_id: str, customer: str, amount: float) -> dict[str, Any]:
    """An async worker: runs on the runner's event loop."""
    digest = hashlib.sha256(f"{order_id}:{customer}:{amount}".encode()).hexdigest()[:10]
    return {"chargeId": f"CH-{digest}", "amount": amount}


@worker_task("create_shipment")
def create_shipment(order_id: str, carrier: str, days: int) -> dict[str, Any]:
    return {"trackingNumber": f"{carrier.upper()}-{order_id}", "etaDays": days}


@worker_task("notify_customer")
def notify_customer(customer: str, express: str | None = None, standard: str | None = None) -> str:
    """Only the SWITCH branch that ran has a tracking number; the other reference resolves to null."""
    return f"Dear {customer}, your parcel {express or standard} is on its way."  # non-dict → {"result": ...}


TASK_DEFS: list[TaskDef] = [
    {"name": n, "retryCount": 2, "retryDelaySeconds": 0, "responseTimeoutSeconds": 60, "timeoutSeconds": 120}
    for n in ("validate_order", "reserve_inventory", "charge_payment", "create_shipment", "notify_customer")
]


def _ship(ref: str, carrier: str, days: int) -> WorkflowTask:
    return {
        "name": "create_shipment",
        "taskReferenceName": ref,
        "inputParameters": {"order_id": "${workflow.input.order_id}", "carrier": carrier, "days": days},
    }


WORKFLOW: WorkflowDef = {
    "name": "order_fulfilment",
    "version": 1,
    "schemaVersion": 2,
    "timeoutSeconds": 0,
    "tasks": [
        {
            "name": "validate_order",
            "taskReferenceName": "validate",
            "inputParameters": {
                "order_id": "${workflow.input.order_id}",
                "customer": "${workflow.input.customer}",
                "lines": "${workflow.input.lines}",
                "shipping": "${workflow.input.shipping}",
            },
        },
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "forkTasks": [
                [
                    {
                        "name": "reserve_inventory",
                        "taskReferenceName": "reserve",
                        "inputParameters": {
                            "order_id": "${workflow.input.order_id}",
                            "lines": "${workflow.input.lines}",
                        },
                    }
                ],
                [
                    {
                        "name": "charge_payment",
                        "taskReferenceName": "charge",
                        "inputParameters": {
                            "order_id": "${workflow.input.order_id}",
                            "customer": "${workflow.input.customer}",
                            "amount": "${validate.output.total}",
                        },
                    }
                ],
            ],
        },
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["reserve", "charge"]},
        {
            "name": "shipping",
            "taskReferenceName": "shipping",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "method",
            "inputParameters": {"method": "${workflow.input.shipping}"},
            "decisionCases": {"express": [_ship("ship_express", "dhl", 1)]},
            "defaultCase": [_ship("ship_standard", "post", 4)],
        },
        {
            "name": "notify_customer",
            "taskReferenceName": "notify",
            "inputParameters": {
                "customer": "${workflow.input.customer}",
                "express": "${ship_express.output.trackingNumber}",
                "standard": "${ship_standard.output.trackingNumber}",
            },
        },
    ],
    "outputParameters": {
        "total": "${validate.output.total}",
        "chargeId": "${charge.output.chargeId}",
        "reservation": "${reserve.output.reservation}",
        "message": "${notify.output.result}",
    },
}

WORKERS = [validate_order, reserve_inventory, charge_payment, create_shipment, notify_customer]
SAMPLE_ORDER = {
    "order_id": "A-1001",
    "customer": "Ada",
    "lines": [{"sku": "book", "qty": 2}, {"sku": "pen", "qty": 4}],
    "shipping": "express",
}


def register(api: PodiumClient) -> None:
    api.register_task_defs(TASK_DEFS)
    api.update_workflow_defs([WORKFLOW])


def main(server_url: str = "http://localhost:8080", order: dict[str, Any] | None = None) -> Workflow:
    """Register, serve the workers, run one order to the end; returns the finished run."""
    with PodiumClient(server_url) as api:
        register(api)
        with Runner(WORKERS, server_url, poll_timeout_ms=200):
            wid = api.start_workflow("order_fulfilment", order or SAMPLE_ORDER)
            run = api.wait_for_workflow(wid, timeout=60)
    print(run["status"], run.get("output"))
    return run


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://localhost:8080")
    main(parser.parse_args().server)
