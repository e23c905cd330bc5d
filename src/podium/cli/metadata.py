"""`podium metadata`: register, list, read, export, delete and validate definitions.

A file holds one definition or a list; a workflow definition is told from a task definition by its
``tasks`` list, so one file may hold both kinds (``metadata export`` writes such a file).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.syntax import Syntax

from podium.cli._api import q
from podium.cli._command import Cli, command
from podium.cli._errors import BadInput
from podium.cli._inputs import load_file
from podium.cli._render import table, when
from podium.cli.metadata_checks import kind_of, split_documents

metadata = typer.Typer(help="Workflow and task definitions.", no_args_is_help=True)

FilesArg = Annotated[list[str], typer.Argument(help="JSON files (- for stdin): a definition or a list of them")]
TaskFlag = Annotated[bool, typer.Option("--task", help="A task definition (default: a workflow definition)")]


def read_definitions(files: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(workflow definitions, task definitions) from files; anything else is a BadInput."""
    workflows: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for path in files:
        for i, doc in enumerate(split_documents(load_file(path))):
            kind = kind_of(doc)
            if kind == "workflow":
                workflows.append(doc)
            elif kind == "task":
                tasks.append(doc)
            else:
                raise BadInput(f"{path}: item {i} is neither a workflow definition (with tasks) nor a task definition")
    return workflows, tasks


@command(metadata, "register")
def register(cli: Cli, files: FilesArg) -> None:
    """Create or update the definitions in the files (task definitions first)."""
    workflows, tasks = read_definitions(files)
    if tasks:
        cli.api.call("POST", "/metadata/taskdefs", json=tasks)
    if workflows:
        cli.api.call("PUT", "/metadata/workflow", json=workflows)
    done = {
        "taskDefs": [t["name"] for t in tasks],
        "workflowDefs": [{"name": w.get("name"), "version": w.get("version", 1)} for w in workflows],
    }
    if cli.json:
        cli.print_json(done)
        return
    for t in tasks:
        cli.out.print(f"registered task definition {t['name']}", markup=False)
    for w in workflows:
        cli.out.print(f"registered workflow definition {w.get('name')} v{w.get('version', 1)}", markup=False)


@command(metadata, "list")
def list_defs(
    cli: Cli,
    kind: Annotated[str, typer.Argument(help="workflows, tasks or all")] = "all",
    all_versions: Annotated[bool, typer.Option("--all-versions", help="Every version, not only the latest")] = False,
) -> None:
    """Registered definitions (JSON: the API's lists; for `all`, {workflowDefs, taskDefs})."""
    if kind not in ("workflows", "tasks", "all"):
        raise BadInput("the kind is workflows, tasks or all")
    out: dict[str, Any] = {}
    if kind in ("workflows", "all"):
        out["workflowDefs"] = cli.api.get(
            "/metadata/workflow" if all_versions else "/metadata/workflow/latest-versions"
        )
    if kind in ("tasks", "all"):
        out["taskDefs"] = cli.api.get("/metadata/taskdefs")
    if cli.json:
        cli.print_json(out if kind == "all" else next(iter(out.values())))
        return
    if "workflowDefs" in out:
        cli.out.print(_workflow_table(out["workflowDefs"]))
    if "taskDefs" in out:
        cli.out.print(_task_table(out["taskDefs"]))


def _workflow_table(defs: list[dict[str, Any]]) -> Any:
    rows = [
        (
            w.get("name"),
            w.get("version"),
            len(w.get("tasks") or []),
            when(w.get("updateTime") or w.get("createTime")),
            w.get("description") or "",
        )
        for w in sorted(defs, key=lambda w: (str(w.get("name")), w.get("version") or 0))
    ]
    return table(("Name", "Version", "Tasks", "Updated", "Description"), rows, title="Workflow definitions")


def _task_table(defs: list[dict[str, Any]]) -> Any:
    rows = [
        (
            t.get("name"),
            t.get("retryCount", "-"),
            t.get("timeoutSeconds", "-"),
            t.get("responseTimeoutSeconds", "-"),
            t.get("ownerEmail") or "-",
            t.get("description") or "",
        )
        for t in sorted(defs, key=lambda t: str(t.get("name")))
    ]
    heads = ("Name", "Retries", "Timeout s", "Response timeout s", "Owner", "Description")
    return table(heads, rows, title="Task definitions")


@command(metadata, "get")
def get(
    cli: Cli,
    name: Annotated[str, typer.Argument(help="Definition name")],
    version: Annotated[int | None, typer.Option(help="Workflow definition version (default: latest)")] = None,
    task: TaskFlag = False,
) -> None:
    """One definition, as JSON (coloured on a terminal)."""
    doc = (
        cli.api.get(f"/metadata/taskdefs/{q(name)}")
        if task
        else cli.api.get(f"/metadata/workflow/{q(name)}", version=version)
    )
    if cli.json or not cli.out.is_terminal:
        cli.print_json(doc)
    else:
        import json

        cli.out.print(Syntax(json.dumps(doc, indent=2, ensure_ascii=False), "json"))


@command(metadata, "export")
def export(
    cli: Cli,
    file: Annotated[str | None, typer.Argument(help="Write here (default: stdout)")] = None,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="Every version, not only the latest")] = False,
) -> None:
    """Every definition as one JSON list that `metadata register` reads back."""
    import json

    tasks = cli.api.get("/metadata/taskdefs") or []
    workflows = cli.api.get("/metadata/workflow" if all_versions else "/metadata/workflow/latest-versions") or []
    docs = sorted(tasks, key=lambda t: str(t.get("name"))) + sorted(
        workflows, key=lambda w: (str(w.get("name")), w.get("version") or 0)
    )
    text = json.dumps(docs, indent=2, ensure_ascii=False) + "\n"
    if file is None or file == "-":
        cli.print_json(docs)
        return
    try:
        with open(file, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise BadInput(f"cannot write {file}: {e}") from None
    cli.note(f"exported {len(workflows)} workflow and {len(tasks)} task definition(s) to {file}")


@command(metadata, "delete")
def delete(
    cli: Cli,
    name: Annotated[str, typer.Argument(help="Definition name")],
    version: Annotated[int | None, typer.Option(help="The workflow definition version to delete")] = None,
    task: TaskFlag = False,
) -> None:
    """Delete a workflow definition version, or a task definition (--task)."""
    if task:
        cli.api.call("DELETE", f"/metadata/taskdefs/{q(name)}")
        cli.say(f"deleted task definition {name}")
        return
    if version is None:
        raise BadInput("give --version (the workflow definition version to delete), or --task for a task definition")
    cli.api.call("DELETE", f"/metadata/workflow/{q(name)}/{version}")
    cli.say(f"deleted workflow definition {name} v{version}")
