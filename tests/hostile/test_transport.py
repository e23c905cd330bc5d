"""Hostile clients at the HTTP transport: slow headers and bodies (slowloris) are cut off, and an error
answer leaves its keep-alive connection usable (or says ``connection: close``). Raw sockets on loopback
against a real server with low header/body timeouts."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import ServerProcess
from hostile.harness import HOSTILE_ENV, HealthProbe, assert_normal_on_time, wait_for

HEADER_TIMEOUT_MS = 400
BODY_TIMEOUT_MS = 700
SLOW_CLIENTS = 40
# Generous: the sweep closes a connection within a fraction of the timeout; this only bounds a failure.
CLOSE_WITHIN_S = 10.0


@pytest.fixture(scope="module")
def tserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        **HOSTILE_ENV,
        "PODIUM_LIMIT_HTTP_HEADER_TIMEOUT_MS": str(HEADER_TIMEOUT_MS),
        "PODIUM_LIMIT_HTTP_BODY_TIMEOUT_MS": str(BODY_TIMEOUT_MS),
        "PODIUM_HTTP_ALLOW": "localhost",  # by name only: other spellings of loopback stay denied
    }
    entry = str(Path(__file__).with_name("transport_server.py"))
    srv = ServerProcess(tmp_path_factory.mktemp("transport") / "podium.db", env=env, entry=entry).start()
    with httpx.Client(base_url=srv.url + "/api", timeout=30) as warm_up:  # first-use costs are no attack
        assert_normal_on_time(warm_up, within_s=30)
    yield srv
    srv.stop()


@pytest.fixture()
def tapi(tserver: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tserver.url + "/api", timeout=30) as c:
        yield c


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def dribble_until_closed(socks: list[socket.socket], byte: bytes | None) -> dict[socket.socket, bytes]:
    """Send ``byte`` on every open socket each 50 ms (None: send nothing) until the server has closed them
    all (EOF or reset); returns what each received. Fails if any is still open after CLOSE_WITHIN_S."""
    received = {s: b"" for s in socks}
    still_open = set(socks)
    deadline = time.monotonic() + CLOSE_WITHIN_S
    while still_open:
        assert time.monotonic() < deadline, f"{len(still_open)} of {len(socks)} slow connections are still open"
        if byte is not None:
            for s in still_open:
                with contextlib.suppress(OSError):  # closed by the server: the read below sees it
                    s.send(byte)
        readable, _, _ = select.select(list(still_open), [], [], 0.05)
        for s in readable:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                received[s] += data
            else:
                still_open.discard(s)
    return received


def test_connections_that_never_finish_their_headers_are_closed(tserver: ServerProcess, tapi: httpx.Client) -> None:
    socks = [connect(tserver.port) for _ in range(SLOW_CLIENTS)]
    try:
        with HealthProbe(tserver.url):
            for s in socks:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
            received = dribble_until_closed(socks, b"a")  # one more header byte every 50 ms
            assert_normal_on_time(tapi)
    finally:
        for s in socks:
            s.close()
    assert set(received.values()) == {b""}  # closed without an answer: no request was made


def test_connections_that_send_nothing_are_closed(tserver: ServerProcess, tapi: httpx.Client) -> None:
    socks = [connect(tserver.port) for _ in range(SLOW_CLIENTS)]
    try:
        with HealthProbe(tserver.url):
            received = dribble_until_closed(socks, None)
            assert_normal_on_time(tapi)
    finally:
        for s in socks:
            s.close()
    assert set(received.values()) == {b""}


def test_a_body_that_does_not_arrive_in_time_is_answered_408_and_closed(
    tserver: ServerProcess, tapi: httpx.Client
) -> None:
    head = (
        b"POST /api/workflow/slow_body HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n["
    )
    fast_lane = head.replace(b"/api/workflow/slow_body", b"/api/tasks")  # served outside the router
    socks = [connect(tserver.port) for _ in range(SLOW_CLIENTS)]
    try:
        with HealthProbe(tserver.url):
            for i, s in enumerate(socks):
                s.sendall(fast_lane if i % 2 else head)
            received = dribble_until_closed(socks, b"1")
            assert_normal_on_time(tapi)
    finally:
        for s in socks:
            s.close()
    for answer in received.values():
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"connection: close" in answer.lower()
    assert "ClientDisconnect" not in tserver.log_path.read_text()  # a client cut off is not a server error


# -- keep-alive after error answers ----------------------------------------------------------------
class Conn:
    """A raw HTTP/1.1 keep-alive connection: one request, one whole response at a time."""

    def __init__(self, port: int) -> None:
        self.sock = connect(port)
        self.buf = b""

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        data = body or b""
        typed = "Content-Type: application/json\r\n" if data else ""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{typed}Content-Length: {len(data)}\r\n\r\n"
        self.sock.sendall(head.encode() + data)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        raw_head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status_line, *lines = raw_head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers["content-length"])
        while len(self.buf) < length:
            self._more()
        out, self.buf = self.buf[:length], self.buf[length:]
        return int(status_line.split()[1]), headers, out

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buf += data

    def closed_by_server(self) -> bool:
        """True when the server closes the connection (within a deadline); False if it stays open."""
        readable, _, _ = select.select([self.sock], [], [], 5)
        if not readable:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def _json(value: object) -> bytes:
    return orjson.dumps(value)


# Bad requests of every kind, through the router and through the fast lane; each answer is a 4xx or 5xx.
BAD_REQUESTS: list[tuple[str, str, bytes]] = [
    ("POST", "/api/metadata/workflow", b"{not json"),
    ("PUT", "/api/metadata/taskdefs", _json({"name": "not-a-list"})),
    ("POST", "/api/workflow/x/correlated", _json("not-a-list")),
    ("GET", "/api/workflow/search?start=x", b""),
    ("POST", "/api/workflow", _json({"name": ["a list"]})),
    ("POST", "/api/tasks", _json({"taskId": "t", "workflowInstanceId": "w", "status": ["IN_PROGRESS"]})),
    ("POST", "/api/tasks", b"[[["),
    ("GET", "/api/tasks/poll/batch/t?count=many", b""),
    ("GET", "/api/workflow/no-such-workflow-id", b""),
    ("GET", "/api/test/boom", b""),  # an unexpected error: a 500 from the framework's last resort
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
def test_an_error_answer_leaves_the_keep_alive_connection_usable(
    tserver: ServerProcess, method: str, path: str, body: bytes
) -> None:
    conn = Conn(tserver.port)
    try:
        status, headers, _ = conn.request(method, path, body)
        assert status >= 400
        if "close" in headers.get("connection", "").lower():
            assert status >= 500, "a 4xx must keep the connection open"
            assert conn.closed_by_server()
            return
        # No "connection: close": the same connection must serve the next request.
        assert conn.request("GET", "/health")[0] == 200
        assert conn.request(method, path, body)[0] == status
        assert conn.request("GET", "/health")[0] == 200
    finally:
        conn.close()


# -- HTTP tasks against hostile far ends -----------------------------------------------------------
class Dribbler:
    """A loopback HTTP server that answers every request with a 100 kB body, one byte every 50 ms."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.served = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.served += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
            while not self.stop.wait(0.05):
                conn.sendall(b"x")

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture()
def dribbler() -> Iterator[Dribbler]:
    d = Dribbler()
    yield d
    d.close()


def run_http_task(api: httpx.Client, name: str, http_request: dict[str, Any]) -> dict[str, Any]:
    """Start a one-HTTP-task workflow (no retries) and return the task once it has ended."""
    api.post("/metadata/taskdefs", json=[{"name": name, "retryCount": 0, "timeoutSeconds": 0}])
    body = {
        "name": name,
        "version": 1,
        "tasks": [
            {
                "name": name,
                "taskReferenceName": "call",
                "type": "HTTP",
                "inputParameters": {"http_request": http_request},
            }
        ],
    }
    r = api.put("/metadata/workflow", json=[body])
    assert r.status_code in (200, 204), r.text
    wid = api.post(f"/workflow/{name}", json={}).text.strip('"')

    def ended() -> dict[str, Any] | None:
        tasks = api.get(f"/workflow/{wid}").json()["tasks"]
        return tasks[0] if tasks and tasks[0]["status"] not in ("SCHEDULED", "IN_PROGRESS") else None

    task: dict[str, Any] = wait_for(ended, 30, f"the HTTP task of {name}")
    return task


def test_an_answer_dribbled_byte_by_byte_fails_the_task_at_its_deadline(
    tserver: ServerProcess, tapi: httpx.Client, dribbler: Dribbler
) -> None:
    uri = f"http://localhost:{dribbler.port}/slow"
    with HealthProbe(tserver.url):
        task = run_http_task(
            tapi, "dribbled_answer", {"uri": uri, "method": "GET", "connectionTimeOut": 300, "readTimeOut": 500}
        )
        assert_normal_on_time(tapi)
    assert dribbler.served == 1
    assert task["status"] == "FAILED"
    assert task["reasonForIncompletion"].startswith(
        "Failed to invoke HTTP task due to: Deadline exceeded: no complete answer within 800 ms"
    )


@pytest.mark.parametrize(
    "host", ["[::127.0.0.1]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "2130706433", "127.1"]
)
def test_http_tasks_cannot_reach_loopback_by_another_spelling(
    tserver: ServerProcess, tapi: httpx.Client, dribbler: Dribbler, host: str
) -> None:
    name = "spelled_" + "".join(c if c.isalnum() else "_" for c in host)
    task = run_http_task(tapi, name, {"uri": f"http://{host}:{dribbler.port}/", "method": "GET"})
    assert task["status"] == "FAILED"
    assert "is not allowed" in task["reasonForIncompletion"] and "PODIUM_HTTP_ALLOW" in task["reasonForIncompletion"]
    assert dribbler.served == 0
