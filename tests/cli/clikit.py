"""Helpers for the CLI tests: run `podium` in-process (typer's CliRunner) against a live server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from podium.cli.main import app

# Settings the developer's shell may carry; every test starts without them.
CLEAN_ENV: dict[str, str | None] = {
    k: None
    for k in (
        "CONDUCTOR_SERVER_URL",
        "PODIUM_SERVER_URL",
        "CONDUCTOR_AUTH_KEY",
        "CONDUCTOR_AUTH_SECRET",
        "PODIUM_TOKEN",
        "PODIUM_PROFILE",
        "PODIUM_OUTPUT",
        "XDG_CONFIG_HOME",
    )
}


class Podium:
    """`podium ...` against one server, with an optional config file."""

    def __init__(self, url: str, config: Path, env: Mapping[str, str | None] | None = None) -> None:
        self.url = url
        self.config = config
        self.env: dict[str, str | None] = {**CLEAN_ENV, "PODIUM_SERVER_URL": url, "PODIUM_CONFIG": str(config)}
        self.env.update(env or {})

    def run(self, *args: str, env: Mapping[str, str | None] | None = None, stdin: str | None = None) -> Result:
        """Run a command; whatever happens, it must not end in a traceback."""
        result = CliRunner().invoke(app, list(args), env={**self.env, **(env or {})}, input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"podium {' '.join(args)} raised {result.exception!r}\n{result.output}")
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str, **kw: Any) -> str:
        """Run a command that must succeed; its stdout."""
        result = self.run(*args, **kw)
        assert result.exit_code == 0, f"podium {' '.join(args)} → {result.exit_code}\n{result.output}"
        return result.stdout

    def json(self, *args: str, **kw: Any) -> Any:
        """Run a command with -o json that must succeed; its stdout parsed."""
        return json.loads(self.ok(*args, "-o", "json", **kw))

    def fails(self, code: int, *args: str, **kw: Any) -> str:
        """Run a command that must fail with ``code`` and one error line; that line."""
        result = self.run(*args, **kw)
        assert result.exit_code == code, f"podium {' '.join(args)} → {result.exit_code}, not {code}\n{result.output}"
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]


def write_json(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def taskdef(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "retryCount": 0, "responseTimeoutSeconds": 60, "timeoutSeconds": 0, **extra}


def simple_flow(name: str, *task_names: str) -> dict[str, Any]:
    """A workflow of worker tasks in a row, references ``t0``, ``t1``..."""
    tasks = [
        {"name": t, "taskReferenceName": f"t{i}", "type": "SIMPLE", "inputParameters": {"x": "${workflow.input.x}"}}
        for i, t in enumerate(task_names)
    ]
    return {"name": name, "version": 1, "schemaVersion": 2, "tasks": tasks, "ownerEmail": "cli@example.com"}


def ending_flow(name: str, status: str) -> dict[str, Any]:
    """A workflow that ends by itself: COMPLETED (a NOOP), or FAILED/TERMINATED (a TERMINATE task)."""
    if status == "COMPLETED":
        task: dict[str, Any] = {"name": "noop", "taskReferenceName": "n", "type": "NOOP"}
    else:
        task = {
            "name": "stop",
            "taskReferenceName": "stop",
            "type": "TERMINATE",
            "inputParameters": {"terminationStatus": status, "terminationReason": "by design"},
        }
    return {"name": name, "version": 1, "schemaVersion": 2, "tasks": [task], "outputParameters": {"done": True}}
