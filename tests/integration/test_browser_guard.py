"""Browser protections over real HTTP: JSON bodies need a JSON type, no cross-origin writes, no rebinding.

Requests are written by hand on a socket, so every header (Host, Origin, Content-Type) is exactly the
one under test; the SDKs' and our own client's ways of calling must keep working beside them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import orjson
import pytest
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import StartWorkflowRequest, TaskDef
from conductor.client.orkes_clients import OrkesClients

from conftest import ServerProcess
from podium.client import PodiumClient

KEYS = {"status", "message", "instance", "retryable"}


class Raw:
    """One keep-alive HTTP/1.1 connection spoken by hand."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, chunked: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        lines = [f"{method} {path} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            payload = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
        else:
            lines.append(f"Content-Length: {len(body)}")
            payload = body
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status_line, *rest = head.decode("latin-1").split("\r\n")
        got = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in rest)}
        length = int(got.get("content-length", "0"))
        while len(self.buf) < length:
            self._more()
        out, self.buf = self.buf[:length], self.buf[length:]
        return int(status_line.split()[1]), got, out

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buf += data


@pytest.fixture()
def raw(server: ServerProcess) -> Iterator[Raw]:
    conn = Raw(server.port)
    yield conn
    conn.close()


def local(server: ServerProcess, **extra: str) -> dict[str, str]:
    return {"Host": f"127.0.0.1:{server.port}", **extra}


def assert_refused(answer: tuple[int, dict[str, str], bytes], status: int, word: str) -> None:
    code, headers, body = answer
    assert code == status, body
    assert headers["content-type"] == "application/json"
    doc = orjson.loads(body)
    assert doc.keys() >= KEYS and doc["status"] == status
    assert word in doc["message"].lower()


TASKDEF = orjson.dumps([{"name": "guard_probe", "retryCount": 0}])


# -- a. JSON bodies need a JSON content type --------------------------------------------------------
@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x", None])
def test_a_json_endpoint_refuses_a_body_that_is_not_labelled_json(
    server: ServerProcess, raw: Raw, ctype: str | None
) -> None:
    headers = local(server) if ctype is None else local(server, **{"Content-Type": ctype})
    for method, path in (("POST", "/api/metadata/taskdefs"), ("POST", "/api/workflow"), ("POST", "/api/tasks")):
        assert_refused(raw.send(method, path, TASKDEF, headers), 415, "content-type")
    # the refusal leaves the keep-alive connection usable
    assert raw.send("GET", "/health", headers=local(server))[0] == 200


def test_a_chunked_body_is_checked_too(server: ServerProcess, raw: Raw) -> None:
    answer = raw.send("POST", "/api/tasks/update-v2", b"{}", local(server, **{"Content-Type": "text/plain"}), True)
    assert_refused(answer, 415, "content-type")


@pytest.mark.parametrize(
    "ctype", ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.x+json"]
)
def test_json_types_pass(server: ServerProcess, raw: Raw, ctype: str) -> None:
    assert raw.send("POST", "/api/metadata/taskdefs", TASKDEF, local(server, **{"Content-Type": ctype}))[0] == 200


def test_bodiless_writes_need_no_content_type(server: ServerProcess, raw: Raw) -> None:
    """The JS SDK sends pause/resume/terminate with no body and no Content-Type (DELETE without a length)."""
    json_type = local(server, **{"Content-Type": "application/json"})
    assert raw.send("POST", "/api/metadata/taskdefs", TASKDEF, json_type)[0] == 200
    wf = {
        "name": "guard_wf",
        "version": 1,
        "tasks": [{"name": "guard_probe", "taskReferenceName": "p", "type": "SIMPLE"}],
    }
    assert raw.send("PUT", "/api/metadata/workflow", orjson.dumps([wf]), json_type)[0] == 200
    code, _, wid = raw.send("POST", "/api/workflow/guard_wf", b"{}", json_type)
    assert code == 200
    assert raw.send("PUT", f"/api/workflow/{wid.decode()}/pause", headers=local(server))[0] in (200, 204)
    assert raw.send("PUT", f"/api/workflow/{wid.decode()}/resume", headers=local(server))[0] in (200, 204)
    assert raw.send("DELETE", f"/api/workflow/{wid.decode()}", headers=local(server))[0] in (200, 204)


def test_a_task_log_may_be_plain_text(server: ServerProcess, raw: Raw) -> None:
    """Conductor takes the log line as a plain string; our client sends it as text/plain."""
    for headers in (local(server, **{"Content-Type": "text/plain"}), local(server)):
        assert raw.send("POST", "/api/tasks/no-such-task/log", b"a line", headers)[0] in (200, 204, 404)


# -- b. no cross-origin writes ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "extra",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:1"},  # another port is another origin
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_write_from_another_origin_is_forbidden(server: ServerProcess, raw: Raw, extra: dict[str, str]) -> None:
    headers = local(server, **{"Content-Type": "application/json"}, **extra)
    assert_refused(raw.send("POST", "/api/metadata/taskdefs", TASKDEF, headers), 403, "origin")
    assert_refused(raw.send("POST", "/api/tasks", b"{}", headers), 403, "origin")  # the fast lane too
    assert_refused(raw.send("DELETE", "/api/workflow/x", headers=local(server, **extra)), 403, "origin")
    # reads are not writes: a cross-origin page cannot read the answer anyway (no CORS headers)
    assert raw.send("GET", "/api/metadata/taskdefs", headers=local(server, **extra))[0] == 200
    # ...but the scheduler's GETs that change state are (an <img> elsewhere must not pause schedules)
    for path in ("/api/scheduler/admin/pause", "/api/scheduler/admin/requeue", "/api/scheduler/schedules/x/pause"):
        assert_refused(raw.send("GET", path, headers=local(server, **extra)), 403, "origin")
    assert raw.send("GET", "/api/scheduler/schedules", headers=local(server, **extra))[0] == 200


def test_a_write_from_the_same_origin_passes(server: ServerProcess, raw: Raw) -> None:
    for origin in (f"http://127.0.0.1:{server.port}", f"HTTP://127.0.0.1:{server.port}"):
        headers = local(
            server, **{"Content-Type": "application/json", "Origin": origin, "Sec-Fetch-Site": "same-origin"}
        )
        assert raw.send("POST", "/api/metadata/taskdefs", TASKDEF, headers)[0] == 200


# -- c. DNS rebinding ------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.evil.example", "10.0.0.1"])
def test_a_loopback_server_refuses_a_foreign_host_name(server: ServerProcess, raw: Raw, host: str) -> None:
    assert_refused(raw.send("GET", "/api/metadata/taskdefs", headers={"Host": host}), 403, "host")
    assert_refused(raw.send("GET", "/", headers={"Host": host}), 403, "host")  # the UI too
    assert_refused(raw.send("GET", "/api/tasks/poll/batch/x?timeout=1", headers={"Host": host}), 403, "host")


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:9", "127.0.0.1", "[::1]:8080", "[::1]"])
def test_a_loopback_server_serves_loopback_names(raw: Raw, host: str) -> None:
    assert raw.send("GET", "/api/metadata/taskdefs", headers={"Host": host})[0] == 200


def test_health_answers_any_host(raw: Raw) -> None:
    """Probes (a load balancer, Kubernetes) ask by address; /health tells a rebinding page nothing."""
    assert raw.send("GET", "/health", headers={"Host": "10.1.2.3:8080"})[0] == 200


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"PODIUM_ALLOWED_HOSTS": "podium.example.com, Other.Example:443"}
    srv = ServerProcess(tmp_path_factory.mktemp("listed") / "podium.db", env=env).start()
    yield srv
    srv.stop()


def test_allowed_hosts_are_served(listed: ServerProcess) -> None:
    conn = Raw(listed.port)
    try:
        for host in ("podium.example.com", "podium.example.com:8443", "other.example", "localhost"):
            assert conn.send("GET", "/api/metadata/taskdefs", headers={"Host": host})[0] == 200, host
        assert_refused(conn.send("GET", "/api/metadata/taskdefs", headers={"Host": "evil.example"}), 403, "host")
        # behind a proxy that rewrites Host, the browser's Origin is a listed name: that is the same site
        headers = {
            "Host": f"127.0.0.1:{listed.port}",
            "Origin": "https://podium.example.com",
            "Content-Type": "application/json",
        }
        assert conn.send("POST", "/api/metadata/taskdefs", TASKDEF, headers)[0] == 200
    finally:
        conn.close()


# -- the clients that work today keep working --------------------------------------------------------
def test_conductor_python_passes(server: ServerProcess, uniq: str) -> None:
    """conductor-python sends JSON types on every call (even GET/DELETE), `{}` bodies and a raw log line."""
    os.environ.pop("CONDUCTOR_AUTH_KEY", None)
    os.environ.pop("CONDUCTOR_AUTH_SECRET", None)
    clients = OrkesClients(configuration=Configuration(server_api_url=f"http://localhost:{server.port}/api"))
    meta = clients.get_metadata_client()
    name = f"guard_sdk_{uniq}"
    meta.register_task_def(TaskDef(name=name, retry_count=0))
    wf = {"name": name, "version": 1, "tasks": [{"name": name, "taskReferenceName": "t", "type": "SIMPLE"}]}
    PodiumClient(server.url).update_workflow_defs([wf])  # type: ignore[list-item]
    wclient = clients.get_workflow_client()
    wid = wclient.start_workflow(StartWorkflowRequest(name=name, version=1, input={"a": 1}))
    tasks = clients.get_task_client()
    task = tasks.poll_task(name, worker_id="guard")
    tasks.add_task_log(task.task_id, "a line")
    assert [entry.log for entry in tasks.get_task_logs(task.task_id)] == ["a line"]
    wclient.pause_workflow(wid)
    wclient.resume_workflow(wid)
    wclient.terminate_workflow(wid, reason="done")
    assert wclient.get_workflow(wid, include_tasks=False).status == "TERMINATED"


def test_our_client_passes(server: ServerProcess, uniq: str) -> None:
    name = f"guard_own_{uniq}"
    with PodiumClient(server.url) as api:
        api.register_task_defs([{"name": name, "retryCount": 0}])  # type: ignore[list-item]
        wf = {"name": name, "version": 1, "tasks": [{"name": name, "taskReferenceName": "t", "type": "SIMPLE"}]}
        api.register_workflow_def(wf, overwrite=True)  # type: ignore[arg-type]
        wid = api.start_workflow(name, {"a": 1})
        [task] = api.batch_poll(name, worker_id="guard")
        api.add_task_log(task["taskId"], "plain text")
        api.update_task({"workflowInstanceId": wid, "taskId": task["taskId"], "status": "COMPLETED"})
        assert api.wait_for_workflow(wid)["status"] == "COMPLETED"
        assert [entry["log"] for entry in api.get_task_logs(task["taskId"])] == ["plain text"]
