"""`podium secret` and `podium env`: the secrets and environment values workflows read as
``${workflow.secrets.NAME}`` and ``${workflow.env.NAME}`` (/api/secrets, /api/environment)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from podium.cli._api import q
from podium.cli._command import Cli, command
from podium.cli._inputs import read_text
from podium.cli._render import table

secret = typer.Typer(help="Secrets (values only an admin can read back).", no_args_is_help=True)
env = typer.Typer(help="Environment values of the server.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The name")]
ValueArg = Annotated[str | None, typer.Argument(help="The value (absent: read stdin)")]
FromFile = Annotated[str | None, typer.Option("--from-file", "-f", help="Read the value from this file")]


def _value(value: str | None, from_file: str | None) -> str:
    """The value from the argument, a file, or stdin (one trailing newline dropped from the last two)."""
    if value is not None:
        return value
    text = read_text(from_file) if from_file else sys.stdin.read()
    return text[:-1] if text.endswith("\n") else text


@command(secret, "put")
def put_secret(cli: Cli, name: NameArg, value: ValueArg = None, from_file: FromFile = None) -> None:
    """Create or replace a secret (give the value on stdin or with --from-file to keep it out of shell history)."""
    cli.api.call("PUT", f"/secrets/{q(name)}", json=_value(value, from_file))
    cli.say(f"stored secret {name}")


@command(secret, "get")
def get_secret(cli: Cli, name: NameArg) -> None:
    """A secret's value (ADMIN keys only on a server with --auth)."""
    value = cli.api.get(f"/secrets/{q(name)}")
    if cli.json:
        cli.print_json(value)
    else:
        cli.out.print(str(value), markup=False)


@command(secret, "list")
def list_secrets(cli: Cli) -> None:
    """Names of every secret (never a value)."""
    names = sorted(cli.api.get("/secrets") or [])
    if cli.json:
        cli.print_json(names)
    else:
        for n in names:
            cli.out.print(n, markup=False)


@command(secret, "delete")
def delete_secret(cli: Cli, name: NameArg) -> None:
    """Delete a secret."""
    cli.api.call("DELETE", f"/secrets/{q(name)}")
    cli.say(f"deleted secret {name}")


@command(env, "put")
def put_env(cli: Cli, name: NameArg, value: ValueArg = None, from_file: FromFile = None) -> None:
    """Create or replace an environment value."""
    cli.api.call("PUT", f"/environment/{q(name)}", json=_value(value, from_file))
    cli.say(f"stored {name}")


@command(env, "get")
def get_env(cli: Cli, name: NameArg) -> None:
    """One environment value."""
    value = cli.api.get(f"/environment/{q(name)}")
    if cli.json:
        cli.print_json(value)
    else:
        cli.out.print(str(value), markup=False)


@command(env, "list")
def list_env(cli: Cli) -> None:
    """Every environment value (JSON: {name: value})."""
    values = cli.api.get("/environment") or {}
    if cli.json:
        cli.print_json(values)
    else:
        cli.out.print(table(("Name", "Value"), sorted(values.items())))


@command(env, "delete")
def delete_env(cli: Cli, name: NameArg) -> None:
    """Delete an environment value."""
    cli.api.call("DELETE", f"/environment/{q(name)}")
    cli.say(f"deleted {name}")
