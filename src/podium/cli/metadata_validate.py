"""`podium metadata validate`: the server's validation (nothing stored) plus the CLI's own warnings."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from podium.cli._command import Cli, command
from podium.cli._errors import CliError, Exit
from podium.cli.metadata import FilesArg, metadata, read_definitions
from podium.cli.metadata_checks import Finding, unclosed_expressions, unknown_types, unserved_tasks

_VALIDATE = {"workflow": "/metadata/workflow/validate", "task": "/metadata/taskdefs/validate"}


def server_errors(cli: Cli, kind: str, doc: dict[str, Any]) -> list[Finding]:
    """The server's validation errors for one definition ([] when valid)."""
    try:
        cli.api.call("POST", _VALIDATE[kind], json=doc)
    except CliError as e:
        if e.status != 400:
            raise
        body = e.body if isinstance(e.body, dict) else {}
        errors = [
            Finding(str(v.get("path") or ""), str(v.get("message")))
            for v in body.get("validationErrors") or []
            if isinstance(v, dict)
        ]
        return errors or [Finding("", str(body.get("message") or e.message))]
    return []


def _known_workers(cli: Cli) -> tuple[set[str], set[str]]:
    defined = {str(t.get("name")) for t in cli.api.get("/metadata/taskdefs") or []}
    polled = {str(p.get("queueName")) for p in cli.api.get("/tasks/queue/polldata/all") or []}
    return defined, polled


def _as_json(findings: list[Finding]) -> list[dict[str, str]]:
    return [{"path": f.path, "message": f.message} for f in findings]


@command(metadata, "validate")
def validate(
    cli: Cli,
    files: FilesArg,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1)")] = False,
) -> None:
    """Check definitions with the server (nothing is stored) and warn about likely mistakes; exit 1 on errors."""
    workflows, tasks = read_definitions(files)
    defined, polled = _known_workers(cli) if workflows else (set(), set())
    defined |= {str(t.get("name")) for t in tasks}
    reports: list[dict[str, Any]] = []
    for kind, doc in [("task", t) for t in tasks] + [("workflow", w) for w in workflows]:
        errors = server_errors(cli, kind, doc)
        warnings = unclosed_expressions(doc, "")
        if kind == "workflow":
            warnings = unknown_types(doc) + unserved_tasks(doc, defined, polled) + warnings
        reports.append(
            {
                "kind": kind,
                "name": doc.get("name"),
                "version": doc.get("version") if kind == "workflow" else None,
                "valid": not errors,
                "errors": _as_json(errors),
                "warnings": _as_json(warnings),
            }
        )
    if cli.json:
        cli.print_json(reports)
    else:
        for r in reports:
            label = f"{r['kind']} definition {r['name']}" + (f" v{r['version']}" if r["version"] else "")
            verdict = Text("valid", style="green") if r["valid"] else Text("INVALID", style="red bold")
            cli.out.print(Text(f"{label}: ").append_text(verdict))
            for e in r["errors"]:
                cli.out.print(Text(f"  error   {e['path'] or '-'}: {e['message']}", style="red"))
            for w in r["warnings"]:
                cli.out.print(Text(f"  warning {w['path'] or '-'}: {w['message']}", style="yellow"))
    failed = any(r["errors"] or (strict and r["warnings"]) for r in reports)
    raise typer.Exit(int(Exit.UNSUCCESSFUL if failed else Exit.OK))
