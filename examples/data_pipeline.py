"""A paged extract-transform-load pipeline: a DO_WHILE loop fetches one page of records and
transforms it per iteration until the source says there is no more; a final task loads the totals.

``python examples/data_pipeline.py [--server URL]``
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from podium.client import PodiumClient
from podium.domain.model import TaskDef, Workflow, WorkflowDef
from podium.worker import Runner, TaskContext, worker_task

# The "source system": 23 sales records.
SOURCE = [{"id": i, "region": ("north", "south", "east")[i % 3], "amount": float(10 + i)} for i in range(1, 24)]


@dataclass
class Sale:
    id: int
    region: str
    amount: float


@worker_task("fetch_page")
def fetch_page(page: int, page_size: int, ctx: TaskContext) -> dict[str, Any]:
    """``page`` is the loop iteration (1, 2, ...)."""
    start = (page - 1) * page_size
    records = SOURCE[start : start + page_size]
    ctx.log(f"page {page}: {len(records)} records")
    return {"records": records, "hasMore": start + page_size < len(SOURCE)}


@worker_task("transform_page", concurrency=2)
def transform_page(records: list[Sale]) -> dict[str, Any]:
    by_region: dict[str, float] = {}
    for sale in records:
        by_region[sale.region] = by_region.get(sale.region, 0.0) + sale.amount
    return {"count": len(records), "byRegion": by_region}


@worker_task("load_totals")
def load_totals(pages: int, loop: dict[str, Any]) -> dict[str, Any]:
    """The DO_WHILE output holds each iteration's body outputs under "1", "2", ..."""
    totals: dict[str, float] = {}
    count = 0
    for n in range(1, pages + 1):
        step = loop[str(n)]["transform"]
        count += step["count"]
        for region, amount in step["byRegion"].items():
            totals[region] = round(totals.get(region, 0.0) + amount, 2)
    return {"pages": pages, "records": count, "totals": dict(sorted(totals.items()))}


TASK_DEFS: list[TaskDef] = [
    {"name": n, "retryCount": 2, "retryDelaySeconds": 0, "responseTimeoutSeconds": 30, "timeoutSeconds": 60}
    for n in ("fetch_page", "transform_page", "load_totals")
]

WORKFLOW: WorkflowDef = {
    "name": "sales_pipeline",
    "version": 1,
    "schemaVersion": 2,
    "timeoutSeconds": 0,
    "tasks": [
        {
            "name": "pages",
            "taskReferenceName": "pages",
            "type": "DO_WHILE",
            "loopCondition": "$.fetch['hasMore'] == true",
            "loopOver": [
                {
                    "name": "fetch_page",
                    "taskReferenceName": "fetch",
                    "inputParameters": {"page": "${pages.iteration}", "page_size": "${workflow.input.page_size}"},
                },
                {
                    "name": "transform_page",
                    "taskReferenceName": "transform",
                    "inputParameters": {"records": "${fetch.output.records}"},
                },
            ],
        },
        {
            "name": "load_totals",
            "taskReferenceName": "load",
            "inputParameters": {"pages": "${pages.output.iteration}", "loop": "${pages.output}"},
        },
    ],
    "outputParameters": {"report": "${load.output}"},
}

WORKERS = [fetch_page, transform_page, load_totals]


def register(api: PodiumClient) -> None:
    api.register_task_defs(TASK_DEFS)
    api.update_workflow_defs([WORKFLOW])


def main(server_url: str = "http://localhost:8080", page_size: int = 10) -> Workflow:
    with PodiumClient(server_url) as api:
        register(api)
        with Runner(WORKERS, server_url, poll_timeout_ms=200):
            run = api.wait_for_workflow(api.start_workflow("sales_pipeline", {"page_size": page_size}))
    print(run["status"], run.get("output"))
    return run


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://localhost:8080")
    main(parser.parse_args().server)
