"""`podium workflow`: start runs, watch them, find them (the control commands are in workflow_control.py)."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Annotated, Any

import typer

from podium.cli._api import q
from podium.cli._command import Cli, command
from podium.cli._errors import BadInput
from podium.cli._inputs import json_arg
from podium.cli._render import duration, status, table, when
from podium.cli.workflow_view import compact_view, follow, full_view, outcome

workflow = typer.Typer(help="Start, watch, search and steer workflow runs.", no_args_is_help=True)

STATUSES = ("RUNNING", "PAUSED", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED")
_UNITS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_BARE = re.compile(r"^[A-Za-z0-9_.*:-]+$")

IdArg = Annotated[str, typer.Argument(help="The workflow id")]
TimeoutOpt = Annotated[float, typer.Option(help="Give up after this many seconds (0: no limit); exit code 6")]


def _finish(cli: Cli, wf: dict[str, Any], compact: bool = True) -> None:
    if cli.json:
        cli.print_json(wf)
    else:
        cli.out.print(compact_view(wf) if compact else full_view(wf))


@command(workflow, "start")
def start(
    cli: Cli,
    name: Annotated[str, typer.Argument(help="Workflow definition name")],
    version: Annotated[int | None, typer.Option(help="Definition version (default: the latest)")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", help="Input: JSON, or @file (@- for stdin)")] = None,
    correlation_id: Annotated[str | None, typer.Option(help="Correlation id")] = None,
    priority: Annotated[int | None, typer.Option(min=0, max=99, help="Priority 0-99")] = None,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="Wait for the end; exit 1 unless COMPLETED")] = False,
    timeout: TimeoutOpt = 0.0,
) -> None:
    """Start a run of a registered definition and print its id (with --wait: the run when it ends)."""
    body: dict[str, Any] = {"name": name, "input": json_arg(input, "--input") or {}}
    if version is not None:
        body["version"] = version
    if correlation_id is not None:
        body["correlationId"] = correlation_id
    if priority is not None:
        body["priority"] = priority
    workflow_id = str(cli.api.call("POST", "/workflow", json=body))
    if not wait:
        if cli.json:
            cli.print_json({"workflowId": workflow_id})
        else:
            cli.out.print(workflow_id, markup=False)
        return
    if not cli.json:
        cli.note(f"started {workflow_id}")
    wf = follow(cli, workflow_id, timeout=timeout)
    _finish(cli, wf)
    raise typer.Exit(int(outcome(wf)))


@command(workflow, "status")
def status_cmd(
    cli: Cli,
    workflow_id: IdArg,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow the run live until it ends; exit as start --wait")
    ] = False,
    timeout: TimeoutOpt = 0.0,
) -> None:
    """A run's status and its tasks (JSON: the Workflow)."""
    if watch:
        wf = follow(cli, workflow_id, timeout=timeout)
        _finish(cli, wf)
        raise typer.Exit(int(outcome(wf)))
    _finish(cli, cli.api.get(f"/workflow/{q(workflow_id)}", includeTasks=True))


@command(workflow, "get-execution")
def get_execution(
    cli: Cli,
    workflow_id: IdArg,
    tasks: Annotated[bool, typer.Option(help="Include the tasks")] = True,
) -> None:
    """Everything about a run: input, output, times, tasks (JSON: the Workflow)."""
    _finish(cli, cli.api.get(f"/workflow/{q(workflow_id)}", includeTasks=tasks), compact=False)


def _quote(value: str) -> str:
    if _BARE.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_since(value: str) -> int:
    """``30s``, ``15m``, ``1h``, ``7d`` → milliseconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", value)
    if not m:
        raise BadInput(f"--since takes a number and a unit s, m, h or d (like 15m or 7d), not {value!r}")
    return int(m.group(1)) * _UNITS[m.group(2)]


def parse_time(value: str, option: str) -> int:
    """Epoch milliseconds from digits or an ISO date/time (local time when no zone is given)."""
    if value.strip().isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value.strip()).timestamp() * 1000)
    except ValueError:
        raise BadInput(f"{option} takes an ISO date/time (2026-01-31 or 2026-01-31T12:00) or epoch ms") from None


def build_query(
    names: list[str],
    statuses: list[str],
    correlation_id: str | None,
    since: str | None,
    start_from: str | None,
    start_to: str | None,
    now_ms: int,
) -> str:
    """The search ``query`` for the filters, as the UI's executions page builds it."""
    clauses = []
    if names:
        clauses.append(f"workflowType IN ({','.join(_quote(n) for n in names)})")
    if statuses:
        wrong = [s for s in statuses if s.upper() not in STATUSES]
        if wrong:
            raise BadInput(f"unknown status {wrong[0]!r}; one of {', '.join(STATUSES)}")
        clauses.append(f"status IN ({','.join(s.upper() for s in statuses)})")
    if since:
        clauses.append(f"startTime > {now_ms - parse_since(since)}")
    if start_from:
        clauses.append(f"startTime > {parse_time(start_from, '--from') - 1}")
    if start_to:
        clauses.append(f"startTime < {parse_time(start_to, '--to') + 1}")
    if correlation_id:
        clauses.append(f"correlationId = {_quote(correlation_id)}")
    return " AND ".join(clauses)


@command(workflow, "search")
def search(
    cli: Cli,
    name: Annotated[list[str] | None, typer.Option("--name", "-n", help="Workflow name (repeatable)")] = None,
    status_: Annotated[
        list[str] | None, typer.Option("--status", help="RUNNING, PAUSED, COMPLETED, FAILED, ... (repeatable)")
    ] = None,
    correlation_id: Annotated[str | None, typer.Option(help="Correlation id")] = None,
    since: Annotated[str | None, typer.Option(help="Started within the last 15m, 1h, 24h, 7d, ...")] = None,
    start_from: Annotated[str | None, typer.Option("--from", help="Started at or after (ISO time or epoch ms)")] = None,
    start_to: Annotated[str | None, typer.Option("--to", help="Started at or before (ISO time or epoch ms)")] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="Free text over inputs, outputs, ids")] = None,
    query: Annotated[str | None, typer.Option(help="More clauses in the search syntax (AND-ed)")] = None,
    page: Annotated[int, typer.Option(min=1, help="Page number")] = 1,
    size: Annotated[int, typer.Option(min=1, max=1000, help="Runs per page")] = 25,
    sort: Annotated[str, typer.Option(help="field:ASC|DESC")] = "startTime:DESC",
) -> None:
    """Find runs by name, status, correlation id, start time and free text (JSON: the SearchResult)."""
    q = build_query(name or [], status_ or [], correlation_id, since, start_from, start_to, time.time_ns() // 1_000_000)
    if query:
        q = f"{q} AND {query}" if q else query
    params = {"start": (page - 1) * size, "size": size, "sort": sort, "freeText": text or "*", "query": q or None}
    result = cli.api.get("/workflow/search", **params)
    if cli.json:
        cli.print_json(result)
        return
    rows = [
        (
            r.get("workflowType", "-"),
            r.get("workflowId", "-"),
            status(r.get("status")),
            when(r.get("startTime")),
            duration(r.get("startTime"), r.get("endTime")),
            r.get("correlationId") or "-",
            r.get("reasonForIncompletion") or "",
        )
        for r in result.get("results", [])
    ]
    total = int(result.get("totalHits", 0))
    pages = max(1, -(-total // size))
    cli.out.print(table(("Workflow", "Workflow id", "Status", "Started", "Took", "Correlation id", "Reason"), rows))
    cli.note(f"page {page} of {pages}, {total} run(s)")


@command(workflow, "list")
def list_runs(
    cli: Cli,
    name: Annotated[list[str] | None, typer.Option("--name", "-n", help="Workflow name (repeatable)")] = None,
    status_: Annotated[list[str] | None, typer.Option("--status", help="Status (repeatable)")] = None,
    size: Annotated[int, typer.Option(min=1, max=1000, help="How many")] = 25,
) -> None:
    """The latest runs (a short `search`)."""
    search(cli, name=name, status_=status_, size=size)
