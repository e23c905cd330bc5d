"""What `podium server` writes: a start line, access lines when asked, JSON lines with ids, a stop line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from conftest import ServerProcess, wait_until
from podium import __version__


def _json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_json_lines_start_access_ids_and_stop(tmp_path: Path) -> None:
    srv = ServerProcess(
        tmp_path / "talk.db",
        env={"PODIUM_LOG_FORMAT": "json", "PODIUM_ACCESS_LOG": "on", "PODIUM_LIMIT_SCRIPT_TIMEOUT_MS": "300"},
    ).start()
    wf = {
        "name": "talk_loop",
        "version": 1,
        "tasks": [
            {
                "name": "spin",
                "taskReferenceName": "spin",
                "type": "JSON_JQ_TRANSFORM",
                "inputParameters": {"queryExpression": "last(range(1e15))"},
            }
        ],
    }
    try:
        with httpx.Client(base_url=srv.url + "/api", timeout=30) as api:
            assert api.get("/metadata/workflow/nope").status_code == 404
            # An endless jq program: its evaluator process is killed, and says so on a line about the workflow.
            assert api.post("/metadata/workflow", json=wf).status_code == 200
            wid = api.post("/workflow/talk_loop", json={}).text
        wait_until(lambda: any(ln.get("workflowId") == wid for ln in _json_lines(srv.log_path)), timeout=30)
    finally:
        srv.stop()
    lines = _json_lines(srv.log_path)  # every line is JSON (json.loads did not fail)
    start = [ln for ln in lines if ln["message"].startswith("Podium ") and "started" in ln["message"]]
    assert len(start) == 1
    msg = start[0]["message"]
    assert __version__ in msg and f"sqlite:///{srv.db_path}" in msg
    for where in (f"UI {srv.url}/", f"API {srv.url}/api", f"docs {srv.url}/docs"):
        assert where in msg
    access = [ln for ln in lines if ln["logger"] == "podium.access"]
    missing = [ln for ln in access if ln["path"] == "/api/metadata/workflow/nope"]
    assert missing and missing[0]["method"] == "GET" and missing[0]["status"] == 404
    assert isinstance(missing[0]["durationMs"], float) and missing[0]["level"] == "INFO"
    about = [ln for ln in lines if ln.get("workflowId") == wid]
    assert about and "killed" in about[0]["message"] and wid not in str(about[0].get("taskId"))
    assert lines[-1]["logger"] == "podium.server" and lines[-1]["message"].startswith("Podium stopped")


def test_text_lines_by_default_without_access_lines(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "quiet.db").start()
    try:
        for _ in range(3):
            assert httpx.get(srv.url + "/health").status_code == 200
    finally:
        srv.stop()
    text = srv.log_path.read_text()
    assert f"INFO podium.server: Podium {__version__} started: store sqlite:///" in text
    assert "GET /health" not in text and "podium.access" not in text
    assert text.rstrip().endswith("Podium stopped: every request answered, background loops ended, store closed")


def test_ctrl_c_stops_cleanly_with_one_line(tmp_path: Path) -> None:
    """SIGINT, as a terminal's Ctrl-C sends it: the stop line, exit 0, no traceback (uvicorn no longer
    raises the signal again inside the event loop once it has stopped)."""
    srv = ServerProcess(tmp_path / "ctrl_c.db").start()
    assert srv.proc is not None
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(30) == 0
    text = srv.log_path.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-2000:]
    assert text.rstrip().endswith("Podium stopped: every request answered, background loops ended, store closed")


def test_postgres_password_is_hidden(pg_url: str, tmp_path: Path) -> None:
    # The test cluster trusts loopback, so any password is accepted: the start line must not show it.
    user, rest = pg_url.split("://", 1)[1].split("@", 1)
    url = f"postgresql://{user.split(':')[0]}:topsecretpw@{rest}"
    srv = ServerProcess(tmp_path / "pg.db", db_url=url).start()
    srv.stop()
    text = srv.log_path.read_text()
    assert "started: store postgresql://" in text and ":***@" in text
    assert "topsecretpw" not in text


def server_refusing_to_start(*args: str) -> subprocess.CompletedProcess[str]:
    """`podium server` with ``args``, expected to stop before it listens."""
    return subprocess.run(
        [sys.executable, "-m", "podium.cli.main", "server", "--port", "1", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_log_setting_is_one_line_not_a_traceback() -> None:
    out = server_refusing_to_start("--log-format", "xml")
    assert out.returncode == 2 and "log format must be one of text, json" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_store_that_cannot_be_opened_is_one_line_not_a_traceback() -> None:
    out = server_refusing_to_start("--db", "postgresql://nobody@127.0.0.1:1/x")
    assert out.returncode == 1, out.stderr
    assert "Podium cannot start: Database unavailable: connection failed" in out.stderr
    assert "Traceback" not in out.stderr and "╭" not in out.stderr
