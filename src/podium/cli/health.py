"""`podium health`: whether the server answers, and waiting until it does (for scripts and CI)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from podium.cli._command import Cli
from podium.cli._errors import CliError, Exit


def health(
    cli: Cli,
    wait: Annotated[float, typer.Option(help="Keep asking this many seconds until it answers healthy")] = 0.0,
) -> None:
    """Ask the server whether it is healthy (exit 0), else exit 3 (unreachable) or 5 (unhealthy)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            answer = cli.api.get("/health")
            if isinstance(answer, dict) and answer.get("healthy") is True:
                break
            failure = CliError(f"the server at {cli.settings.server} is not healthy: {answer}", Exit.SERVER_ERROR)
        except CliError as e:
            failure = e
        if time.monotonic() >= deadline:
            raise failure
        time.sleep(0.1)
    if cli.json:
        cli.print_json(answer)
    else:
        cli.out.print(f"{cli.settings.server} is healthy", markup=False)
