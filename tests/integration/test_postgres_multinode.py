"""Three server nodes on one PostgreSQL database, workers spread across them, real processes throughout.

A node is killed with SIGKILL mid-run, and PostgreSQL itself is restarted mid-run. Every workflow must
complete, no task may be scheduled twice, and no task may be held by two workers at once.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from conftest import ServerProcess, wait_until
from pg_cluster import PgCluster, start_cluster

TYPES = ["mn_a", "mn_b", "mn_c", "mn_d"]
REFS = ["a", "b1", "b2", "c", "d"]
FLOW = {
    "name": "mn_flow",
    "version": 1,
    "tasks": [
        {"name": "mn_a", "taskReferenceName": "a", "type": "SIMPLE"},
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "forkTasks": [
                [
                    {"name": "mn_b", "taskReferenceName": "b1", "type": "SIMPLE"},
                    {"name": "mn_b", "taskReferenceName": "b2", "type": "SIMPLE"},
                ],
                [
                    {
                        "name": "mn_c",
                        "taskReferenceName": "c",
                        "type": "SIMPLE",
                        "inputParameters": {"fail": "${workflow.input.fail}"},
                    }
                ],
            ],
        },
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["b2", "c"]},
        {"name": "mn_d", "taskReferenceName": "d", "type": "SIMPLE"},
    ],
    "outputParameters": {"last": "${d.output.ref}"},
}


class Ledger:
    """What the workers saw: every hand-out with how long it was held, every 503 body."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holds: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        self.finished: set[str] = set()
        self.unavailable: list[dict[str, Any]] = []
        self.unexpected: list[str] = []

    def hold(self, task_id: str, start: float, end: float, worker: str, ref: str, wid: str) -> None:
        with self.lock:
            self.holds[task_id].append((start, end, worker))
            if ref == "d":
                self.finished.add(wid)


class Worker:
    """Polls every type from its node; on a dead node it moves on, and it never drops a result."""

    def __init__(self, name: str, home: int, ledger: Ledger, stop: threading.Event) -> None:
        self.name = name
        self.node = home
        self.ledger = ledger
        self.stop = stop
        self.clients: list[httpx.AsyncClient] = []

    async def run(self, clients: list[httpx.AsyncClient]) -> None:
        self.clients = clients
        while not self.stop.is_set():
            for ttype in TYPES:
                for t in await self._poll(ttype):
                    await self._work(t)

    async def _call(self, method: str, path: str, **kw: Any) -> httpx.Response | None:
        try:
            r = await self.clients[self.node].request(method, path, **kw)
        except httpx.TransportError:
            self.node = (self.node + 1) % len(self.clients)  # this node is gone: use another
            return None
        if r.status_code == 503:
            with self.ledger.lock:
                self.ledger.unavailable.append(r.json())
            await asyncio.sleep(0.05)  # back off while the database is away
            return None
        if r.status_code != 200:
            with self.ledger.lock:
                self.ledger.unexpected.append(f"{method} {path}: {r.status_code} {r.text[:300]}")
            return None
        return r

    async def _poll(self, ttype: str) -> list[dict[str, Any]]:
        params = {"count": 4, "timeout": 50, "workerid": self.name}
        r = await self._call("GET", f"/tasks/poll/batch/{ttype}", params=params)
        return [] if r is None else list(r.json())

    async def _work(self, t: dict[str, Any]) -> None:
        start = time.monotonic()
        fail = t["referenceTaskName"] == "c" and t["inputData"].get("fail") and t.get("retryCount", 0) == 0
        body = {
            "workflowInstanceId": t["workflowInstanceId"],
            "taskId": t["taskId"],
            "status": "FAILED" if fail else "COMPLETED",
            "outputData": {"ref": t["referenceTaskName"], "by": self.name},
        }
        while await self._call("POST", "/tasks", json=body) is None and not self.stop.is_set():
            pass
        wid = t["workflowInstanceId"]
        self.ledger.hold(t["taskId"], start, time.monotonic(), self.name, t["referenceTaskName"], wid)


def run_workers(workers: list[Worker], urls: list[str]) -> threading.Thread:
    """All workers as coroutines on one thread: the test process stays light next to three servers."""

    async def main() -> None:
        clients = [httpx.AsyncClient(base_url=u + "/api", timeout=10) for u in urls]
        try:
            await asyncio.gather(*(w.run(clients) for w in workers))
        finally:
            for c in clients:
                await c.aclose()

    t = threading.Thread(target=asyncio.run, args=(main(),), name="workers", daemon=True)
    t.start()
    return t


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    """A PostgreSQL server of this module's own: the tests restart it."""
    c = start_cluster()
    try:
        yield c
    finally:
        c.destroy()


@pytest.fixture(scope="module")
def nodes(cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    """Three server processes on one database (a test that kills one leaves it for the next to restart)."""
    db = cluster.create_database()
    tmp = tmp_path_factory.mktemp("nodes")
    servers = [
        ServerProcess(tmp / f"node{i}.db", db_url=cluster.url(db), env={"PODIUM_SERVER_ID": f"node{i}"})
        for i in range(3)
    ]
    try:
        yield servers
    finally:
        for n in servers:
            n.stop()
        cluster.drop_database(db)


def ensure_up(nodes: list[ServerProcess]) -> None:
    down = [n for n in nodes if n.proc is None or n.proc.poll() is not None]
    with ThreadPoolExecutor(3) as pool:  # server start-up is mostly imports: overlap them
        for _ in pool.map(ServerProcess.start, down):
            pass


class Run:
    """A worker pool over the three nodes and N workflows started across them."""

    def __init__(self, nodes: list[ServerProcess], workflows: int, response_timeout: int) -> None:
        self.nodes = nodes
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.workflows = workflows
        self.response_timeout = response_timeout
        self.ids: list[str] = []
        self.workers: threading.Thread | None = None

    def start(self) -> Run:
        ensure_up(self.nodes)
        clients = [httpx.Client(base_url=n.url + "/api", timeout=10) for n in self.nodes]
        defs = [
            {"name": t, "retryCount": 3, "retryLogic": "FIXED", "retryDelaySeconds": 0,
             "responseTimeoutSeconds": self.response_timeout, "timeoutSeconds": 0}
            for t in TYPES
        ]  # fmt: skip
        clients[0].post("/metadata/taskdefs", json=defs).raise_for_status()
        clients[0].put("/metadata/workflow", json=[FLOW]).raise_for_status()
        # Every node drops its cached definitions when another node changes them.
        wait_until(
            lambda: all(c.get("/metadata/taskdefs/mn_c").json()["responseTimeoutSeconds"] == self.response_timeout
                        for c in clients),
            what="every node to see the new task definitions",
        )  # fmt: skip
        urls = [n.url for n in self.nodes]
        self.workers = run_workers([Worker(f"wk{i}", i % 3, self.ledger, self.stop) for i in range(9)], urls)
        for i in range(self.workflows):  # started on every node in turn, while workers already run
            r = clients[i % 3].post("/workflow", json={"name": "mn_flow", "input": {"i": i, "fail": i % 3 == 0}})
            assert r.status_code == 200, r.text
            self.ids.append(r.text)
        for c in clients:
            c.close()
        return self

    def finished(self) -> int:
        with self.ledger.lock:
            return len(self.ledger.finished)

    def verify(self, via: ServerProcess) -> None:
        wait_until(lambda: self.finished() >= self.workflows, timeout=90, interval=0.05, what="every last task")
        with httpx.Client(base_url=via.url + "/api", timeout=10) as api:
            self._check(api)
        with self.ledger.lock:
            assert self.ledger.unexpected == []
            for task_id, holds in self.ledger.holds.items():
                holds.sort()
                for (_s1, e1, w1), (s2, _e2, w2) in itertools.pairwise(holds):
                    assert s2 >= e1, f"task {task_id} held by {w1} and {w2} at once"
                assert len(holds) == 1, f"task {task_id} handed out {len(holds)} times: {holds}"

    def _check(self, api: httpx.Client) -> None:
        wait_until(
            lambda: all(api.get(f"/workflow/{w}", params={"includeTasks": "false"}).json()["status"] == "COMPLETED"
                        for w in self.ids),
            timeout=30, interval=0.2, what="every workflow to complete",
        )  # fmt: skip
        for i, wid in enumerate(self.ids):
            wf = api.get(f"/workflow/{wid}").json()
            tasks = wf["tasks"]
            attempts = Counter((t["referenceTaskName"], t.get("retryCount", 0), t.get("iteration", 0)) for t in tasks)
            assert max(attempts.values()) == 1, f"{wid}: a task was scheduled twice: {attempts}"
            assert len({t["taskId"] for t in tasks}) == len(tasks)
            done = Counter(t["referenceTaskName"] for t in tasks if t["status"] == "COMPLETED")
            assert all(done[r] == 1 for r in REFS), (wid, done)
            if i % 3 == 0:
                assert any(t["referenceTaskName"] == "c" and t["status"] == "FAILED" for t in tasks), wid
            assert wf["output"] == {"last": "d"}

    def close(self) -> None:
        self.stop.set()
        if self.workers is not None:
            self.workers.join(15)


def test_a_node_killed_mid_run_loses_nothing(nodes: list[ServerProcess]) -> None:
    run = Run(nodes, workflows=150, response_timeout=3).start()
    try:
        wait_until(lambda: run.finished() >= run.workflows // 3, timeout=60, what="a third of the workflows")
        run.nodes[1].kill()  # SIGKILL: open transactions die with it, its leases lapse
        run.verify(via=run.nodes[0])
    finally:
        run.close()


def test_a_database_restart_is_a_503_then_service_resumes(cluster: PgCluster, nodes: list[ServerProcess]) -> None:
    run = Run(nodes, workflows=90, response_timeout=20).start()
    try:
        wait_until(lambda: run.finished() >= run.workflows // 3, timeout=60, what="a third of the workflows")
        cluster.stop("fast")
        for node in run.nodes:  # during the outage every node answers 503 with Conductor's error body
            for r in (
                httpx.get(f"{node.url}/api/workflow/{run.ids[0]}", timeout=10),
                httpx.get(f"{node.url}/api/tasks/poll/batch/mn_a", params={"timeout": 0}, timeout=10),
                httpx.post(f"{node.url}/api/workflow", json={"name": "mn_flow", "input": {}}, timeout=10),
            ):
                assert r.status_code == 503, r.text
                body = r.json()
                assert body["status"] == 503 and body["retryable"] is True and body["message"], body
                assert body["instance"] == node.extra_env["PODIUM_SERVER_ID"]
        cluster.start()
        run.verify(via=run.nodes[2])
        with run.ledger.lock:
            assert run.ledger.unavailable, "the workers never saw the outage"
            assert all(b["status"] == 503 and b["retryable"] for b in run.ledger.unavailable)
    finally:
        run.close()


def test_a_wait_on_one_node_is_woken_by_a_change_on_another(nodes: list[ServerProcess]) -> None:
    ensure_up(nodes)
    a, b, c = (httpx.Client(base_url=n.url + "/api", timeout=30) for n in nodes)
    a.post("/metadata/taskdefs", json=[{"name": "mn_x"}]).raise_for_status()
    a.put("/metadata/workflow", json=[{"name": "mn_exec", "version": 1, "tasks": [
        {"name": "mn_x", "taskReferenceName": "x", "type": "SIMPLE"}]}]).raise_for_status()  # fmt: skip
    out: dict[str, Any] = {}

    def execute() -> None:
        t0 = time.monotonic()
        r = a.post("/workflow/execute/mn_exec/1", params={"waitForSeconds": 20}, json={"input": {}})
        out["elapsed"], out["run"] = time.monotonic() - t0, r.json()

    waiter = threading.Thread(target=execute)
    waiter.start()
    tasks: list[dict[str, Any]] = []
    wait_until(lambda: bool(tasks.extend(b.get("/tasks/poll/batch/mn_x", params={"timeout": 500}).json()) or tasks))
    r = c.post("/tasks", json={"workflowInstanceId": tasks[0]["workflowInstanceId"], "taskId": tasks[0]["taskId"],
                               "status": "COMPLETED", "outputData": {"ok": 1}})  # fmt: skip
    assert r.status_code == 200
    waiter.join(30)
    for client in (a, b, c):
        client.close()
    assert out["run"]["status"] == "COMPLETED", out
    assert out["elapsed"] < 10, out  # woken by node c's update, not by the 20 s deadline
