"""The `podium` command line."""

from __future__ import annotations

import typer

from podium.cli.admin import admin as admin_app
from podium.cli.keys import keys as keys_app
from podium.cli.worker import worker as worker_command

app = typer.Typer(help="Podium: Conductor-compatible workflow orchestration.", no_args_is_help=True)
app.command("worker")(worker_command)
app.add_typer(keys_app, name="keys")
app.add_typer(admin_app, name="admin")


@app.callback()
def main() -> None:
    """Podium command line."""


@app.command()
def server(
    host: str = typer.Option(None, help="Address to listen on (env PODIUM_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (env PODIUM_PORT, default 8080)"),
    db: str = typer.Option(None, help="sqlite:///path or postgresql://... (env PODIUM_DB)"),
    log_level: str = typer.Option(None, help="debug, info, warning or error (env PODIUM_LOG_LEVEL, default info)"),
    log_format: str = typer.Option(None, help="text or json lines (env PODIUM_LOG_FORMAT, default text)"),
    access_log: bool = typer.Option(
        None, "--access-log/--no-access-log", help="One info line a request (env PODIUM_ACCESS_LOG=on)"
    ),
    auth: bool = typer.Option(False, "--auth", help="Require a token on every API call (env PODIUM_AUTH=on)"),
) -> None:
    """Run the server."""
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
