"""The `podium` command line."""

from __future__ import annotations

import typer

from podium.cli.keys import keys as keys_app
from podium.cli.worker import worker as worker_command

app = typer.Typer(help="Podium: Conductor-compatible workflow orchestration.", no_args_is_help=True)
app.command("worker")(worker_command)
app.add_typer(keys_app, name="keys")


@app.callback()
def main() -> None:
    """Podium command line."""


@app.command()
def server(
    host: str = typer.Option(None, help="Address to listen on (env PODIUM_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (env PODIUM_PORT, default 8080)"),
    db: str = typer.Option(None, help="sqlite:///path or postgresql://... (env PODIUM_DB)"),
    log_level: str = typer.Option("warning", help="uvicorn log level"),
    auth: bool = typer.Option(False, "--auth", help="Require a token on every API call (env PODIUM_AUTH=on)"),
) -> None:
    """Run the server."""
    import uvicorn

    from podium.api.app import create_server, settings_from_environment
    from podium.api.http_protocol import http_protocol

    settings = settings_from_environment()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if db:
        settings.db = db
    if auth:
        settings.auth = True
    uvicorn.run(
        create_server(settings),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        loop="uvloop",
        # httptools, one socket write per response, slow-client deadlines (or uvicorn's own)
        http=http_protocol(limits=settings.limits),
        access_log=False,
        # No per-request header rewriting (X-Forwarded-*) and no "server: uvicorn" on every response.
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":
    app()
