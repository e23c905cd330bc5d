"""The server under test: a `podium server` child process, with CPU and memory read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (/proc/<pid>/stat, fields 14 and 15)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state), so utime (14) and stime (15) sit at 11 and 12.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def proc_tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and of its children, live (its evaluator processes) and ended (reaped)."""
    own = _stat_fields(pid)
    # utime, stime (14, 15), then cutime, cstime (16, 17) of children it has reaped.
    total = sum(int(own[i]) for i in (11, 12, 13, 14))
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError):
                child = _stat_fields(int(entry))
                if int(child[1]) == pid:  # field 4: the parent's id
                    total += int(child[11]) + int(child[12])
    return total / _TICKS


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


class Server:
    """Start, stop, kill and restart one server on a fixed port and database."""

    def __init__(
        self,
        db_url: str,
        workdir: Path,
        *,
        pythonpath: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.db_url = db_url
        self.workdir = workdir
        self.port = free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._env = dict(os.environ)
        if pythonpath:
            self._env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, self._env.get("PYTHONPATH")) if p)
        self._env.update(env or {})

    @property
    def env(self) -> dict[str, str]:
        """The environment the server runs with (PYTHONPATH included)."""
        return dict(self._env)

    @property
    def pid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def launch(self) -> None:
        """Start the process without waiting for it to be ready."""
        cmd = [
            sys.executable,
            "-m",
            "podium.cli.main",
            "server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            self.db_url,
            "--log-level",
            "warning",
        ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=self._env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as c:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
                try:
                    if c.get(f"{self.url}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not healthy after {timeout:.0f} s: {self.log_tail()}")
                time.sleep(0.02)

    def start(self) -> Server:
        self.launch()
        self.wait_ready()
        return self

    def cpu_seconds(self) -> float:
        return proc_tree_cpu_seconds(self.pid)

    def memory(self) -> dict[str, int]:
        return proc_memory(self.pid)

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM), SIGKILL after 15 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
