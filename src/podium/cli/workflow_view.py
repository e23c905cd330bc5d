"""A workflow run on the terminal: its status and task list, drawn once or live until the run ends."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Group, RenderableType
from rich.live import Live
from rich.text import Text

from podium.cli._api import q
from podium.cli._command import Cli
from podium.cli._errors import Exit
from podium.cli._render import compact, duration, status, table, when
from podium.domain.statuses import workflow_terminal

_OUTCOME = {
    "COMPLETED": Exit.OK,
    "FAILED": Exit.UNSUCCESSFUL,
    "TERMINATED": Exit.UNSUCCESSFUL,
    "TIMED_OUT": Exit.UNSUCCESSFUL,
}


def outcome(wf: dict[str, Any]) -> Exit:
    """The exit code a run's state stands for: 0 completed, 1 failed/terminated/timed out, 6 not ended."""
    return _OUTCOME.get(str(wf.get("status")), Exit.STILL_RUNNING)


def task_table(wf: dict[str, Any]) -> RenderableType:
    """One row per task record, in schedule order."""
    rows = []
    for t in wf.get("tasks") or []:
        rows.append(
            (
                t.get("seq", "-"),
                t.get("referenceTaskName", "-"),
                t.get("taskType", "-"),
                status(t.get("status")),
                t.get("retryCount", 0),
                t.get("workerId") or "-",
                duration(t.get("startTime") or t.get("scheduledTime"), t.get("endTime")),
                t.get("reasonForIncompletion") or "",
            )
        )
    if not rows:
        return Text("(no tasks yet)", style="dim")
    return table(("Seq", "Reference", "Type", "Status", "Retry", "Worker", "Took", "Reason"), rows)


def header(wf: dict[str, Any]) -> Text:
    """``name vN  id  STATUS  took`` on one line."""
    line = Text()
    line.append(f"{wf.get('workflowName', '?')} v{wf.get('workflowVersion', '?')}", style="bold")
    line.append(f"  {wf.get('workflowId', '?')}  ")
    line.append_text(status(wf.get("status")))
    took = duration(wf.get("startTime") or wf.get("createTime"), wf.get("endTime"))
    if took != "-":
        line.append(f"  took {took}")
    if wf.get("reasonForIncompletion"):
        line.append(f"\nreason: {wf['reasonForIncompletion']}", style="red")
    if workflow_terminal(str(wf.get("status"))) and wf.get("output"):
        line.append(f"\noutput: {compact(wf['output'], 200)}")
    return line


def compact_view(wf: dict[str, Any]) -> RenderableType:
    """The status line and the task list (``workflow status``)."""
    return Group(header(wf), task_table(wf))


def full_view(wf: dict[str, Any]) -> RenderableType:
    """Everything a person reads first about a run (``workflow get-execution``)."""
    facts = [
        ("Correlation id", wf.get("correlationId") or "-"),
        ("Started", when(wf.get("startTime") or wf.get("createTime"))),
        ("Ended", when(wf.get("endTime"))),
        ("Input", compact(wf.get("input"), 160)),
        ("Output", compact(wf.get("output"), 160)),
    ]
    if wf.get("parentWorkflowId"):
        facts.append(("Parent", wf["parentWorkflowId"]))
    if wf.get("variables"):
        facts.append(("Variables", compact(wf["variables"], 160)))
    return Group(header(wf), table(("Field", "Value"), facts), Text(""), task_table(wf))


def follow(cli: Cli, workflow_id: str, *, timeout: float = 0.0, interval: float = 0.3) -> dict[str, Any]:
    """Read the run until it ends (or ``timeout`` seconds pass, 0 = no limit), drawing it live on a terminal."""
    deadline = time.monotonic() + timeout if timeout > 0 else None

    def read() -> dict[str, Any]:
        wf: dict[str, Any] = cli.api.get(f"/workflow/{q(workflow_id)}", includeTasks=True)
        return wf

    def done(wf: dict[str, Any]) -> bool:
        return workflow_terminal(str(wf.get("status"))) or (deadline is not None and time.monotonic() >= deadline)

    wf = read()
    if cli.json or not cli.out.is_terminal:
        while not done(wf):
            time.sleep(interval)
            wf = read()
        return wf
    # transient: the live drawing goes away at the end, and the caller prints the final state once
    with Live(compact_view(wf), console=cli.out, refresh_per_second=4, transient=True) as live:
        while not done(wf):
            time.sleep(interval)
            wf = read()
            live.update(compact_view(wf))
    return wf
