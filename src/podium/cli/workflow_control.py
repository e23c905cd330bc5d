"""`podium workflow terminate|pause|resume|restart|retry|rerun|skip-task|delete`: steer runs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from podium.cli._api import q
from podium.cli._command import Cli, command
from podium.cli._errors import CliError
from podium.cli._inputs import json_arg
from podium.cli.workflow import workflow

IdsArg = Annotated[list[str], typer.Argument(help="Workflow id(s)")]


def _each(cli: Cli, ids: list[str], method: str, action: str, done: str, **params: Any) -> None:
    """Apply one call to each id in turn; report each; a failure ends the command with its code."""
    failure: CliError | None = None
    for wid in ids:
        path = f"/workflow/{q(wid)}" + (f"/{action}" if action else "")
        try:
            cli.api.call(method, path, params=params)
        except CliError as e:
            if len(ids) == 1:
                raise
            cli.note(f"error: {wid}: {e.message}")
            failure = e
            continue
        cli.say(f"{done} {wid}")
    if failure is not None:
        raise CliError(f"{failure.message} (and possibly others, see above)", failure.code)


@command(workflow, "terminate")
def terminate(
    cli: Cli, workflow_ids: IdsArg, reason: Annotated[str | None, typer.Option(help="Why (kept on the run)")] = None
) -> None:
    """Terminate runs (their pending tasks are canceled)."""
    _each(cli, workflow_ids, "DELETE", "", "terminated", reason=reason)


@command(workflow, "pause")
def pause(cli: Cli, workflow_ids: IdsArg) -> None:
    """Pause runs: nothing new is scheduled until resumed."""
    _each(cli, workflow_ids, "PUT", "pause", "paused")


@command(workflow, "resume")
def resume(cli: Cli, workflow_ids: IdsArg) -> None:
    """Resume paused runs."""
    _each(cli, workflow_ids, "PUT", "resume", "resumed")


@command(workflow, "restart")
def restart(
    cli: Cli,
    workflow_ids: IdsArg,
    use_latest: Annotated[bool, typer.Option("--use-latest", help="Use the latest definitions")] = False,
) -> None:
    """Run ended runs again from the start (same ids and input)."""
    _each(cli, workflow_ids, "POST", "restart", "restarted", useLatestDefinitions=use_latest)


@command(workflow, "retry")
def retry(
    cli: Cli,
    workflow_ids: IdsArg,
    resume_subworkflow: Annotated[
        bool, typer.Option("--resume-subworkflow", help="Retry inside the failed sub-workflow instead of anew")
    ] = False,
) -> None:
    """Retry the failed tasks of ended runs."""
    _each(cli, workflow_ids, "POST", "retry", "retried", resumeSubworkflowTasks=resume_subworkflow)


@command(workflow, "delete")
def delete(
    cli: Cli,
    workflow_ids: IdsArg,
    archive: Annotated[bool, typer.Option(help="Keep the run in search results (archive)")] = True,
) -> None:
    """Remove runs and their tasks."""
    _each(cli, workflow_ids, "DELETE", "remove", "deleted", archiveWorkflow=archive)


@command(workflow, "rerun")
def rerun(
    cli: Cli,
    workflow_id: Annotated[str, typer.Argument(help="The workflow id")],
    from_task: Annotated[str | None, typer.Option("--from-task", help="Task id to run again from")] = None,
    task_input: Annotated[str | None, typer.Option(help="New input of that task: JSON or @file")] = None,
    workflow_input: Annotated[str | None, typer.Option(help="New workflow input: JSON or @file")] = None,
    correlation_id: Annotated[str | None, typer.Option(help="New correlation id")] = None,
) -> None:
    """Run an ended run again, from the start or from one task."""
    body: dict[str, Any] = {"reRunFromWorkflowId": workflow_id}
    if from_task:
        body["reRunFromTaskId"] = from_task
    if task_input is not None:
        body["taskInput"] = json_arg(task_input, "--task-input")
    if workflow_input is not None:
        body["workflowInput"] = json_arg(workflow_input, "--workflow-input")
    if correlation_id is not None:
        body["correlationId"] = correlation_id
    new_id = cli.api.call("POST", f"/workflow/{q(workflow_id)}/rerun", json=body)
    if cli.json:
        cli.print_json({"workflowId": new_id})
    else:
        cli.out.print(f"rerunning {new_id}", markup=False)


@command(workflow, "skip-task")
def skip_task(
    cli: Cli,
    workflow_id: Annotated[str, typer.Argument(help="The workflow id")],
    task_ref: Annotated[str, typer.Argument(help="Reference name of a task that has not run yet")],
    task_input: Annotated[str | None, typer.Option(help="Input recorded on the skipped task: JSON or @file")] = None,
    task_output: Annotated[str | None, typer.Option(help="Output recorded on the skipped task: JSON or @file")] = None,
) -> None:
    """Skip a task of a running run that has not been scheduled yet."""
    body = {
        "taskInput": json_arg(task_input, "--task-input") or {},
        "taskOutput": json_arg(task_output, "--task-output") or {},
    }
    cli.api.call("PUT", f"/workflow/{q(workflow_id)}/skiptask/{q(task_ref)}", json=body)
    cli.say(f"skipped {task_ref} in {workflow_id}")
