"""The `podium` command line: one module per command group (docs/cli.md is the reference).

A new group (``podium schedule ...``) is a module with a ``typer.Typer`` whose commands use
``_command.command`` (common options, one-line errors, exit codes), added to ``GROUPS`` below.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import typer

from podium.cli import metadata_validate, workflow_control  # noqa: F401  (they add commands to their groups)
from podium.cli._command import OutputOpt, ProfileOpt, ServerOpt, command
from podium.cli._config import Options
from podium.cli.admin import admin as admin_app
from podium.cli.config_show import config as config_app
from podium.cli.dev import run_dev
from podium.cli.health import health
from podium.cli.keys import keys as keys_app
from podium.cli.metadata import metadata as metadata_app
from podium.cli.schedule import schedule as schedule_app
from podium.cli.task import task as task_app
from podium.cli.values import env as env_app
from podium.cli.values import secret as secret_app
from podium.cli.worker import worker as worker_command
from podium.cli.workflow import workflow as workflow_app

EXIT_CODES = (
    "Exit codes: 0 done (the workflow COMPLETED, with --wait/--watch); 1 the workflow FAILED, TERMINATED or"
    " TIMED_OUT, or validation found errors; 2 bad usage or input; 3 server unreachable; 4 request refused"
    " (4xx); 5 server error (5xx); 6 --timeout passed, still running; 70 a fault of the CLI. See docs/cli.md."
)
app = typer.Typer(help="Podium: Conductor-compatible workflow orchestration.", epilog=EXIT_CODES, no_args_is_help=True)
app.command("worker")(worker_command)

GROUPS: list[tuple[str, typer.Typer]] = [
    ("workflow", workflow_app),
    ("task", task_app),
    ("metadata", metadata_app),
    ("schedule", schedule_app),
    ("secret", secret_app),
    ("env", env_app),
    ("keys", keys_app),
    ("admin", admin_app),
    ("config", config_app),
]
for _name, _group in GROUPS:
    app.add_typer(_group, name=_name)
command(app, "health")(health)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"podium {version('podium')}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    server: ServerOpt = None,
    profile: ProfileOpt = None,
    output: OutputOpt = None,
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version, help="Print the version"),
) -> None:
    """Podium command line. Server commands read --server/--profile/--output here or after the command."""
    ctx.obj = Options(server, profile, output)


@app.command()
def dev(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", envvar="PODIUM_HOST", help="Address to listen on"),
    port: int = typer.Option(8080, envvar="PODIUM_PORT", help="Port"),
    keep: bool = typer.Option(False, "--keep", help="Keep the SQLite file when the server stops"),
) -> None:
    """Run a server on a throwaway SQLite store, for trying things out (prints the UI link)."""
    run_dev(host, port, keep, _server_of(ctx))


def _server_of(ctx: typer.Context) -> Callable[[list[str]], None]:
    """`podium server ARGS...` (parsed as on the command line, so every other option keeps its default)."""

    def serve(args: list[str]) -> None:
        command = ctx.find_root().command.get_command(ctx, "server")  # type: ignore[attr-defined]
        command.main(args, prog_name="podium server", standalone_mode=False)

    return serve


@app.command()
def server(
    ctx: typer.Context,
    host: str = typer.Option(None, help="Address to listen on (env PODIUM_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (env PODIUM_PORT, default 8080)"),
    db: str = typer.Option(None, help="sqlite:///path or postgresql://... (env PODIUM_DB)"),
    log_level: str = typer.Option(None, help="debug, info, warning or error (env PODIUM_LOG_LEVEL, default info)"),
    log_format: str = typer.Option(None, help="text or json lines (env PODIUM_LOG_FORMAT, default text)"),
    access_log: bool = typer.Option(
        None, "--access-log/--no-access-log", help="One info line a request (env PODIUM_ACCESS_LOG=on)"
    ),
    auth: bool = typer.Option(False, "--auth", help="Require a token on every API call (env PODIUM_AUTH=on)"),
    dev_mode: bool = typer.Option(False, "--dev", help="Same as `podium dev`: a throwaway SQLite store"),
) -> None:
    """Run the server."""
    if dev_mode:
        run_dev(
            host or os.environ.get("PODIUM_HOST", "127.0.0.1"),
            port or int(os.environ.get("PODIUM_PORT", 8080)),
            False,
            _server_of(ctx),
        )
        return
    from podium.api.app import settings_from_environment
    from podium.cli.serve import serve

    settings = settings_from_environment()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if db:
        settings.db = db
    if auth:
        settings.auth = True
    if log_level:
        settings.log_level = log_level
    if log_format:
        settings.log_format = log_format
    if access_log is not None:
        settings.access_log = access_log
    serve(settings)


if __name__ == "__main__":
    app()
