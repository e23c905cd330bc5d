"""A server that is down, bad input, `--version`, and `podium dev` — through the installed entry point too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from clikit import CLEAN_ENV, Podium

from conftest import ROOT, ServerProcess, free_port, wait_until

DEAD = f"http://127.0.0.1:{free_port()}"

# Every command that talks to a server, with arguments good enough to reach it.
SERVER_COMMANDS = [
    ("workflow", "start", "w"),
    ("workflow", "status", "id"),
    ("workflow", "status", "id", "--watch"),
    ("workflow", "get-execution", "id"),
    ("workflow", "search"),
    ("workflow", "list"),
    ("workflow", "terminate", "id"),
    ("workflow", "pause", "id"),
    ("workflow", "resume", "id"),
    ("workflow", "restart", "id"),
    ("workflow", "retry", "id"),
    ("workflow", "rerun", "id"),
    ("workflow", "skip-task", "id", "ref"),
    ("workflow", "delete", "id"),
    ("task", "poll", "t"),
    ("task", "update", "tid"),
    ("task", "get", "tid"),
    ("task", "log", "tid"),
    ("task", "queue-sizes"),
    ("metadata", "list"),
    ("metadata", "get", "w"),
    ("metadata", "export"),
    ("metadata", "delete", "w", "--version", "1"),
    ("secret", "list"),
    ("secret", "get", "s"),
    ("secret", "put", "s", "v"),
    ("secret", "delete", "s"),
    ("env", "list"),
    ("env", "get", "e"),
    ("env", "put", "e", "v"),
    ("env", "delete", "e"),
]


@pytest.mark.parametrize("args", SERVER_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_server_that_is_down_is_one_line_and_exit_3(args: tuple[str, ...], tmp_path: Path) -> None:
    podium = Podium(DEAD, tmp_path / "none.toml")
    line = podium.fails(3, *args)
    assert f"cannot reach the server at {DEAD}" in line
    assert podium.fails(3, *args, "-o", "json") == line


def test_files_for_register_and_validate_are_read_before_the_server_is_called(tmp_path: Path) -> None:
    podium = Podium(DEAD, tmp_path / "none.toml")
    good = tmp_path / "wf.json"
    good.write_text('{"name": "w", "tasks": []}')
    assert "cannot reach" in podium.fails(3, "metadata", "register", str(good))
    assert "cannot reach" in podium.fails(3, "metadata", "validate", str(good))
    assert "no such file" in podium.fails(2, "metadata", "validate", str(tmp_path / "absent.json"))


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    podium = Podium(DEAD, tmp_path / "none.toml")
    assert podium.run("workflow", "start").exit_code == 2  # a missing argument (typer's own message)
    assert podium.run("workflow", "start", "w", "--priority", "500").exit_code == 2
    assert podium.run("workflow", "nonsense").exit_code == 2


def test_health(server: ServerProcess, tmp_path: Path) -> None:
    assert Podium(server.url, tmp_path / "n.toml").ok("health") == f"{server.url} is healthy\n"
    assert Podium(server.url, tmp_path / "n.toml").json("health")["healthy"] is True
    assert "cannot reach" in Podium(DEAD, tmp_path / "n.toml").fails(3, "health", "--wait", "0.3")


def test_every_exit_code_is_documented(tmp_path: Path) -> None:
    from podium.cli._errors import Exit
    from podium.cli.main import EXIT_CODES

    docs = (ROOT / "docs" / "cli.md").read_text()
    for code in Exit:
        assert f" {int(code)} " in EXIT_CODES, code  # in `podium --help`
        assert f"\n| {int(code)} |" in docs, code  # in docs/cli.md's table
    assert "Exit codes" in Podium(DEAD, tmp_path / "n.toml").ok("--help")


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    assert Podium(DEAD, tmp_path / "n.toml").ok("--version") == f"podium {version('podium')}\n"


def _entry_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env["PODIUM_CONFIG"] = str(tmp_path / "none.toml")
    return env


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "podium.cli.main", "--server", DEAD, "workflow", "list"],
        capture_output=True, text=True, env=_entry_env(tmp_path), timeout=60,
    )  # fmt: skip
    assert run.returncode == 3 and run.stdout == ""
    assert run.stderr.startswith("error: cannot reach") and run.stderr.count("\n") == 1


@pytest.mark.parametrize(("how", "stop"), [(["dev"], signal.SIGTERM), (["server", "--dev"], signal.SIGINT)])
def test_dev_serves_a_throwaway_store_and_removes_it(tmp_path: Path, how: list[str], stop: signal.Signals) -> None:
    port = free_port()
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podium.cli.main", *how, "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=_entry_env(tmp_path),
        )  # fmt: skip
    try:
        wait_until(lambda: "store" in log.read_text(), timeout=30, what="the dev banner")
        wait_until(lambda: _healthy(port), timeout=30, what="the dev server")
        banner = log.read_text()
        assert (
            f"UI     http://localhost:{port}/" in banner
            and f"CONDUCTOR_SERVER_URL=http://localhost:{port}/api" in banner
        )
        store = Path(re.search(r"store\s+(\S+)", banner).group(1))  # type: ignore[union-attr]
        assert store.is_file()
        podium = Podium(f"http://127.0.0.1:{port}", tmp_path / "none.toml")
        assert podium.json("metadata", "list", "workflows") == []  # a fresh store
    finally:
        proc.send_signal(stop)
        proc.wait(30)
    assert not store.parent.exists()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_server_that_is_not_podium_is_one_line_too(tmp_path: Path) -> None:
    import http.server
    import threading

    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>not an API</html>")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        podium = Podium(f"http://127.0.0.1:{httpd.server_address[1]}", tmp_path / "none.toml")
        line = podium.fails(70, "workflow", "search")
        assert "unexpected AttributeError" in line and "PODIUM_DEBUG=1" in line
    finally:
        httpd.shutdown()
        httpd.server_close()
