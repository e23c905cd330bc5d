"""Three server nodes on one PostgreSQL database, workers spread across them, real processes throughout.

A node is killed with SIGKILL mid-run, and PostgreSQL itself is restarted mid-run. Every workflow must
complete, no task may be scheduled twice, and no task may be held by two workers at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
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

    def __init__(self, name: str, nodes: list[str], home: int, ledger: Ledger, stop: threading.Event) -> None:
        self.name = name
        self.nodes = nodes
        self.node = home
        self.ledger = ledger
        self.stop = stop

    async def run(self) -> None:
        self.clients = [httpx.AsyncClient(base_url=n + "/api", timeout=10) for n in self.nodes]
        try:
            while not self.stop.is_set():
                for ttype in TYPES:
                    for t in await self._poll(ttype):
                        await self._work(t)
        finally:
            for c in self.clients:
                await c.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> httpx.Response | None:
        try:
            r = await self.clients[self.node].request(method, path, **kw)
        except httpx.TransportError:
            self.node = (self.node + 1) % len(self.nodes)  # this node is gone: use another
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
        self.ledger.hold(t["taskId"], start, time.monotonic(), self.name, t["referenceTaskName"], body["workflowInstanceId"])


def run_workers(workers: list[Worker]) -> threading.Thread:
    """All workers as coroutines on one thread: the test process stays light next to three servers."""

    async def main() -> None:
        await asyncio.gather(*(w.run() for w in workers))

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


class Run:
    """Three nodes, a worker pool, N workflows."""

    def __init__(self, cluster: PgCluster, tmp: Path, workflows: int, response_timeout: int) -> None:
        self.cluster = cluster
        self.db = cluster.create_database()
        self.nodes = [
            ServerProcess(tmp / f"node{i}.db", db_url=cluster.url(self.db), env={"PODIUM_SERVER_ID": f"node{i}"})
            for i in range(3)
        ]
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.workflows = workflows
        self.response_timeout = response_timeout
        self.ids: list[str] = []
        self.workers: threading.Thread | None = None

    def start(self) -> Run:
        for n in self.nodes:
            n.start()
        api = httpx.Client(base_url=self.nodes[0].url + "/api", timeout=10)
        defs = [
            {"name": t, "retryCount": 3, "retryLogic": "FIXED", "retryDelaySeconds": 0,
             "responseTimeoutSeconds": self.response_timeout, "timeoutSeconds": 0}
            for t in TYPES
        ]  # fmt: skip
        api.post("/metadata/taskdefs", json=defs).raise_for_status()
        api.post("/metadata/workflow", json=FLOW).raise_for_status()
        urls = [n.url for n in self.nodes]
        self.workers = run_workers([Worker(f"wk{i}", urls, i % 3, self.ledger, self.stop) for i in range(9)])
        clients = [httpx.Client(base_url=n.url + "/api", timeout=10) for n in self.nodes]
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
        wait_until(lambda: self.finished() >= self.workflows, timeout=90, interval=0.05, what="every workflow's last task")
        api = httpx.Client(base_url=via.url + "/api", timeout=10)
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
        with self.ledger.lock:
            assert self.ledger.unexpected == []
            for task_id, holds in self.ledger.holds.items():
                holds.sort()
                for (_s1, e1, w1), (s2, _e2, w2) in zip(holds, holds[1:], strict=False):
                    assert s2 >= e1, f"task {task_id} held by {w1} and {w2} at once"
                assert len(holds) == 1, f"task {task_id} handed out {len(holds)} times: {holds}"

    def close(self) -> None:
        self.stop.set()
        if self.workers is not None:
            self.workers.join(15)
        for n in self.nodes:
            n.stop()
        self.cluster.drop_database(self.db)


def test_a_node_killed_mid_run_loses_nothing(cluster: PgCluster, tmp_path: Path) -> None:
    run = Run(cluster, tmp_path, workflows=150, response_timeout=3).start()
    try:
        wait_until(lambda: run.finished() >= run.workflows // 3, timeout=60, what="a third of the workflows")
        run.nodes[1].kill()  # SIGKILL: open transactions die with it, its leases lapse
        run.verify(via=run.nodes[0])
    finally:
        run.close()


def test_a_database_restart_is_a_503_then_service_resumes(cluster: PgCluster, tmp_path: Path) -> None:
    run = Run(cluster, tmp_path, workflows=90, response_timeout=20).start()
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
