"""`podium task`: poll and complete tasks by hand, read and add their logs, see the queues."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from podium.cli._api import q
from podium.cli._command import Cli, command
from podium.cli._errors import BadInput
from podium.cli._inputs import json_arg
from podium.cli._render import compact, status, table, when

task = typer.Typer(help="Poll, update and inspect tasks; queue sizes.", no_args_is_help=True)

RESULT_STATUSES = ("IN_PROGRESS", "COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR")
TaskIdArg = Annotated[str, typer.Argument(help="The task id")]


def _task_rows(tasks: list[dict[str, Any]]) -> Any:
    return table(
        ("Task id", "Workflow id", "Reference", "Status", "Input"),
        [
            (
                t.get("taskId", "-"),
                t.get("workflowInstanceId", "-"),
                t.get("referenceTaskName", "-"),
                status(t.get("status")),
                compact(t.get("inputData")),
            )
            for t in tasks
        ],
    )


@command(task, "poll")
def poll(
    cli: Cli,
    task_type: Annotated[str, typer.Argument(help="Task type (the task definition's name)")],
    domain: Annotated[str | None, typer.Option(help="Task domain")] = None,
    worker_id: Annotated[str, typer.Option(help="Worker id reported with the poll")] = "podium-cli",
    count: Annotated[int, typer.Option(min=1, max=100, help="Up to this many tasks")] = 1,
    wait_ms: Annotated[int, typer.Option(min=0, max=5000, help="Wait this long for a first task")] = 100,
) -> None:
    """Take tasks from a queue, as a worker would: they are IN_PROGRESS for you until updated."""
    tasks = (
        cli.api.call(
            "GET",
            f"/tasks/poll/batch/{q(task_type)}",
            params={"workerid": worker_id, "domain": domain, "count": count, "timeout": wait_ms},
            extra_timeout=wait_ms / 1000,
        )
        or []
    )
    if cli.json:
        cli.print_json(tasks)
    elif tasks:
        cli.out.print(_task_rows(tasks))
    else:
        cli.note(f"no {task_type} task waiting")


@command(task, "update")
def update(
    cli: Cli,
    task_id: Annotated[str | None, typer.Argument(help="The task id (or give --workflow-id and --ref)")] = None,
    status_: Annotated[
        str, typer.Option("--status", help="COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR, IN_PROGRESS")
    ] = "COMPLETED",
    output_data: Annotated[str | None, typer.Option("--output-data", "-d", help="Output: JSON or @file")] = None,
    reason: Annotated[str | None, typer.Option(help="Reason for a failure")] = None,
    workflow_id: Annotated[str | None, typer.Option(help="Workflow id (found from the task when absent)")] = None,
    ref: Annotated[str | None, typer.Option(help="Reference name of the pending task (with --workflow-id)")] = None,
    worker_id: Annotated[str, typer.Option(help="Worker id recorded on the task")] = "podium-cli",
) -> None:
    """Post a task result: complete or fail a task (a polled one, or a WAIT/HUMAN task by reference)."""
    state = status_.upper()
    if state not in RESULT_STATUSES:
        raise BadInput(f"--status must be one of {', '.join(RESULT_STATUSES)}")
    data = json_arg(output_data, "--output-data") or {}
    if task_id is None:
        if not (workflow_id and ref):
            raise BadInput("give a task id, or --workflow-id and --ref")
        path = f"/tasks/{q(workflow_id)}/{q(ref)}/{q(state)}"
        done = cli.api.call("POST", path, params={"workerid": worker_id}, json=data)
    else:
        if ref:
            raise BadInput("--ref goes with --workflow-id instead of a task id")
        if workflow_id is None:
            workflow_id = str(cli.api.get(f"/tasks/{q(task_id)}")["workflowInstanceId"])
        result: dict[str, Any] = {
            "workflowInstanceId": workflow_id,
            "taskId": task_id,
            "status": state,
            "outputData": data,
            "workerId": worker_id,
        }
        if reason:
            result["reasonForIncompletion"] = reason
        done = cli.api.call("POST", "/tasks", json=result)
    if cli.json:
        cli.print_json({"taskId": done})
    else:
        cli.out.print(f"{state.lower().replace('_', ' ')} {done}", markup=False)


@command(task, "get")
def get(cli: Cli, task_id: TaskIdArg) -> None:
    """One task record (JSON: the Task)."""
    t = cli.api.get(f"/tasks/{q(task_id)}")
    if cli.json:
        cli.print_json(t)
        return
    facts = [
        ("Task id", t.get("taskId")),
        ("Type", t.get("taskType")),
        ("Reference", t.get("referenceTaskName")),
        ("Workflow id", t.get("workflowInstanceId")),
        ("Status", status(t.get("status"))),
        ("Worker", t.get("workerId") or "-"),
        ("Scheduled", when(t.get("scheduledTime"))),
        ("Ended", when(t.get("endTime"))),
        ("Input", compact(t.get("inputData"), 160)),
        ("Output", compact(t.get("outputData"), 160)),
        ("Reason", t.get("reasonForIncompletion") or "-"),
    ]
    cli.out.print(table(("Field", "Value"), facts))


@command(task, "log")
def log(
    cli: Cli,
    task_id: TaskIdArg,
    message: Annotated[str | None, typer.Argument(help="A line to add (absent: show the logs)")] = None,
) -> None:
    """Show a task's log lines, or add one."""
    if message is not None:
        cli.api.call("POST", f"/tasks/{q(task_id)}/log", text=message)
        cli.say(f"logged to {task_id}")
        return
    logs = cli.api.get(f"/tasks/{q(task_id)}/log") or []
    if cli.json:
        cli.print_json(logs)
        return
    for entry in logs:
        cli.out.print(f"{when(entry.get('createdTime'))}  {entry.get('log', '')}", markup=False)
    if not logs:
        cli.note(f"no log lines for {task_id}")


@command(task, "queue-sizes")
def queue_sizes(
    cli: Cli, task_types: Annotated[list[str] | None, typer.Argument(help="Task types (absent: every queue)")] = None
) -> None:
    """Pending tasks per queue (JSON: {queue: size})."""
    if task_types:
        sizes = cli.api.call("GET", "/tasks/queue/sizes", params={"taskType": list(task_types)})
    else:
        sizes = cli.api.get("/tasks/queue/all")
    if cli.json:
        cli.print_json(sizes)
        return
    cli.out.print(table(("Queue", "Size"), sorted((k, v) for k, v in (sizes or {}).items())))
