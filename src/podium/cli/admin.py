"""`podium admin`: retention on demand (through the running server) and online SQLite backups."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import httpx

admin = typer.Typer(help="Server operations: retention, backups.", no_args_is_help=True)

_SERVER_HELP = "The server (env PODIUM_SERVER_URL or CONDUCTOR_SERVER_URL; default http://localhost:8080)"


def _base(server: str | None) -> str:
    url = server or os.environ.get("PODIUM_SERVER_URL") or os.environ.get("CONDUCTOR_SERVER_URL")
    url = (url or "http://localhost:8080").rstrip("/")
    return url[: -len("/api")] if url.endswith("/api") else url


def _headers(client: httpx.Client) -> dict[str, str]:
    """A token for a server with auth on, from the SDKs' CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET."""
    key, secret = os.environ.get("CONDUCTOR_AUTH_KEY"), os.environ.get("CONDUCTOR_AUTH_SECRET")
    if not (key and secret):
        return {}
    r = client.post("/api/token", json={"keyId": key, "keySecret": secret})
    _check(r)
    return {"X-Authorization": str(r.json()["token"])}


def _check(r: httpx.Response) -> None:
    if r.status_code >= 400:
        try:
            message = r.json().get("message") or r.text
        except ValueError:
            message = r.text
        typer.echo(f"error: the server answered {r.status_code}: {message}", err=True)
        raise typer.Exit(1)


def _call(server: str | None, method: str, path: str, timeout: float) -> Any:
    import httpx

    base = _base(server)
    try:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            r = client.request(method, path, headers=_headers(client))
            _check(r)
            return r.json()
    except httpx.HTTPError as e:
        typer.echo(f"error: cannot reach the server at {base}: {e}", err=True)
        raise typer.Exit(2) from None


@admin.command("retention")
def retention(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be removed; remove nothing"),
    server: str = typer.Option(None, help=_SERVER_HELP),
    examples: int = typer.Option(10, help="How many of them to show (--dry-run)"),
    output: str = typer.Option("text", help="text or json"),
) -> None:
    """Remove ended workflows past their retention now (or, with --dry-run, show how many and which)."""
    if dry_run:
        found = _call(server, "GET", f"/api/admin/retention?examples={examples}", 60)
        if output == "json":
            typer.echo(json.dumps(found))
            return
        more = "+" if found["capped"] else ""
        typer.echo(f"{found['count']}{more} ended workflows are past their retention and would be removed")
        default = found["defaultRetentionSeconds"]
        typer.echo(f"retention: {f'{default} s' if default else 'forever'} by default", err=True)
        for name, seconds in sorted(found["retentionByName"].items()):
            typer.echo(f"  {name}: {f'{seconds} s' if seconds else 'forever'}", err=True)
        for e in found["examples"]:
            typer.echo(f"  {e['workflowId']}  {e['workflowName']}  {e['status']}  ended {_when(e.get('endTime'))}")
        return
    done = _call(server, "POST", "/api/admin/retention", 600)
    if output == "json":
        typer.echo(json.dumps(done))
    else:
        typer.echo(f"removed {done['removed']} ended workflows")


def _when(ms: Any) -> str:
    if not isinstance(ms, int):
        return "?"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))


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
