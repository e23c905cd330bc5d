"""`podium dev` (also `podium server --dev`): a server on a throwaway SQLite file, for trying things out."""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import typer


def run_dev(host: str, port: int, keep: bool, serve: Callable[[list[str]], None]) -> None:
    """Serve on a fresh SQLite file in a temporary directory, removed on exit unless ``keep``."""
    folder = Path(tempfile.mkdtemp(prefix="podium-dev-"))
    db = folder / "podium.db"
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    base = f"http://{shown}:{port}"
    lines = [
        "Podium dev server (a throwaway store; Ctrl-C stops it)",
        f"  UI     {base}/",
        f"  API    {base}/api   (export CONDUCTOR_SERVER_URL={base}/api)",
        f"  docs   {base}/docs",
        f"  store  {db}" + ("" if keep else "   (removed on exit; --keep keeps it)"),
    ]
    typer.echo("\n".join(lines), err=True)
    # uvicorn stops cleanly on SIGTERM, then raises the signal again for the handler it found: make that
    # handler an exit, so the store is removed on `kill` as on Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        serve(["--host", host, "--port", str(port), "--db", f"sqlite:///{db}"])
    finally:
        if keep:
            typer.echo(f"kept {db}", err=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
