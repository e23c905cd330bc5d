"""`podium worker module:function ...`: serve worker functions against a server."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer


def load_targets(targets: list[str]) -> list[Any]:
    """``pkg.mod:function`` → that function; ``pkg.mod`` → every ``@worker_task`` function in it."""
    from podium.worker import collect

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: modules next to the caller are importable
    found: list[Any] = []
    for target in targets:
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise typer.BadParameter(f"cannot import {module_name!r}: {e}") from e
        if not attr:
            specs = collect(module)
            if not specs:
                raise typer.BadParameter(f"{module_name} has no @worker_task functions")
            found.extend(specs)
            continue
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                raise typer.BadParameter(f"{module_name} has no attribute {attr!r}")
        found.append(obj)
    return found


def worker(
    targets: list[str] = typer.Argument(..., help="module:function, or module (all its @worker_task functions)"),
    server: str = typer.Option(None, "--server", "-s", help="Server URL (env PODIUM_SERVER_URL)"),
    worker_id: str = typer.Option(None, help="Worker id reported with polls (env PODIUM_WORKER_ID)"),
    domain: str = typer.Option(
        None, help="Domain for workers that set none (PODIUM_WORKER_DOMAIN / PODIUM_WORKER_<TASK>_DOMAIN win)"
    ),
    concurrency: int = typer.Option(None, min=1, help="Concurrency of every worker (overrides the decorators)"),
    poll_timeout_ms: int = typer.Option(1000, min=0, max=5000, help="Long-poll wait per request"),
    metrics_port: int = typer.Option(None, help="Serve Prometheus /metrics on this port"),
    metrics_addr: str = typer.Option("0.0.0.0", help="Address of the metrics endpoint"),
    shutdown_timeout: float = typer.Option(None, help="Seconds to wait for in-flight tasks on SIGTERM (default: all)"),
    update_v2: bool = typer.Option(True, help="Chain tasks through POST /api/tasks/update-v2"),
    log_level: str = typer.Option("INFO", help="Log level"),
    log_format: str = typer.Option("text", help="text or json"),
) -> None:
    """Run worker functions: poll, execute, post results; SIGTERM stops gracefully, SIGUSR1/2 pause/resume."""
    from podium.worker import Runner, as_worker, configure_logging

    configure_logging(log_level, log_format)
    workers = [as_worker(w) for w in load_targets(targets)]
    if concurrency:
        workers = [w.with_options(concurrency=concurrency) for w in workers]
    runner = Runner(
        workers,
        server,
        worker_id=worker_id,
        domain=domain,
        poll_timeout_ms=poll_timeout_ms,
        metrics_port=metrics_port,
        metrics_addr=metrics_addr,
        shutdown_timeout=shutdown_timeout,
        update_v2=update_v2,
    )
    code = runner.run()
    if code:
        # Abandoned tasks may still hold threads that would block a normal interpreter exit.
        sys.stderr.flush()
        os._exit(code)
