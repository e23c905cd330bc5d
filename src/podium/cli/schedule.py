"""`podium schedule`: cron-started workflows (/api/scheduler, issue #15): save, list, show, pause, resume,
delete, the next fire times of a cron expression and the executions a schedule made."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from podium.cli._api import q
from podium.cli._command import Cli, command
from podium.cli._errors import BadInput
from podium.cli._inputs import json_arg, load_file
from podium.cli._render import compact, table, when

schedule = typer.Typer(help="Workflow schedules: workflows started on a cron expression.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The schedule's name")]


def _cron(s: dict[str, Any]) -> str:
    if s.get("cronExpression"):
        return f"{s['cronExpression']} ({s.get('zoneId') or 'UTC'})"
    return ", ".join(f"{c.get('cronExpression')} ({c.get('zoneId') or 'UTC'})" for c in s.get("cronSchedules") or [])


def _state(s: dict[str, Any]) -> str:
    if not s.get("paused"):
        return "active"
    return f"paused: {s['pausedReason']}" if s.get("pausedReason") else "paused"


@command(schedule, "save")
def save(
    cli: Cli,
    file: Annotated[str | None, typer.Argument(help="A WorkflowSchedule JSON file (- for stdin)")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The schedule's name (instead of a file)")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="Spring cron: sec min hour dom mon dow")] = None,
    workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="The workflow to start")] = None,
    version: Annotated[int | None, typer.Option("--version", help="Its version (default: the latest)")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", help="Workflow input: JSON or @file")] = None,
    zone: Annotated[str, typer.Option("--zone", help="Time zone of the cron expression")] = "UTC",
    catch_up: Annotated[bool, typer.Option("--catch-up", help="Start every fire missed while down")] = False,
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused")] = False,
) -> None:
    """Create or update a schedule, from a file or from options (--name, --cron, --workflow)."""
    if file is not None:
        if any(v is not None for v in (name, cron, workflow, version, input)):
            raise BadInput("give either a file or --name/--cron/--workflow, not both")
        body = load_file(file)
        if not isinstance(body, dict):
            raise BadInput(f"{file} must hold one schedule (a JSON object)")
    else:
        if not (name and cron and workflow):
            raise BadInput("a schedule needs --name, --cron and --workflow (or a file)")
        start: dict[str, Any] = {"name": workflow, "input": json_arg(input, "--input") or {}}
        if version is not None:
            start["version"] = version
        body = {
            "name": name,
            "cronExpression": cron,
            "zoneId": zone,
            "runCatchupScheduleInstances": catch_up,
            "paused": paused,
            "startWorkflowRequest": start,
        }
    saved = cli.api.call("POST", "/scheduler/schedules", json=body)
    if cli.json:
        cli.print_json(saved if saved is not None else body)
    else:
        cli.say(f"saved schedule {body.get('name')}")


@command(schedule, "list")
def list_schedules(
    cli: Cli, workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="Only this workflow's")] = None
) -> None:
    """Every schedule (or one workflow's), with its cron, state and next run."""
    found = cli.api.get("/scheduler/schedules", workflowName=workflow) or []
    found.sort(key=lambda s: s.get("name") or "")
    if cli.json:
        cli.print_json(found)
        return
    rows = [
        (
            s.get("name"),
            (s.get("startWorkflowRequest") or {}).get("name"),
            _cron(s),
            _state(s),
            "" if s.get("paused") else when(s.get("nextRunTime")),
        )
        for s in found
    ]
    cli.out.print(table(("Name", "Workflow", "Cron", "State", "Next run"), rows))


@command(schedule, "get")
def get(cli: Cli, name: NameArg) -> None:
    """One schedule, as the API returns it (table: a summary and its next five fire times)."""
    s = cli.api.get(f"/scheduler/schedules/{q(name)}")
    if cli.json:
        cli.print_json(s)
        return
    start = s.get("startWorkflowRequest") or {}
    rows = [
        ("Workflow", f"{start.get('name')}" + (f" v{start['version']}" if start.get("version") else "")),
        ("Cron", _cron(s)),
        ("State", _state(s)),
        ("Catch-up", "yes" if s.get("runCatchupScheduleInstances") else "no"),
        ("Input", compact(start.get("input") or {})),
        ("Next run", "" if s.get("paused") else when(s.get("nextRunTime"))),
    ]
    cli.out.print(table(("", s.get("name") or name), rows))


@command(schedule, "pause")
def pause(
    cli: Cli, name: NameArg, reason: Annotated[str | None, typer.Option("--reason", help="Why (shown)")] = None
) -> None:
    """Pause a schedule: nothing starts until it is resumed."""
    cli.api.call("PUT", f"/scheduler/schedules/{q(name)}/pause", params={"reason": reason} if reason else None)
    cli.say(f"paused schedule {name}")


@command(schedule, "resume")
def resume(cli: Cli, name: NameArg) -> None:
    """Resume a paused schedule (missed fires follow its catch-up setting)."""
    cli.api.call("PUT", f"/scheduler/schedules/{q(name)}/resume")
    cli.say(f"resumed schedule {name}")


@command(schedule, "delete")
def delete(cli: Cli, name: NameArg) -> None:
    """Delete a schedule (the workflows it started stay)."""
    cli.api.call("DELETE", f"/scheduler/schedules/{q(name)}")
    cli.say(f"deleted schedule {name}")


@command(schedule, "next")
def next_runs(
    cli: Cli,
    cron: Annotated[str, typer.Argument(help="A Spring cron expression, e.g. '0 */5 * * * ?'")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many fire times")] = 5,
    zone: Annotated[str, typer.Option("--zone", help="Time zone of the expression")] = "UTC",
) -> None:
    """The next fire times of a cron expression in a zone, as the server computes them."""
    times = cli.api.get("/scheduler/nextFewSchedules", cronExpression=cron, limit=limit, zoneId=zone) or []
    if cli.json:
        cli.print_json(times)
    else:
        for t in times:
            cli.out.print(when(t), markup=False)


@command(schedule, "executions")
def executions(
    cli: Cli,
    name: NameArg,
    size: Annotated[int, typer.Option("--size", help="How many, newest first")] = 20,
) -> None:
    """The executions a schedule made: when, the state, the workflow started or the reason it failed."""
    found = cli.api.get(
        "/scheduler/search/executions", query=f'scheduleName="{name}"', size=size, sort="scheduledTime:DESC"
    )
    results = (found or {}).get("results") or []
    if cli.json:
        cli.print_json(found)
        return
    rows = [
        (when(e.get("scheduledTime")), when(e.get("executionTime")), e.get("state"), e.get("workflowId") or "",
         compact(e.get("reason") or "", 60))
        for e in results
    ]  # fmt: skip
    cli.out.print(table(("Scheduled", "Executed", "State", "Workflow id", "Reason"), rows))
