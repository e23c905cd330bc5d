"""The official JavaScript SDK (@io-orkes/conductor-javascript 4.0.0) against a real server: a
worker round trip written as its users write it (tests/integration/js/sdk_roundtrip.cjs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_auth import make_key

from conftest import ServerProcess

JS_DIR = Path(__file__).with_name("js")
SDK = "@io-orkes/conductor-javascript@4.0.0"


@pytest.fixture(scope="session")
def js_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the SDK installed from npm (its optional peers conflict: legacy-peer-deps)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed for the JavaScript SDK tests (Debian: apt-get install nodejs npm)")
    cache = Path(os.environ.get("PODIUM_JS_SDK_DIR", Path.home() / ".cache" / "podium-js-sdk"))
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "node_modules" / "@io-orkes" / "conductor-javascript").is_dir():
        (cache / ".npmrc").write_text("legacy-peer-deps=true\n")
        (cache / "package.json").write_text('{"name": "podium-js-sdk-tests", "private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", SDK], cwd=cache, check=True, capture_output=True, timeout=300
        )
    for script in ("sdk_roundtrip.cjs", "sdk_signal_test.cjs", "sdk_scheduler.cjs"):
        shutil.copy(JS_DIR / script, cache / script)
    return cache


def run_roundtrip(
    js_sdk: Path, server_url: str, name: str, env: dict[str, str] | None = None, script: str = "sdk_roundtrip.cjs"
) -> dict[str, object]:
    """Run an SDK script; its one JSON line."""
    full_env = {"PATH": os.environ["PATH"], "CONDUCTOR_SERVER_URL": server_url + "/api", **(env or {})}
    done = subprocess.run(["node", script, name], cwd=js_sdk, env=full_env, capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the SDK script: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    result: dict[str, object] = json.loads(lines[-1])
    return result


def test_the_js_sdk_runs_a_worker_round_trip(server: ServerProcess, js_sdk: Path, uniq: str) -> None:
    result = run_roundtrip(js_sdk, server.url, f"js_{uniq}")
    assert result.get("status") == "COMPLETED", result
    assert result["output"] == {"y": 42}
    # update-v2 with no next task answers a bare 204, which the SDK reads as "none" (a 204 labelled
    # JSON would become {} and be logged as a task missing its fields).
    assert result["errors"] == [], result


def test_the_js_sdk_tests_a_workflow_and_signals_waits(server: ServerProcess, js_sdk: Path, uniq: str) -> None:
    result = run_roundtrip(js_sdk, server.url, f"js_{uniq}", script="sdk_signal_test.cjs")
    assert "error" not in result, result
    assert result["tested"] == {"status": "COMPLETED", "output": {"paid": True}, "attempts": ["FAILED", "COMPLETED"]}
    assert result["sync"] == {"responseType": "BLOCKING_TASK", "ref": "w2", "target": True}
    run = result["run"]
    assert isinstance(run, dict)
    # The JS SDK sends the output wrapped as {taskOutput: ...}; the server keeps the body as it comes (as OSS).
    assert run["outputs"] == [{"taskOutput": {"a": 1}}, {"taskOutput": {"b": 2}}]


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    db = tmp_path_factory.mktemp("js_auth") / "podium.db"
    key = make_key(f"sqlite:///{db}", "ADMIN")
    srv = ServerProcess(db, env={"PODIUM_AUTH": "on"}).start()
    yield srv, key
    srv.stop()


def test_the_js_sdk_authenticates_with_a_key_from_its_environment(
    auth_server: tuple[ServerProcess, dict[str, str]], js_sdk: Path, uniq: str
) -> None:
    srv, key = auth_server
    env = {"CONDUCTOR_AUTH_KEY": key["keyId"], "CONDUCTOR_AUTH_SECRET": key["keySecret"]}
    result = run_roundtrip(js_sdk, srv.url, f"js_auth_{uniq}", env)
    assert result.get("status") == "COMPLETED", result
    assert result["output"] == {"y": 42}


def test_the_js_sdk_without_a_key_is_refused_by_a_server_with_auth_on(
    auth_server: tuple[ServerProcess, dict[str, str]], js_sdk: Path, uniq: str
) -> None:
    srv, _ = auth_server
    result = run_roundtrip(js_sdk, srv.url, f"js_nokey_{uniq}")
    assert "error" in result and "status" not in result, result


def test_the_js_sdk_scheduler_client(server: ServerProcess, js_sdk: Path, uniq: str) -> None:
    """SchedulerClient unchanged (issue #15): save, get, list, next times, search executions, pause with a
    reason and resume (its PUT), tags, pause/resume all, requeue, delete, then a 404."""
    name = f"js_sched_{uniq}"
    result = run_roundtrip(js_sdk, server.url, name, script="sdk_scheduler.cjs")
    assert "error" not in result, result
    assert result["saved"] == {"name": name, "cron": "* * * * * *", "zoneId": "UTC", "next": True}
    assert result["listed"] == [name]
    assert result["next"] == [1767614400000, 1767700800000, 1767787200000]
    fires = result["fires"]
    assert isinstance(fires, list) and len(fires) >= 2
    assert all(f["state"] == "EXECUTED" and f["workflowId"] for f in fires)
    with httpx.Client(base_url=server.url + "/api") as api:
        wf = api.get(f"/workflow/{fires[0]['workflowId']}").json()
    assert wf["input"]["from"] == "js" and wf["input"]["_startedByScheduler"] == name
    assert result["paused"] == {"paused": True, "reason": "js pause"}
    assert result["resumed"] is False
    assert result["tags"] == [{"key": "team", "value": "js", "type": "METADATA"}]
    assert result["tagsAfter"] == []
    missing = str(result["missing"])
    assert result["missing"] is not None and ("404" in missing or "not found" in missing), missing
