"""The hostile-workflow harness: a health probe that must stay fast while an attack runs, and a
normal workflow that must still finish on time beside it (issue #12's verification)."""

from __future__ import annotations

import atexit
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import httpx
import pytest

from conftest import ServerProcess, free_port

PROBE_EVERY_S = 0.05
PROBE_LIMIT_S = 0.25


class ControlServer:
    """The standard library's HTTP server in a process of its own, probed beside the server under attack.

    When the machine itself is too busy to answer anyone on time (other test suites, benchmarks), the
    control's waits grow too; only what the attacked server waits beyond the control counts against it.
    One per test session, started on first use."""

    _instance: ControlServer | None = None

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="podium-control-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1", "--directory", self.folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(self.stop)
        wait_for(self._answers, 30, "the control server to answer")

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @classmethod
    def shared(cls) -> ControlServer:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


class HealthProbe:
    """GETs ``/health`` every 50 ms on its own connection, from a thread, and records each wait; right
    after each, the same GET of a control server (``ControlServer``) measures how busy the machine is.

    Use as a context manager around the attack; on leaving, ``assert_responsive()`` is checked
    unless the block raised: no ``/health`` may wait more than ``limit_s`` beyond the control's waits
    around it. ``waits`` holds every probe's duration (a probe that failed counts as the time it took
    to fail, plus a note in ``failures``).
    """

    def __init__(self, base_url: str, limit_s: float = PROBE_LIMIT_S) -> None:
        self.base_url = base_url
        self.limit_s = limit_s
        self.waits: list[float] = []
        self.control_waits: list[float] = []
        self.failures: list[str] = []
        self._control = ControlServer.shared()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health-probe", daemon=True)

    def _run(self) -> None:
        with (
            httpx.Client(base_url=self.base_url, timeout=30) as client,
            httpx.Client(base_url=self._control.url, timeout=30) as control,
        ):
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    r = client.get("/health")
                    if r.status_code != 200:
                        self.failures.append(f"/health answered {r.status_code}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"/health failed: {exc!r}")
                took = time.monotonic() - started
                self.control_waits.append(_timed(control))
                self.waits.append(took)
                self._stop.wait(max(PROBE_EVERY_S - took, 0.0))

    @property
    def max_wait(self) -> float:
        return max(self.waits, default=0.0)

    def excess(self) -> list[float]:
        """Each probe's wait beyond the longest control wait next to it in time."""
        c = self.control_waits
        return [w - max(c[max(0, i - 1) : i + 2], default=0.0) for i, w in enumerate(self.waits)]

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        # The first probe proves the server answers before the attack starts.
        self._wait_for_probes(1)
        return self

    def _wait_for_probes(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.waits) < count and time.monotonic() < deadline:
            time.sleep(0.005)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # At least one probe is made after the block: an attack still under way shows in it.
        self._wait_for_probes(len(self.waits) + 1)
        self._stop.set()
        self._thread.join(timeout=60)
        if exc_type is None:
            self.assert_responsive()

    def assert_responsive(self) -> None:
        assert len(self.waits) >= 2, "the health probe ran fewer than twice"
        assert not self.failures, self.failures[:5]
        excess = self.excess()
        worst = max(range(len(excess)), key=excess.__getitem__)
        assert excess[worst] <= self.limit_s, (
            f"/health waited {self.waits[worst] * 1000:.0f} ms, {excess[worst] * 1000:.0f} ms beyond a control "
            f"server's wait at the same time (limit {self.limit_s * 1000:.0f} ms) over {len(self.waits)} probes"
        )


def _timed(client: httpx.Client) -> float:
    """How long one GET / of the control server took (a failure counts as no wait: the server is not excused)."""
    started = time.monotonic()
    try:
        client.get("/")
    except httpx.HTTPError:
        return 0.0
    return time.monotonic() - started


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy; return that, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


NORMAL_WORKFLOW = "hostile_suite_normal_neighbour"


def register_normal(api: httpx.Client) -> None:
    """A small everyday workflow that uses the evaluators too (INLINE JavaScript, jq)."""
    body = {
        "name": NORMAL_WORKFLOW,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "suite@example.com",
        "tasks": [
            {
                "name": "add",
                "taskReferenceName": "add",
                "type": "INLINE",
                "inputParameters": {
                    "evaluatorType": "graaljs",
                    "expression": "$.x + 1",
                    "x": "${workflow.input.x}",
                },
            },
            {
                "name": "shape",
                "taskReferenceName": "shape",
                "type": "JSON_JQ_TRANSFORM",
                "inputParameters": {"queryExpression": "{y: .v}", "v": "${add.output.result}"},
            },
        ],
        "outputParameters": {"y": "${shape.output.result.y}"},
    }
    r = api.put("/metadata/workflow", json=[body])
    assert r.status_code in (200, 204), r.text


def start_normal(api: httpx.Client, x: int = 41) -> str:
    r = api.post(f"/workflow/{NORMAL_WORKFLOW}", json={"x": x})
    assert r.status_code == 200, r.text
    return r.text.strip('"')


def assert_normal_on_time(api: httpx.Client, within_s: float = 3.0) -> None:
    """Start the normal workflow and require it COMPLETED with the right output within ``within_s``."""
    register_normal(api)
    wid = start_normal(api)

    def done() -> dict[str, Any] | None:
        wf = api.get(f"/workflow/{wid}", params={"includeTasks": "false"}).json()
        return wf if wf["status"] not in ("RUNNING", "PAUSED") else None

    wf = wait_for(done, within_s, "the normal workflow beside the attack")
    assert wf["status"] == "COMPLETED", wf
    assert wf["output"] == {"y": 42}, wf["output"]


# -- shared helpers of the hostile modules -----------------------------------------------------------
def serve(factory: pytest.TempPathFactory, name: str, env: dict[str, str], **kw: Any) -> Iterator[ServerProcess]:
    """A server of its own for one module (the body of its module-scoped fixture)."""
    srv = ServerProcess(factory.mktemp(name) / "podium.db", env=env, **kw).start()
    yield srv
    srv.stop()


def register(api: httpx.Client, name: str, *tasks: dict[str, Any]) -> None:
    body = {"name": name, "version": 1, "schemaVersion": 2, "ownerEmail": "suite@example.com", "tasks": list(tasks)}
    r = api.put("/metadata/workflow", json=[body])
    assert r.status_code in (200, 204), r.text


def start(api: httpx.Client, name: str, inp: dict[str, Any] | None = None) -> str:
    r = api.post(f"/workflow/{name}", json=inp or {})
    assert r.status_code == 200, r.text
    return r.text.strip('"')


def ended(api: httpx.Client, wid: str, timeout: float = 30) -> dict[str, Any]:
    """The workflow once it is no longer RUNNING or PAUSED."""

    def done() -> dict[str, Any] | None:
        wf: dict[str, Any] = api.get(f"/workflow/{wid}").json()
        return wf if wf["status"] not in ("RUNNING", "PAUSED") else None

    result: dict[str, Any] = wait_for(done, timeout, f"workflow {wid} to end")
    return result


def task_of(wf: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(t for t in wf["tasks"] if t["referenceTaskName"] == ref)


def inline(ref: str, script: str) -> dict[str, Any]:
    params = {"evaluatorType": "graaljs", "expression": script}
    return {"name": ref, "taskReferenceName": ref, "type": "INLINE", "inputParameters": params}


# Low limits keep each attack short; the defaults are documented in podium.domain.limits.
HOSTILE_ENV = {
    "PODIUM_LIMIT_SCRIPT_TIMEOUT_MS": "1000",
}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server per module, with limits low enough that attacks end quickly (import the fixture)."""
    yield from serve(tmp_path_factory, "hostile", HOSTILE_ENV)


@pytest.fixture()
def hapi(hostile_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hostile_server.url + "/api", timeout=60) as c:
        yield c
