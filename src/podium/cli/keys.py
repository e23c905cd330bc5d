"""`podium keys`: make, list and revoke application keys on the database itself (no server needed),
so the first admin key of a server with auth on can be made before it starts."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from podium.store.protocols import Store

keys = typer.Typer(help="Application keys for a server with auth on (--auth).", no_args_is_help=True)

_DB_HELP = "sqlite:///path or postgresql://... (env PODIUM_DB)"


def _store(db: str | None) -> Store:
    import os

    from podium.service.container import open_store

    url = db or os.environ.get("PODIUM_DB")
    if not url:
        raise typer.BadParameter("give --db or set PODIUM_DB")
    return open_store(url)


def _now() -> int:
    return time.time_ns() // 1_000_000


@keys.command("create")
def create(
    role: str = typer.Option(..., help="ADMIN, OPERATOR, WORKER or VIEWER"),
    db: str = typer.Option(None, help=_DB_HELP),
    name: str = typer.Option(None, help="A name to know the key by (recorded as createdBy/updatedBy)"),
    task_types: str = typer.Option(None, help="WORKER keys: only these task types (comma-separated)"),
    output: str = typer.Option("text", help="text or json"),
) -> None:
    """Make a key. Its secret is printed once and never stored."""
    from podium.domain.auth import parse_role
    from podium.domain.errors import InvalidArgument
    from podium.service.auth import create_key

    store = _store(db)
    try:
        types = [t for t in (task_types or "").split(",") if t.strip()]
        key = create_key(store, _now(), parse_role(role), name, types)
    except InvalidArgument as e:
        raise typer.BadParameter(e.message) from None
    finally:
        store.close()
    if output == "json":
        typer.echo(json.dumps({"keyId": key.key_id, "keySecret": key.key_secret, "role": key.role.value}))
    else:
        typer.echo(f"key id:     {key.key_id}\nkey secret: {key.key_secret}\nrole:       {key.role.value}")
        typer.echo("The secret is shown only now; keep it somewhere safe.", err=True)


@keys.command("list")
def list_keys(
    db: str = typer.Option(None, help=_DB_HELP), output: str = typer.Option("text", help="text or json")
) -> None:
    """Every key, revoked ones too (never a secret)."""
    store = _store(db)
    try:
        rows = store.list_keys()
    finally:
        store.close()
    docs: list[dict[str, Any]] = [
        {
            "keyId": k.key_id,
            "name": k.name,
            "role": k.role.value,
            "taskTypes": k.task_types,
            "createdTime": k.created_time,
            "revokedTime": k.revoked_time,
        }
        for k in rows
    ]
    if output == "json":
        typer.echo(json.dumps(docs))
        return
    for d in docs:
        state = "revoked" if d["revokedTime"] is not None else "active"
        types = ",".join(d["taskTypes"]) or "-"
        typer.echo(f"{d['keyId']}  {d['role']:<8}  {state:<7}  {types}  {d['name']}")


@keys.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id"), db: str = typer.Option(None, help=_DB_HELP)) -> None:
    """Revoke a key: servers refuse its tokens at once (every node, on PostgreSQL)."""
    from podium.domain.errors import NotFound
    from podium.service.auth import revoke_key

    store = _store(db)
    try:
        revoke_key(store, key_id, _now())
    except NotFound as e:
        typer.echo(e.message, err=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    typer.echo(f"revoked {key_id}")
