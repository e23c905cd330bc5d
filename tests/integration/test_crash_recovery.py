"""A server killed with SIGKILL mid-run and restarted on the same SQLite file loses nothing."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from conftest import ServerProcess, wait_until

WORKFLOWS = 40
TASKS = ["c1", "c2", "c3"]


class Worker(threading.Thread):
    """An idempotent worker that follows the server to its new address and re-posts failed updates."""

    def __init__(self, holder: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.holder = holder
        self.stop = threading.Event()
        self.completed: Counter[str] = Counter()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with httpx.Client(base_url=self.holder["url"], timeout=5) as c:
                    for name in TASKS:
                        tasks = c.get(f"/api/tasks/poll/batch/{name}", params={"count": 10, "timeout": 50}).json()
                        for t in tasks:
                            self._update(t)
            except httpx.HTTPError:
                self.stop.wait(0.05)

    def _update(self, t: dict[str, Any]) -> None:
        body = {
            "workflowInstanceId": t["workflowInstanceId"],
            "taskId": t["taskId"],
            "status": "COMPLETED",
            "outputData": {"by": t["referenceTaskName"]},
        }
        while not self.stop.is_set():  # never lose a result: retry until some server takes it
            try:
                r = httpx.post(self.holder["url"] + "/api/tasks", json=body, timeout=5)
                if r.status_code == 200:
                    self.completed[t["taskId"]] += 1
                    return
            except httpx.HTTPError:
                pass
            self.stop.wait(0.05)


def test_sigkill_and_restart_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    srv = ServerProcess(db).start()
    holder = {"url": srv.url}
    api = httpx.Client(base_url=srv.url + "/api", timeout=10)
    api.post(
        "/metadata/taskdefs",
        json=[{"name": n, "retryCount": 3, "retryDelaySeconds": 0, "responseTimeoutSeconds": 2} for n in TASKS],
    ).raise_for_status()
    api.post(
        "/metadata/workflow",
        json={"name": "crashy", "version": 1, "tasks": [{"name": n, "taskReferenceName": n} for n in TASKS]},
    ).raise_for_status()
    ids = [api.post("/workflow", json={"name": "crashy", "input": {"i": i}}).text for i in range(WORKFLOWS)]
    worker = Worker(holder)
    worker.start()
    try:
        for round_ in range(2):
            target = (round_ + 1) * WORKFLOWS * len(TASKS) // 3
            wait_until(lambda t=target: sum(worker.completed.values()) >= t, timeout=60, what="progress before kill")
            srv.kill()
            srv = ServerProcess(db).start()
            holder["url"] = srv.url
        api = httpx.Client(base_url=srv.url + "/api", timeout=10)

        def all_complete() -> bool:
            return all(
                api.get(f"/workflow/{w}", params={"includeTasks": "false"}).json()["status"] == "COMPLETED" for w in ids
            )

        wait_until(all_complete, timeout=90, interval=0.2, what="every workflow to complete after restarts")
        for w in ids:
            wf = api.get(f"/workflow/{w}").json()
            done = Counter(t["referenceTaskName"] for t in wf["tasks"] if t["status"] == "COMPLETED")
            assert done == Counter(TASKS), (w, [(t["referenceTaskName"], t["status"]) for t in wf["tasks"]])
            assert wf["output"] == {"by": "c3"}
    finally:
        worker.stop.set()
        worker.join(10)
        srv.stop()
