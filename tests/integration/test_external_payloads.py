"""External payload storage over HTTP (issue #14, docs/architecture.md#external-payloads): the location endpoints,
Conductor's thresholds, and each back end (a directory beside the SQLite file, a PostgreSQL table, an
S3-compatible store) end to end: a big input is kept outside the record, GET shows the path and ``{}``, the task
still gets the value, a worker's big output is kept outside too, and a worker may upload its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ServerProcess, free_port, wait_until
from pg_cluster import PgCluster

THRESHOLD = 1000  # bytes: every threshold lowered so tests move small documents
ENV = {
    f"PODIUM_LIMIT_{name}_THRESHOLD_BYTES": str(THRESHOLD)
    for name in ("WORKFLOW_INPUT", "TASK_INPUT", "TASK_OUTPUT", "WORKFLOW_OUTPUT")
}
BIG = "x" * (THRESHOLD * 2)


@pytest.fixture(scope="module")
def fs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("payloads") / "podium.db", env=ENV).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def pg_server(postgres: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    name = postgres.create_database()
    srv = ServerProcess(tmp_path_factory.mktemp("pgpayloads") / "podium.db", env=ENV, db_url=postgres.url(name))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        postgres.drop_database(name)


S3_KEYS = {"AWS_ACCESS_KEY_ID": "podiumtest", "AWS_SECRET_ACCESS_KEY": "podiumtestsecret"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3-compatible server in a process of its own on loopback, with a bucket ``podium``."""
    from podium.store.payloads.s3 import presign

    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    endpoint = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                httpx.get(endpoint + "/moto-api/", timeout=1)
                return True
            except httpx.HTTPError:
                return proc.poll() is None and False

        wait_until(up, timeout=30, what="moto's server")
        url = presign("PUT", endpoint, "podium", "", access_key=S3_KEYS["AWS_ACCESS_KEY_ID"],
                      secret_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"], region="us-east-1", expires_s=60,
                      now=datetime.now(UTC))  # fmt: skip
        assert httpx.put(url).status_code == 200
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def s3_server(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {**ENV, **S3_KEYS, "PODIUM_PAYLOAD_STORE": f"s3://podium/runs?endpoint={s3_endpoint}&region=us-east-1"}
    srv = ServerProcess(tmp_path_factory.mktemp("s3payloads") / "podium.db", env=env).start()
    try:
        yield srv
    finally:
        srv.stop()


def _client(srv: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=srv.url + "/api", timeout=30)


def _register(api: httpx.Client, name: str) -> None:
    api.post("/metadata/taskdefs", json=[{"name": name + "_t", "retryCount": 0}]).raise_for_status()
    wd = {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "tasks": [
            {
                "name": name + "_t",
                "taskReferenceName": "t",
                "type": "SIMPLE",
                "inputParameters": {"blob": "${workflow.input.blob}", "size": "${workflow.input.size}"},
            }
        ],
        "outputParameters": {"echo": "${t.output.big}", "blobBack": "${t.input.blob}"},
    }
    api.put("/metadata/workflow", json=[wd]).raise_for_status()


def _download(api: httpx.Client, kind: str, path: str) -> Any:
    """Read a payload the way the Java client does: a READ location, then GET its URI."""
    loc = api.get(
        f"/{kind}/externalstoragelocation", params={"path": path, "operation": "READ", "payloadType": "TASK_INPUT"}
    )
    assert loc.status_code == 200, loc.text
    assert loc.json()["path"] == path
    got = httpx.get(loc.json()["uri"], timeout=30)
    assert got.status_code == 200, got.text
    return got.json()


def _poll(api: httpx.Client, task_type: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def polled() -> bool:
        r = api.get(f"/tasks/poll/batch/{task_type}", params={"workerid": "w", "timeout": 100})
        found.extend(r.json())
        return bool(found)

    wait_until(polled, what="a task to poll")
    return found[0]


def _finished(api: httpx.Client, wid: str) -> dict[str, Any]:
    wf: dict[str, Any] = {}

    def done() -> bool:
        wf.update(api.get(f"/workflow/{wid}").json())
        return wf["status"] in ("COMPLETED", "FAILED", "TERMINATED")

    wait_until(done, what="the workflow to end")
    return wf


def _round_trip(srv: ServerProcess, name: str, restart: bool = False) -> dict[str, Any]:
    with _client(srv) as api:
        _register(api, name)
        wid = api.post("/workflow", json={"name": name, "input": {"blob": BIG, "size": 2}}).text
        wf = api.get(f"/workflow/{wid}").json()
        # the workflow input is over the threshold: kept outside, the record shows {} and the path
        assert wf["input"] == {}
        path = wf["externalInputPayloadStoragePath"]
        assert path.startswith("workflow/input/")
        assert _download(api, "workflow", path) == {"blob": BIG, "size": 2}
        task = _poll(api, name + "_t")
        # the task's input was resolved from the whole value, and is itself over the threshold
        assert task["inputData"] == {}
        tpath = task["externalInputPayloadStoragePath"]
        assert tpath.startswith("task/input/")
        assert _download(api, "tasks", tpath) == {"blob": BIG, "size": 2}
        if restart:  # the decide after this runs on records read back from the database
            srv.stop()
            srv.start()
        r = api.post(
            "/tasks",
            json={
                "workflowInstanceId": wid,
                "taskId": task["taskId"],
                "status": "COMPLETED",
                "outputData": {"big": BIG},
            },
        )
        assert r.status_code == 200, r.text
        stored = api.get(f"/tasks/{task['taskId']}").json()
        assert stored["outputData"] == {}
        assert _download(api, "tasks", stored["externalOutputPayloadStoragePath"]) == {"big": BIG}
        wf = _finished(api, wid)
        assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
        assert wf["output"] == {}
        assert _download(api, "workflow", wf["externalOutputPayloadStoragePath"]) == {"echo": BIG, "blobBack": BIG}
        # searches show the stored form too
        hits = api.get("/workflow/search", params={"query": f"workflowId = '{wid}'"}).json()["results"]
        assert hits and hits[0]["input"] == "{}"
        return wf


def _worker_upload(srv: ServerProcess, name: str) -> dict[str, Any]:
    """The Java client's way with big payloads: WRITE location, PUT to its URI, send the path."""
    with _client(srv) as api:
        _register(api, name)
        loc = api.get(
            "/workflow/externalstoragelocation", params={"operation": "WRITE", "payloadType": "WORKFLOW_INPUT"}
        ).json()
        assert loc["path"].startswith("workflow/input/")
        put = httpx.put(loc["uri"], json={"blob": "small", "size": 1}, timeout=30)
        assert put.status_code in (200, 204), put.text
        wid = api.post("/workflow", json={"name": name, "externalInputPayloadStoragePath": loc["path"]}).text
        task = _poll(api, name + "_t")
        assert task["inputData"] == {"blob": "small", "size": 1}  # small: inline again
        loc = api.get(
            "/tasks/external-storage-location", params={"operation": "WRITE", "payloadType": "TASK_OUTPUT"}
        ).json()
        assert loc["path"].startswith("task/output/")
        assert httpx.put(loc["uri"], json={"big": BIG}, timeout=30).status_code in (200, 204)
        r = api.post(
            "/tasks",
            json={
                "workflowInstanceId": wid,
                "taskId": task["taskId"],
                "status": "COMPLETED",
                "externalOutputPayloadStoragePath": loc["path"],
            },
        )
        assert r.status_code == 200, r.text
        stored = api.get(f"/tasks/{task['taskId']}").json()
        assert stored["outputData"] == {}
        assert stored["externalOutputPayloadStoragePath"] == loc["path"]
        wf = _finished(api, wid)
        assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
        assert _download(api, "workflow", wf["externalOutputPayloadStoragePath"]) == {"echo": BIG, "blobBack": "small"}
        # a path that holds nothing is refused, not taken for an empty output
        again = api.post("/workflow", json={"name": name, "input": {"blob": "b", "size": 1}}).text
        t2 = _poll(api, name + "_t")
        bad = api.post(
            "/tasks",
            json={
                "workflowInstanceId": again,
                "taskId": t2["taskId"],
                "status": "COMPLETED",
                "externalOutputPayloadStoragePath": "task/output/nothing-here.json",
            },
        )
        assert bad.status_code == 400, bad.text
        return wf


# -- the location endpoints: answered by their own handler, not read as an id -----------------------
@pytest.mark.parametrize(
    "path",
    [
        "/workflow/externalstoragelocation",
        "/workflow/external-storage-location",
        "/tasks/externalstoragelocation",
        "/tasks/external-storage-location",
    ],
)
def test_location_routes_are_not_read_as_ids(fs_server: ServerProcess, path: str) -> None:
    with _client(fs_server) as api:
        r = api.get(path, params={"operation": "WRITE", "payloadType": "TASK_OUTPUT"})
        assert r.status_code == 200, r.text
        loc = r.json()
        assert set(loc) == {"uri", "path"}
        assert loc["path"].startswith("task/output/") and loc["path"].endswith(".json")
        assert loc["uri"].startswith(f"{fs_server.url}/api/payloads/{loc['path']}?expires=")
        # the path it gave can be written (a form type too: Java's HttpURLConnection default), then read
        form = {"content-type": "application/x-www-form-urlencoded"}
        assert httpx.put(loc["uri"], content=b'{"k": 1}', headers=form).status_code == 200
        read = api.get(path, params={"path": loc["path"], "operation": "READ", "payloadType": "TASK_OUTPUT"})
        assert read.json()["path"] == loc["path"]
        assert httpx.get(read.json()["uri"]).json() == {"k": 1}
        # and not written again through a WRITE location naming it
        again = api.get(path, params={"path": loc["path"], "operation": "WRITE", "payloadType": "TASK_OUTPUT"})
        assert again.status_code == 409


def test_location_errors(fs_server: ServerProcess) -> None:
    with _client(fs_server) as api:
        q = {"operation": "READ", "payloadType": "WORKFLOW_INPUT"}
        assert api.get("/workflow/externalstoragelocation", params=q).status_code == 400  # READ needs a path
        r = api.get("/workflow/externalstoragelocation", params={**q, "path": "workflow/input/none.json"})
        assert r.status_code == 404
        r = api.get("/tasks/externalstoragelocation", params={"operation": "WRITE", "payloadType": "NOPE"})
        assert r.status_code == 400 and "payloadType" in r.json()["message"]
        r = api.get("/tasks/externalstoragelocation", params={"operation": "DELETE", "payloadType": "TASK_INPUT"})
        assert r.status_code == 400
        r = api.get("/tasks/externalstoragelocation", params={**q, "path": "../../etc/passwd"})
        assert r.status_code == 400
        loc = api.get("/tasks/externalstoragelocation", params={"operation": "WRITE", "payloadType": "TASK_OUTPUT"})
        uri = loc.json()["uri"]
        assert httpx.put(uri, content=b"not json", headers={"content-type": "application/json"}).status_code == 400
        # a Podium payload URI is its own credential: unsigned, tampered, or for another method, refused
        bare = uri.split("?")[0]
        assert httpx.put(bare, json={"a": 1}).status_code == 403
        assert httpx.put(uri[:-4] + "0000", json={"a": 1}).status_code == 403
        assert httpx.get(uri).status_code == 403  # a WRITE URI does not read
        other = bare.replace(loc.json()["path"], "task/output/other.json") + "?" + uri.split("?")[1]
        assert httpx.put(other, json={"a": 1}).status_code == 403


def test_small_payloads_stay_inline(fs_server: ServerProcess) -> None:
    with _client(fs_server) as api:
        _register(api, "payload_small")
        wid = api.post("/workflow", json={"name": "payload_small", "input": {"blob": "b", "size": 1}}).text
        wf = api.get(f"/workflow/{wid}").json()
        assert wf["input"] == {"blob": "b", "size": 1}
        assert "externalInputPayloadStoragePath" not in wf
        task = _poll(api, "payload_small_t")
        assert task["inputData"] == {"blob": "b", "size": 1} and "externalInputPayloadStoragePath" not in task


# -- each back end, end to end ---------------------------------------------------------------------
def test_filesystem_round_trip(fs_server: ServerProcess) -> None:
    assert _round_trip(fs_server, "payload_fs", restart=True)["status"] == "COMPLETED"
    files = list(Path(str(fs_server.db_path) + ".payloads").rglob("*.json"))
    assert any("workflow/input" in str(f) for f in files)  # beside the SQLite file


def test_filesystem_worker_upload(fs_server: ServerProcess) -> None:
    assert _worker_upload(fs_server, "payload_fs_up")["status"] == "COMPLETED"


def test_postgres_round_trip(pg_server: ServerProcess) -> None:
    import psycopg

    assert _round_trip(pg_server, "payload_pg", restart=True)["status"] == "COMPLETED"
    with psycopg.connect(pg_server.db_url) as conn:  # in the database's own table
        row = conn.execute("SELECT count(*) FROM external_payloads WHERE path LIKE 'workflow/input/%'").fetchone()
    assert row is not None and row[0] >= 1
    assert not Path(str(pg_server.db_path) + ".payloads").exists()


def test_postgres_worker_upload(pg_server: ServerProcess) -> None:
    assert _worker_upload(pg_server, "payload_pg_up")["status"] == "COMPLETED"


def test_s3_round_trip(s3_server: ServerProcess, s3_endpoint: str) -> None:
    assert _round_trip(s3_server, "payload_s3", restart=True)["status"] == "COMPLETED"
    # the objects are in the bucket, under the configured prefix
    listing = httpx.get(f"{s3_endpoint}/podium?list-type=2&prefix=runs/workflow/input/").text
    assert "<Key>runs/workflow/input/" in listing
    assert not Path(str(s3_server.db_path) + ".payloads").exists()


def test_s3_worker_upload(s3_server: ServerProcess, s3_endpoint: str) -> None:
    assert _worker_upload(s3_server, "payload_s3_up")["status"] == "COMPLETED"
    with _client(s3_server) as api:  # the location is a pre-signed URL of the store itself
        loc = api.get("/tasks/externalstoragelocation", params={"operation": "WRITE", "payloadType": "TASK_OUTPUT"})
        assert loc.json()["uri"].startswith(f"{s3_endpoint}/podium/runs/task/output/")
        assert "X-Amz-Signature=" in loc.json()["uri"]


def test_system_task_output_over_the_threshold(fs_server: ServerProcess) -> None:
    """An INLINE task's big result is kept outside its record; the next task's input still gets it."""
    name = "payload_inline"
    with _client(fs_server) as api:
        api.post("/metadata/taskdefs", json=[{"name": name + "_t", "retryCount": 0}]).raise_for_status()
        wd = {
            "name": name,
            "version": 1,
            "schemaVersion": 2,
            "tasks": [
                {
                    "name": "make",
                    "taskReferenceName": "make",
                    "type": "INLINE",
                    "inputParameters": {
                        "evaluatorType": "graaljs",
                        "n": THRESHOLD * 2,
                        "expression": "(function () { return 'y'.repeat($.n); })()",
                    },
                },
                {
                    "name": name + "_t",
                    "taskReferenceName": "t",
                    "type": "SIMPLE",
                    "inputParameters": {"value": "${make.output.result}"},
                },
            ],
        }
        api.put("/metadata/workflow", json=[wd]).raise_for_status()
        wid = api.post("/workflow", json={"name": name, "input": {}}).text
        task = _poll(api, name + "_t")
        made = next(t for t in api.get(f"/workflow/{wid}").json()["tasks"] if t["referenceTaskName"] == "make")
        assert made["outputData"] == {}
        assert _download(api, "tasks", made["externalOutputPayloadStoragePath"]) == {"result": "y" * THRESHOLD * 2}
        value = task["inputData"] or _download(api, "tasks", task["externalInputPayloadStoragePath"])
        assert value["value"] == "y" * THRESHOLD * 2


@pytest.mark.parametrize("backend", ["fs", "s3"])
def test_podium_worker_reads_an_input_kept_outside(backend: str, request: pytest.FixtureRequest) -> None:
    """Podium's worker SDK fetches an input over the threshold (through Podium, or the store's pre-signed URL),
    as Conductor's Java client does; its big output is then kept outside by the server."""
    from podium.client import PodiumClient
    from podium.worker import Runner, worker_task

    srv: ServerProcess = request.getfixturevalue(f"{backend}_server")
    name = f"payload_worker_{backend}"

    @worker_task(name + "_t")
    def echo(blob: str, size: int) -> dict[str, Any]:
        return {"big": blob.upper(), "n": len(blob) * size}

    with _client(srv) as api:
        _register(api, name)
    with PodiumClient(srv.url) as client:
        runner = Runner([echo], srv.url, poll_timeout_ms=100, idle_backoff=(0.005, 0.05), worker_id="pw", env={})
        with runner:
            wid = client.start_workflow(name, {"blob": BIG, "size": 3})
            wf = client.wait_for_workflow(wid, timeout=20)
        assert wf["status"] == "COMPLETED", wf.get("reasonForIncompletion")
        out = client.read_external_payload(wf["externalOutputPayloadStoragePath"], "WORKFLOW_OUTPUT")
        assert out == {"echo": BIG.upper(), "blobBack": BIG}
        [task] = wf["tasks"]
        assert task["inputData"] == {} and task["outputData"] == {}
        assert client.read_external_payload(task["externalOutputPayloadStoragePath"], "TASK_OUTPUT") == {
            "big": BIG.upper(),
            "n": len(BIG) * 3,
        }


def test_conductor_python_task_resource_location(fs_server: ServerProcess) -> None:
    """conductor-python's TaskResourceApi.get_external_storage_location1 reaches the location handler."""
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.api.task_resource_api import TaskResourceApi
    from conductor.client.http.api_client import ApiClient

    api = TaskResourceApi(ApiClient(Configuration(server_api_url=fs_server.url + "/api")))
    loc = api.get_external_storage_location1("", "WRITE", "TASK_OUTPUT")
    assert loc.path.startswith("task/output/") and loc.uri.startswith(fs_server.url + "/api/payloads/task/output/")
    assert httpx.put(loc.uri, json={"from": "python"}).status_code == 200
    read = api.get_external_storage_location1(loc.path, "READ", "TASK_OUTPUT")
    assert read.path == loc.path and httpx.get(read.uri).json() == {"from": "python"}
