"""`podium admin backup` while a workflow load runs, and `podium admin retention` against a live server."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from conftest import ServerProcess, free_port, wait_until


def podium(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def one_task_flow(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "version": 1,
        "tasks": [{"name": "adm_work", "taskReferenceName": "w", "type": "SIMPLE"}],
        **extra,
    }


def complete_one(api: httpx.Client, name: str) -> str:
    wid = api.post(f"/workflow/{name}", json={"n": 1}).text
    (task,) = api.get("/tasks/poll/batch/adm_work", params={"count": 1, "timeout": 1000}).json()
    body = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"], "status": "COMPLETED"}
    assert api.post("/tasks", json=body).status_code == 200
    return wid


class Load(threading.Thread):
    """Starts and completes workflows one after another until told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.done: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.url + "/api", timeout=30) as api:
                while not self.stop.is_set():
                    self.done.append(complete_one(api, "adm_load"))
        except BaseException as e:
            self.error = e


def test_backup_while_a_load_runs_then_restore(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    srv = ServerProcess(db).start()
    load = Load(srv.url)
    try:
        with httpx.Client(base_url=srv.url + "/api", timeout=30) as api:
            assert api.post("/metadata/workflow", json=one_task_flow("adm_load")).status_code == 200
        load.start()
        wait_until(lambda: len(load.done) >= 20, timeout=60, what="a running load")
        before = list(load.done)
        backup = tmp_path / "backups" / "copy.db"
        out = podium("admin", "backup", str(backup), "--db", f"sqlite:///{db}")
        assert out.returncode == 0, out.stderr
        after_start = len(load.done)
        wait_until(lambda: len(load.done) >= after_start + 5, timeout=60, what="the load going on after the backup")
        assert f"backed up sqlite:///{db} to {backup}" in out.stdout
    finally:
        load.stop.set()
        load.join(30)
        srv.stop()
    assert load.error is None
    assert not Path(str(backup) + "-wal").exists()
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = dict(copy.execute("SELECT workflow_id, status FROM workflows").fetchall())
    assert all(rows.get(wid) == "COMPLETED" for wid in before), "every workflow done before the backup is in it"
    assert len(rows) < len(load.done) + 2, "the copy is one moment, not the end of the load"

    # Restore as the README says: the copy becomes the database file of a server (no old -wal/-shm beside it).
    restored = tmp_path / "restored" / "podium.db"
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    again = ServerProcess(restored).start()
    try:
        r = httpx.get(f"{again.url}/api/workflow/{before[0]}", params={"includeTasks": "true"})
        assert r.status_code == 200 and r.json()["status"] == "COMPLETED" and len(r.json()["tasks"]) == 1
    finally:
        again.stop()


def test_backup_refuses_what_it_cannot_copy(tmp_path: Path) -> None:
    out = podium("admin", "backup", str(tmp_path / "x.db"), "--db", "postgresql://u@localhost/p")
    assert out.returncode == 1 and "pg_dump" in out.stderr and "Traceback" not in out.stderr
    out = podium("admin", "backup", str(tmp_path / "x.db"), "--db", f"sqlite:///{tmp_path / 'missing.db'}")
    assert out.returncode == 1 and "no database at" in out.stderr


def test_retention_dry_run_then_now(tmp_path: Path) -> None:
    # The background pass runs once at start (nothing to remove yet), then not within the test.
    srv = ServerProcess(tmp_path / "ret.db", env={"PODIUM_RETENTION_INTERVAL_MS": "3600000"}).start()
    env = {"PODIUM_SERVER_URL": srv.url}
    try:
        with httpx.Client(base_url=srv.url + "/api", timeout=30) as api:
            short = one_task_flow("adm_short", metadata={"retention": "1s"})
            for wd in (short, one_task_flow("adm_kept")):
                assert api.post("/metadata/workflow", json=wd).status_code == 200
            expired = complete_one(api, "adm_short")
            kept = complete_one(api, "adm_kept")
            wait_until(lambda: api.get("/admin/retention").json()["count"] == 1, timeout=30, what="one second to pass")
            dry = podium("admin", "retention", "--dry-run", env=env)
            assert dry.returncode == 0, dry.stderr
            assert dry.stdout.startswith("1 ended workflows are past their retention")
            assert expired in dry.stdout and kept not in dry.stdout
            assert "adm_short: 1 s" in dry.stderr and "forever by default" in dry.stderr
            assert api.get(f"/workflow/{expired}").status_code == 200, "a dry run removes nothing"
            now = podium("admin", "retention", "--output", "json", env=env)
            assert now.returncode == 0, now.stderr
            assert '"removed": 1' in now.stdout and expired in now.stdout
            assert api.get(f"/workflow/{expired}").status_code == 404
            assert api.get(f"/workflow/{kept}").json()["status"] == "COMPLETED"
    finally:
        srv.stop()


def test_retention_with_no_server() -> None:
    out = podium("admin", "retention", "--dry-run", "--server", f"http://127.0.0.1:{free_port()}")
    assert out.returncode == 3 and "cannot reach" in out.stderr and "Traceback" not in out.stderr


def test_retention_with_auth_on_takes_the_sdk_key(tmp_path: Path) -> None:
    from test_auth import make_key

    srv = ServerProcess(tmp_path / "auth.db", env={"PODIUM_AUTH": "on"}).start()
    try:
        admin = make_key(srv.db_url, "ADMIN")
        viewer = make_key(srv.db_url, "VIEWER")
        base = {"PODIUM_SERVER_URL": srv.url}
        as_admin = {**base, "CONDUCTOR_AUTH_KEY": admin["keyId"], "CONDUCTOR_AUTH_SECRET": admin["keySecret"]}
        as_viewer = {**base, "CONDUCTOR_AUTH_KEY": viewer["keyId"], "CONDUCTOR_AUTH_SECRET": viewer["keySecret"]}
        assert podium("admin", "retention", "--dry-run", env=as_admin).returncode == 0
        assert podium("admin", "retention", "--dry-run", env=as_viewer).returncode == 0  # a read
        refused = podium("admin", "retention", env=as_viewer)  # removing is for admins
        assert refused.returncode == 4 and "403" in refused.stderr
        done = podium("admin", "retention", env=as_admin)
        assert done.returncode == 0 and "removed 0 ended workflows" in done.stdout
        anonymous = podium("admin", "retention", "--dry-run", env=base)
        assert anonymous.returncode == 4 and "401" in anonymous.stderr
    finally:
        srv.stop()
