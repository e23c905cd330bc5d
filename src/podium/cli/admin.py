"""`podium admin`: retention on demand (through the running server) and online SQLite backups."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from podium.cli._command import Cli, command
from podium.cli._render import when

admin = typer.Typer(help="Server operations: retention, backups.", no_args_is_help=True)

# Removing a large backlog at once may take a while.
RETENTION_TIMEOUT_S = 600


@command(admin, "retention")
def retention(
    cli: Cli,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be removed; remove nothing")] = False,
    examples: Annotated[int, typer.Option(help="How many of them to show (--dry-run)")] = 10,
) -> None:
    """Remove ended workflows past their retention now (or, with --dry-run, show how many and which)."""
    if dry_run:
        found = cli.api.get("/admin/retention", examples=examples)
        if cli.json:
            cli.print_json(found)
            return
        more = "+" if found["capped"] else ""
        cli.out.print(f"{found['count']}{more} ended workflows are past their retention and would be removed")
        default = found["defaultRetentionSeconds"]
        cli.note(f"retention: {f'{default} s' if default else 'forever'} by default")
        for name, seconds in sorted(found["retentionByName"].items()):
            cli.note(f"  {name}: {f'{seconds} s' if seconds else 'forever'}")
        for e in found["examples"]:
            ended = when(e.get("endTime"))
            cli.out.print(f"  {e['workflowId']}  {e['workflowName']}  {e['status']}  ended {ended}", markup=False)
        return
    done = cli.api.call("POST", "/admin/retention", extra_timeout=RETENTION_TIMEOUT_S)
    if cli.json:
        cli.print_json(done)
    else:
        cli.out.print(f"removed {done['removed']} ended workflows")


@admin.command("backup")
def backup(
    file: str = typer.Argument(..., help="Where to write the copy (replaced if it exists)"),
    db: str = typer.Option(None, help="sqlite:///path (env PODIUM_DB, default sqlite:///./podium.db)"),
) -> None:
    """Copy a SQLite database while its server runs (SQLite's online backup), with its secrets key file."""
    from pathlib import Path

    from podium.store.sqlite.backup import backup as copy_database
    from podium.store.sqlite.backup import sqlite_path

    url = db or os.environ.get("PODIUM_DB") or "sqlite:///./podium.db"
    try:
        done = copy_database(sqlite_path(url), Path(file))
    except (ValueError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up {url} to {done.target} ({done.workflows} workflows, {done.size_bytes:,} bytes)")
    if done.secrets_key is not None:
        typer.echo(f"with its secrets key: {done.secrets_key} (keep it as safe as the database)")
