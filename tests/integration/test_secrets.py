"""Secrets and environment values over HTTP (issue #14): the API, the SDK's secret client, masking, sealing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conductor.client.configuration.configuration import Configuration
from conductor.client.orkes_clients import OrkesClients

from conftest import ServerProcess, wait_until

SECRET = "hunter2-Zq7xK"  # nowhere but in the worker's poll answer and the admin's GET


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("secrets") / "podium.db").start()
    yield server
    server.stop()


@pytest.fixture()
def api(srv: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.url + "/api", timeout=30) as c:
        yield c


def test_secret_api(api: httpx.Client, uniq: str) -> None:
    name = f"s_{uniq}"
    assert api.get(f"/secrets/{name}/exists").json() is False
    assert api.get(f"/secrets/{name}").status_code == 404
    first = api.put(f"/secrets/{name}", content=b'"first"', headers={"Content-Type": "application/json"})
    assert first.status_code == 200
    assert api.get(f"/secrets/{name}").json() == "first"
    assert api.put(f"/secrets/{name}", json="second").status_code == 200
    assert api.get(f"/secrets/{name}").json() == "second"
    assert api.get(f"/secrets/{name}/exists").json() is True
    for listed in (api.get("/secrets"), api.post("/secrets")):
        assert name in listed.json() and "second" not in listed.text
    assert {"name": name, "tags": []} in api.get("/secrets-v2").json()
    bad = api.put("/secrets/has.dot", json="x")
    assert bad.status_code == 400 and "message" in bad.json()
    assert api.put(f"/secrets/{name}", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert api.delete(f"/secrets/{name}").status_code == 200
    assert api.delete(f"/secrets/{name}").status_code == 404
    assert name not in api.get("/secrets").json()


def test_environment_api(api: httpx.Client, uniq: str) -> None:
    name = f"e_{uniq}"
    assert api.get(f"/environment/{name}").status_code == 404
    assert api.put(f"/environment/{name}", json="eu-west").status_code == 200
    got = api.get(f"/environment/{name}")
    assert got.text == "eu-west" and got.headers["content-type"].startswith("text/plain")
    assert api.get("/environment").json()[name] == "eu-west"
    assert api.delete(f"/environment/{name}").status_code == 200
    assert name not in api.get("/environment").json()


def test_conductor_python_secret_client(srv: ServerProcess, uniq: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDUCTOR_AUTH_KEY", raising=False)
    monkeypatch.delenv("CONDUCTOR_AUTH_SECRET", raising=False)
    client = OrkesClients(Configuration(server_api_url=srv.url + "/api")).get_secret_client()
    name = f"sdk_{uniq}"
    assert client.secret_exists(name) is False
    client.put_secret(name, 'p@ss "word"')
    assert client.get_secret(name) == 'p@ss "word"'
    assert client.secret_exists(name) is True
    assert name in client.list_all_secret_names()
    client.delete_secret(name)
    assert client.secret_exists(name) is False


def test_worker_gets_the_value_every_record_keeps_the_reference(
    srv: ServerProcess, api: httpx.Client, uniq: str
) -> None:
    tok, region = f"tok_{uniq}", f"region_{uniq}"
    assert api.put(f"/secrets/{tok}", json=SECRET).status_code == 200
    assert api.put(f"/environment/{region}", json="eu-west").status_code == 200
    ttype = f"t_{uniq}"
    flow = {
        "name": f"wf_{uniq}",
        "version": 1,
        "tasks": [
            {
                "name": ttype,
                "taskReferenceName": "call",
                "type": "SIMPLE",
                "inputParameters": {
                    "token": f"${{workflow.secrets.{tok}}}",
                    "header": f"Bearer ${{workflow.secrets.{tok}}}",
                    "region": f"${{workflow.env.{region}}}",
                    "smuggled": "${workflow.input.ref}",
                },
            }
        ],
        "outputParameters": {"echo": "${call.input.token}"},
    }
    assert api.post("/metadata/workflow", json=flow).status_code == 200
    other = f"other_{uniq}"
    assert api.put(f"/secrets/{other}", json="not-for-this-task").status_code == 200
    # a workflow input that looks like a reference cannot pull in a secret the definition did not give the task
    wid = api.post(f"/workflow/{flow['name']}", json={"ref": f"${{workflow.secrets.{other}}}"}).text

    polled = api.get(f"/tasks/poll/batch/{ttype}", params={"workerid": "w1", "timeout": 2000}).json()
    assert len(polled) == 1
    got = polled[0]["inputData"]
    assert got["token"] == SECRET and got["header"] == f"Bearer {SECRET}" and got["region"] == "eu-west"
    assert got["smuggled"] == f"${{workflow.secrets.{other}}}"
    task_id = polled[0]["taskId"]
    api.post(f"/tasks/{task_id}/log", content=b"working", headers={"Content-Type": "text/plain"})
    done = {"taskId": task_id, "workflowInstanceId": wid, "status": "COMPLETED", "outputData": {"ok": True}}
    assert api.post("/tasks", json=done).status_code == 200
    wait_until(lambda: api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED", what="workflow completes")

    shown = [
        api.get(f"/workflow/{wid}", params={"includeTasks": "true"}),
        api.get(f"/tasks/{task_id}"),
        api.get(f"/tasks/{task_id}/log"),
        api.get("/workflow/search", params={"query": f"workflowType = {flow['name']}"}),
        api.get("/tasks/search", params={"query": f"taskType = {ttype}"}),
        api.get("/workflow/search-v2", params={"freeText": SECRET}),
    ]
    for r in shown:
        assert r.status_code == 200 and SECRET not in r.text, r.url
    wf = shown[0].json()
    assert wf["tasks"][0]["inputData"]["token"] == f"${{workflow.secrets.{tok}}}"
    assert wf["tasks"][0]["inputData"]["region"] == "eu-west"
    assert wf["output"]["echo"] == f"${{workflow.secrets.{tok}}}"

    # at rest: the value is in no row of the database (sealed), nor in the server's log
    raw = Path(str(srv.db_path)).read_bytes()
    for suffix in ("-wal",):
        wal = Path(str(srv.db_path) + suffix)
        if wal.exists():
            raw += wal.read_bytes()
    assert SECRET.encode() not in raw
    with sqlite3.connect(srv.db_path) as db:
        sealed = db.execute("SELECT sealed FROM secrets WHERE name = ?", (tok,)).fetchone()[0]
    assert sealed.startswith("v1:") and SECRET not in sealed
    assert SECRET not in srv.log_path.read_text()


def test_no_key_no_secret_writes(tmp_path: Path, pg_url: str) -> None:
    """On PostgreSQL without PODIUM_SECRETS_KEY, secret writes are refused with a clear 409; with one they work."""
    server = ServerProcess(tmp_path / "pg.db", db_url=pg_url).start()
    try:
        r = httpx.put(f"{server.url}/api/secrets/x", json="v", timeout=10)
        assert r.status_code == 409 and "PODIUM_SECRETS_KEY" in r.json()["message"]
        assert httpx.put(f"{server.url}/api/environment/x", json="v", timeout=10).status_code == 200
    finally:
        server.stop()
    keyed = ServerProcess(tmp_path / "pg2.db", db_url=pg_url, env={"PODIUM_SECRETS_KEY": "ab" * 32}).start()
    try:
        assert httpx.put(f"{keyed.url}/api/secrets/x", json="v", timeout=10).status_code == 200
        assert httpx.get(f"{keyed.url}/api/secrets/x", timeout=10).json() == "v"
    finally:
        keyed.stop()


def test_an_http_task_sends_the_secret_and_its_record_keeps_the_reference(tmp_path: Path, uniq: str) -> None:
    from localhttp import local_http

    with local_http() as web:
        server = ServerProcess(tmp_path / "http.db", env={"PODIUM_HTTP_ALLOW": "127.0.0.1"}).start()
        try:
            api = httpx.Client(base_url=server.url + "/api", timeout=30)
            assert api.put(f"/secrets/tok_{uniq}", json=SECRET).status_code == 200
            call = {
                "name": "call", "taskReferenceName": "call", "type": "HTTP",
                "inputParameters": {"http_request": {
                    "uri": f"{web.url}/echo", "method": "GET",
                    "headers": {"Authorization": f"Bearer ${{workflow.secrets.tok_{uniq}}}"},
                }},
            }  # fmt: skip
            flow = {"name": f"http_{uniq}", "version": 1, "ownerEmail": "a@b.c", "tasks": [call]}
            assert api.post("/metadata/workflow", json=flow).status_code == 200
            wid = api.post(f"/workflow/http_{uniq}", json={}).text.strip('"')
            wait_until(lambda: api.get(f"/workflow/{wid}").json()["status"] != "RUNNING", what="the HTTP task")
            wf = api.get(f"/workflow/{wid}").json()
        finally:
            server.stop()
    assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
    assert web.requests[-1]["headers"]["Authorization"] == f"Bearer {SECRET}"  # the far end got the value
    sent = wf["tasks"][0]["inputData"]["http_request"]["headers"]["Authorization"]
    assert sent == f"Bearer ${{workflow.secrets.tok_{uniq}}}"  # the record keeps the reference
