"""`podium config`: where the settings come from (no server needed)."""

from __future__ import annotations

import os

import typer

from podium.cli._command import Cli, command
from podium.cli._config import config_path
from podium.cli._render import table

config = typer.Typer(help="The CLI's own settings: profiles and where each value comes from.", no_args_is_help=True)


@command(config, "show")
def show(cli: Cli) -> None:
    """The settings a command would use, and where each came from (a secret is never shown)."""
    s = cli.settings
    values = {
        "server": s.server,
        "profile": s.profile,
        "output": s.output,
        "key_id": s.key_id,
        "key_secret": "(set)" if s.key_secret else None,
        "token": "(set)" if s.token else None,
        "config_file": str(config_path(os.environ)),
    }
    if cli.json:
        cli.print_json({"settings": values, "sources": s.sources})
        return
    rows = [
        (k, v if v is not None else "-", s.sources.get(k, "default" if k != "config_file" else ""))
        for k, v in values.items()
    ]
    cli.out.print(table(("Setting", "Value", "From"), rows))
