"""Shared fixtures: a real SQLite file, a real server process on loopback, an HTTP client."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: object, timeout: float = 10.0, interval: float = 0.01, what: str = "condition") -> None:
    """Poll a condition until it holds or the deadline passes (no blind sleeps)."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class ServerProcess:
    """`podium server` in a child process on a free loopback port."""

    def __init__(
        self, db_path: Path, env: dict[str, str] | None = None, db_url: str | None = None, entry: str | None = None
    ) -> None:
        self.db_path = db_path
        self.entry = [entry] if entry else ["-m", "podium.cli.main"]  # a script with the CLI's arguments
        self.db_url = db_url or f"sqlite:///{db_path}"  # db_path still names the log file
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = db_path.with_suffix(".log")

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "PODIUM_SWEEP_INTERVAL_MS": "100",
            "PODIUM_SYSTEM_TASK_INTERVAL_MS": "50",
            **self.extra_env,
        }
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                *self.entry,
                "server",
                "--port",
                str(self.port),
                "--db",
                self.db_url,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One shared server for API tests (each test uses unique names)."""
    srv = ServerProcess(tmp_path_factory.mktemp("srv") / "podium.db").start()
    yield srv
    srv.stop()


@pytest.fixture()
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/api", timeout=30) as c:
        yield c


_counter = itertools.count()


@pytest.fixture()
def uniq(request: pytest.FixtureRequest) -> str:
    """A name unique to this test (definitions are shared across the session server)."""
    base = "".join(ch if ch.isalnum() else "_" for ch in request.node.name)[:40]
    return f"{base}_{next(_counter)}_{os.getpid()}"


# PostgreSQL: a throwaway cluster per session (`postgres`), a fresh migrated database per test (`pg_url`).
# The hostile-workflow suite's server (low limits) and client.
from hostile.harness import hapi, hostile_server  # noqa: E402, F401
from pg_cluster import pg_url, postgres  # noqa: E402, F401
