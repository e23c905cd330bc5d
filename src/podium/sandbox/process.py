"""One evaluator process, as the server sees it: spawn, send, wait for a reply, read it, kill."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import podium
from podium.sandbox import frames

_SRC = str(Path(podium.__file__).resolve().parent.parent)
# The child imports the very podium code the server runs, whatever its install, with no environment.
_BOOT = f"import sys; sys.path.insert(0, {_SRC!r}); from podium.sandbox.child import main; main()"


class EvaluatorProcess:
    """A child running ``podium.sandbox.child``; at most one request in flight."""

    __slots__ = ("_poller", "alive", "popen", "ready", "rfd", "wfd")

    def __init__(self, memory: int, workdir: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            cwd=workdir,
            close_fds=True,
            start_new_session=True,  # a signal to the server's process group is the server's alone
        )
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.wfd = self.popen.stdin.fileno()
        self.rfd = self.popen.stdout.fileno()
        self._poller = select.poll()
        self._poller.register(self.rfd, select.POLLIN)
        self.ready = False
        self.alive = True

    def send(self, frame: bytes) -> bool:
        """Write a request; False if the process is gone."""
        try:
            frames.write_all(self.wfd, frame)
        except OSError:
            return False
        return True

    def wait(self, timeout_s: float) -> bool:
        """True once a reply can be read without blocking (or the process ended); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if not self._poller.poll(max(int(left * 1000), 0)):
                return False
            if self.ready:
                return True
            if not self.take_ready():
                return True  # ended before it was ready: reading says so
            if left <= 0:
                return False

    def wait_ready(self, timeout_s: float) -> bool:
        """True once the process takes requests; False if it ended or did not start in time."""
        if not self.ready and self._poller.poll(max(int(timeout_s * 1000), 0)):
            self.take_ready()
        return self.ready

    def take_ready(self) -> bool:
        """Consume the READY byte a fresh process writes first; False if it ended instead."""
        if os.read(self.rfd, 1) != frames.READY:
            return False
        self.ready = True
        return True

    def readable_now(self) -> bool:
        return bool(self._poller.poll(0))

    def read(self) -> bytes | None:
        """The reply (blocking until it is whole), or None if the process ended."""
        if not self.ready and not self.take_ready():
            return None
        return frames.read_frame(self.rfd)

    def kill(self) -> None:
        self.alive = False
        if self.popen.poll() is None:
            self.popen.kill()
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                stream.close()
        self.popen.wait()
