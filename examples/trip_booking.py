"""Trip booking with retries and compensation: book a hotel, then a flight. The flight service is
flaky (transient errors are retried by the server) and may be sold out (a non-retryable error).
When the trip fails, its ``failureWorkflow`` cancels whatever was already booked (a saga).

``python examples/trip_booking.py [--server URL]`` books one trip that succeeds after retries and
one that fails and is compensated.
"""

from __future__ import annotations

import argparse
from typing import Any

from podium.client import PodiumClient
from podium.domain.model import TaskDef, Workflow, WorkflowDef
from podium.worker import NonRetryableError, Runner, TaskContext, worker_task

SOLD_OUT = {"Atlantis"}
CANCELLED: list[str] = []  # what the compensation cancelled (a real one would call the hotel's API)


@worker_task("book_hotel")
def book_hotel(trip_id: str, city: str) -> dict[str, Any]:
    return {"bookingId": f"H-{trip_id}", "city": city}


@worker_task("book_flight")
def book_flight(trip_id: str, city: str, ctx: TaskContext) -> dict[str, Any]:
    if city in SOLD_OUT:
        raise NonRetryableError(f"no seats to {city}")  # FAILED_WITH_TERMINAL_ERROR: no retry helps
    if ctx.retry_count < 2:
        raise ConnectionError(f"flight service timed out (attempt {ctx.retry_count + 1})")  # FAILED: retried
    return {"bookingId": f"F-{trip_id}", "attempts": ctx.retry_count + 1}


@worker_task("cancel_bookings")
def cancel_bookings(failed_workflow: dict[str, Any], reason: str, ctx: TaskContext) -> dict[str, Any]:
    """Undo every booking the failed trip completed, newest first."""
    done = [
        t["outputData"]["bookingId"]
        for t in failed_workflow.get("tasks", [])
        if t.get("status") == "COMPLETED" and "bookingId" in (t.get("outputData") or {})
    ]
    for booking in reversed(done):
        ctx.log(f"cancelling {booking} because: {reason}")
        CANCELLED.append(booking)
    return {"cancelled": list(reversed(done))}


TASK_DEFS: list[TaskDef] = [
    {"name": "book_hotel", "retryCount": 0, "responseTimeoutSeconds": 30, "timeoutSeconds": 60},
    # Three attempts, one second apart; EXPONENTIAL_BACKOFF / LINEAR_BACKOFF are also available.
    {
        "name": "book_flight",
        "retryCount": 2,
        "retryLogic": "FIXED",
        "retryDelaySeconds": 1,
        "responseTimeoutSeconds": 30,
        "timeoutSeconds": 60,
    },
    {
        "name": "cancel_bookings",
        "retryCount": 3,
        "retryDelaySeconds": 1,
        "responseTimeoutSeconds": 30,
        "timeoutSeconds": 60,
    },
]

TRIP: WorkflowDef = {
    "name": "trip_booking",
    "version": 1,
    "schemaVersion": 2,
    "timeoutSeconds": 0,
    "failureWorkflow": "trip_compensation",
    "tasks": [
        {
            "name": "book_hotel",
            "taskReferenceName": "hotel",
            "inputParameters": {"trip_id": "${workflow.input.trip_id}", "city": "${workflow.input.city}"},
        },
        {
            "name": "book_flight",
            "taskReferenceName": "flight",
            "inputParameters": {"trip_id": "${workflow.input.trip_id}", "city": "${workflow.input.city}"},
        },
    ],
    "outputParameters": {"hotel": "${hotel.output.bookingId}", "flight": "${flight.output.bookingId}"},
}

COMPENSATION: WorkflowDef = {
    "name": "trip_compensation",
    "version": 1,
    "schemaVersion": 2,
    "timeoutSeconds": 0,
    "tasks": [
        {
            "name": "cancel_bookings",
            "taskReferenceName": "cancel",
            "inputParameters": {
                "failed_workflow": "${workflow.input.failedWorkflow}",
                "reason": "${workflow.input.reason}",
            },
        },
    ],
    "outputParameters": {"cancelled": "${cancel.output.cancelled}", "trip": "${workflow.input.workflowId}"},
}

WORKFLOWS = [COMPENSATION, TRIP]
WORKERS = [book_hotel, book_flight, cancel_bookings]


def register(api: PodiumClient) -> None:
    api.register_task_defs(TASK_DEFS)
    api.update_workflow_defs(WORKFLOWS)


def main(server_url: str = "http://localhost:8080") -> tuple[Workflow, Workflow, Workflow]:
    """Returns (the trip that succeeded, the trip that failed, its compensation run)."""
    with PodiumClient(server_url) as api:
        register(api)
        with Runner(WORKERS, server_url, poll_timeout_ms=200):
            ok = api.wait_for_workflow(api.start_workflow("trip_booking", {"trip_id": "T1", "city": "Lisbon"}))
            failed = api.wait_for_workflow(api.start_workflow("trip_booking", {"trip_id": "T2", "city": "Atlantis"}))
            compensation_id = failed["output"]["conductor.failure_workflow"]
            compensation = api.wait_for_workflow(compensation_id)
    print("trip 1:", ok["status"], ok["output"])
    print("trip 2:", failed["status"], failed.get("reasonForIncompletion"))
    print("compensation:", compensation["status"], compensation["output"])
    return ok, failed, compensation


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://localhost:8080")
    main(parser.parse_args().server)
