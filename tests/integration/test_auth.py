"""Access control over real HTTP (issue #13): a server started with ``--auth``, keys made with the CLI.

The table test calls one route of every endpoint family (``api/access.py``) with a token of every role,
and without a token: allowed roles get past the gate (any answer but 401/403), the others 403, no
token 401.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ServerProcess, wait_until
from podium.api.access import ALLOWED, Family, family_of
from podium.api.app import create_app
from podium.domain.auth import Role
from podium.domain.settings import Settings


def make_key(db_url: str, role: str, *extra: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "podium.cli.main", "keys", "create", "--db", db_url, "--role", role, *extra,
         "--output", "json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    doc: dict[str, str] = json.loads(out.stdout)
    assert set(doc) == {"keyId", "keySecret", "role"} and doc["role"] == role.upper()
    return doc


class AuthServer:
    def __init__(self, srv: ServerProcess, keys: dict[str, dict[str, str]]) -> None:
        self.srv = srv
        self.keys = keys
        self._tokens: dict[str, str] = {}

    def token(self, who: str) -> str:
        if who not in self._tokens:
            k = self.keys[who]
            r = httpx.post(f"{self.srv.url}/api/token", json={"keyId": k["keyId"], "keySecret": k["keySecret"]})
            assert r.status_code == 200, r.text
            self._tokens[who] = r.json()["token"]
        return self._tokens[who]

    def call(self, who: str | None, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {} if who is None else {"X-Authorization": self.token(who)}
        return httpx.request(method, self.srv.url + path, json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    db = tmp_path_factory.mktemp("auth") / "podium.db"
    url = f"sqlite:///{db}"
    keys = {r.value: make_key(url, r.value.lower(), "--name", f"{r.value.lower()}-key") for r in Role}
    keys["limited"] = make_key(url, "WORKER", "--name", "limited", "--task-types", "auth_ok_type")
    srv = ServerProcess(db, env={"PODIUM_AUTH": "on"}).start()
    try:
        yield AuthServer(srv, keys)
    finally:
        srv.stop()


# One request per family (method, path, body); ids need not exist: a 404 still shows the gate let it by.
SAMPLES: dict[Family, tuple[str, str, Any]] = {
    Family.ANY_ROLE: ("GET", "/api/token/userInfo", None),
    Family.METRICS: ("GET", "/metrics", None),
    Family.SERVER_READ: ("GET", "/api/admin/config", None),
    Family.SERVER_ADMIN: ("POST", "/api/admin/consistency/verifyAndRepair/nope", None),
    Family.METADATA_READ: ("GET", "/api/metadata/taskdefs", None),
    Family.METADATA_WRITE: ("POST", "/api/metadata/taskdefs", [{"name": "auth_table_def"}]),
    Family.WORKFLOW_READ: ("GET", "/api/workflow/nope", None),
    Family.WORKFLOW_CONTROL: ("POST", "/api/workflow", {"name": "auth_no_such_flow"}),
    Family.WORKFLOW_REMOVE: ("DELETE", "/api/workflow/nope/remove", None),
    Family.TASK_WORK: ("GET", "/api/tasks/poll/batch/auth_table_type?timeout=1", None),
    Family.TASK_COMPLETE: ("POST", "/api/tasks/nope/ref/COMPLETED", {}),
    Family.TASK_READ: ("GET", "/api/tasks/queue/all", None),
    Family.QUEUE_ADMIN: ("POST", "/api/tasks/queue/requeue/auth_table_type", None),
    Family.EVENT_READ: ("GET", "/api/event", None),
    Family.EVENT_WRITE: ("DELETE", "/api/event/auth_no_handler", None),
    Family.KEYS: ("GET", "/api/keys", None),
    Family.SECRET_NAMES: ("GET", "/api/secrets", None),
    Family.SECRETS: ("GET", "/api/secrets/auth_no_secret", None),
    Family.ENV_READ: ("GET", "/api/environment", None),
    Family.ENV_WRITE: ("DELETE", "/api/environment/auth_no_value", None),
    Family.SCHEDULE_READ: ("GET", "/api/scheduler/schedules", None),
    Family.SCHEDULE_WRITE: ("DELETE", "/api/scheduler/schedules/auth_no_schedule", None),
    Family.SCHEDULE_ADMIN: ("GET", "/api/scheduler/admin/requeue", None),
    Family.PAYLOAD_LOCATION: (
        "GET",
        "/api/tasks/externalstoragelocation?operation=WRITE&payloadType=TASK_OUTPUT",
        None,
    ),
}


# The policy spelled out again, letter by letter (Admin, Operator, Worker, Viewer), so a change to the
# table in api/access.py is a deliberate change to this line too.
EXPECTED: dict[Family, str] = {
    Family.ANY_ROLE: "AOWV",
    Family.METRICS: "AOV",
    Family.SERVER_READ: "AOV",
    Family.SERVER_ADMIN: "A",
    Family.METADATA_READ: "AOV",
    Family.METADATA_WRITE: "A",
    Family.WORKFLOW_READ: "AOV",
    Family.WORKFLOW_CONTROL: "AO",
    Family.WORKFLOW_REMOVE: "A",
    Family.TASK_WORK: "AW",
    Family.TASK_COMPLETE: "AOW",
    Family.TASK_READ: "AOV",
    Family.QUEUE_ADMIN: "AO",
    Family.EVENT_READ: "AOV",
    Family.EVENT_WRITE: "A",
    Family.KEYS: "A",
    Family.SECRET_NAMES: "AO",
    Family.SECRETS: "A",
    Family.ENV_READ: "AOV",
    Family.ENV_WRITE: "A",
    Family.SCHEDULE_READ: "AOV",
    Family.SCHEDULE_WRITE: "AO",
    Family.SCHEDULE_ADMIN: "A",
    Family.PAYLOAD_LOCATION: "AOWV",
}


def test_the_table_is_the_policy() -> None:
    for family, letters in EXPECTED.items():
        assert {r.value[0] for r in ALLOWED[family]} == set(letters), family


def test_every_family_has_a_sample_and_every_route_a_family() -> None:
    assert set(SAMPLES) == set(Family) - {Family.OPEN}
    for family, (method, path, _) in SAMPLES.items():
        assert family_of(method, path.split("?")[0]) is family
    app = create_app(Settings(db="sqlite:///:memory:", run_background=False))
    unnamed = []
    for route in app.router.routes:
        for r in getattr(route, "original_router", route).routes if hasattr(route, "original_router") else [route]:
            for method in getattr(r, "methods", None) or ():
                path = r.path.replace("{", "x").replace("}", "").replace(":path", "")
                family = family_of(method, path)
                if (
                    path.startswith("/api/")
                    and family is Family.ANY_ROLE
                    and path
                    not in (
                        "/api/version",
                        "/api/token/userInfo",
                    )
                ):
                    unnamed.append((method, r.path))
    assert unnamed == []


@pytest.mark.parametrize("family", sorted(SAMPLES, key=str))
def test_family_by_role(auth_server: AuthServer, family: Family) -> None:
    method, path, body = SAMPLES[family]
    assert auth_server.call(None, method, path, body).status_code == 401
    for role in Role:
        r = auth_server.call(role.value, method, path, body)
        if role in ALLOWED[family]:
            assert r.status_code not in (401, 403), (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
            assert r.json()["error"] == "FORBIDDEN"


def test_open_paths_and_errors(auth_server: AuthServer) -> None:
    assert auth_server.call(None, "GET", "/health").status_code == 200
    assert auth_server.call(None, "GET", "/").status_code == 200  # the UI shell logs in itself
    r = auth_server.call(None, "GET", "/api/workflow/x")
    assert r.status_code == 401 and r.json()["error"] == "INVALID_TOKEN" and r.json()["status"] == 401
    # the fast lane is behind the gate too
    assert auth_server.call(None, "POST", "/api/tasks", {"taskId": "x"}).status_code == 401
    assert auth_server.call(None, "GET", "/api/tasks/poll/batch/t").status_code == 401
    bad = httpx.post(f"{auth_server.srv.url}/api/token", json={"keyId": auth_server.keys["ADMIN"]["keyId"],
                                                               "keySecret": "wrong"})  # fmt: skip
    assert bad.status_code == 401 and bad.json()["error"] == "INVALID_TOKEN"
    assert "wrong" not in bad.text


def test_user_info(auth_server: AuthServer) -> None:
    r = auth_server.call("OPERATOR", "GET", "/api/token/userInfo")
    assert r.json() == {
        "id": auth_server.keys["OPERATOR"]["keyId"],
        "name": "operator-key",
        "roles": [{"name": "OPERATOR"}],
        "applicationUser": True,
    }


def test_tampered_token(auth_server: AuthServer) -> None:
    token = auth_server.token("VIEWER")
    head, body, sig = token.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for bad in (f"{head}.{forged}.{sig}", token[:-3] + "AAA", "garbage"):
        r = httpx.get(f"{auth_server.srv.url}/api/keys", headers={"X-Authorization": bad})
        assert r.status_code == 401 and r.json()["error"] == "INVALID_TOKEN"
    log = auth_server.srv.log_path.read_text()
    assert token not in log and sig not in log


def test_limited_worker_key(auth_server: AuthServer) -> None:
    a = auth_server
    a.call("ADMIN", "POST", "/api/metadata/taskdefs", [{"name": "auth_ok_type"}, {"name": "auth_other_type"}])
    flow = {
        "name": "auth_limited_flow",
        "version": 1,
        "tasks": [
            {"name": "auth_other_type", "taskReferenceName": "other", "type": "SIMPLE"},
            {"name": "auth_ok_type", "taskReferenceName": "ok", "type": "SIMPLE"},
        ],
    }
    assert a.call("ADMIN", "PUT", "/api/metadata/workflow", [flow]).status_code == 200
    wid = a.call("OPERATOR", "POST", "/api/workflow", {"name": "auth_limited_flow", "input": {}}).text
    # not its type: no poll
    assert a.call("limited", "GET", "/api/tasks/poll/batch/auth_other_type?timeout=1").status_code == 403
    assert a.call("limited", "GET", "/api/tasks/poll/auth_other_type").status_code == 403
    other = a.call("WORKER", "GET", "/api/tasks/poll/batch/auth_other_type?timeout=1000").json()[0]
    # not its type: no update, no log (the task is looked up)
    result = {"workflowInstanceId": wid, "taskId": other["taskId"], "status": "COMPLETED"}
    for path in ("/api/tasks", "/api/tasks/update-v2"):
        r = a.call("limited", "POST", path, result)
        assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"
    assert a.call("limited", "POST", f"/api/tasks/{other['taskId']}/log", "x").status_code == 403
    assert a.call("limited", "POST", f"/api/tasks/{wid}/other/COMPLETED", {}).status_code == 403
    assert a.call("WORKER", "POST", "/api/tasks", result).status_code == 200
    # its own type: all of it
    mine = a.call("limited", "GET", "/api/tasks/poll/batch/auth_ok_type?timeout=1000").json()[0]
    assert a.call("limited", "POST", f"/api/tasks/{mine['taskId']}/log", "hello").status_code == 200
    done = {"workflowInstanceId": wid, "taskId": mine["taskId"], "status": "COMPLETED"}
    assert a.call("limited", "POST", "/api/tasks", done).status_code == 200
    assert a.call("ADMIN", "GET", f"/api/workflow/{wid}").json()["status"] == "COMPLETED"
    assert "refused" in a.srv.log_path.read_text() and a.keys["limited"]["keyId"] in a.srv.log_path.read_text()


def test_key_api_and_revocation(auth_server: AuthServer) -> None:
    a = auth_server
    r = a.call("ADMIN", "POST", "/api/keys", {"name": "made over the api", "role": "viewer"})
    assert r.status_code == 200
    made = r.json()
    assert made["role"] == "VIEWER" and made["keySecret"]
    listed = a.call("ADMIN", "GET", "/api/keys").json()
    assert made["keyId"] in {k["keyId"] for k in listed}
    assert all("keySecret" not in k and "secretHash" not in k for k in listed)
    token = httpx.post(f"{a.srv.url}/api/token", json={"keyId": made["keyId"], "keySecret": made["keySecret"]})
    headers = {"X-Authorization": token.json()["token"]}
    assert httpx.get(f"{a.srv.url}/api/metadata/taskdefs", headers=headers).status_code == 200
    assert a.call("ADMIN", "DELETE", f"/api/keys/{made['keyId']}").status_code == 200
    r = httpx.get(f"{a.srv.url}/api/metadata/taskdefs", headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "INVALID_TOKEN"
    assert a.call("ADMIN", "DELETE", "/api/keys/nope").status_code == 404
    assert a.call("ADMIN", "POST", "/api/keys", {"role": "god"}).status_code == 400


def test_a_key_revoked_on_the_database_is_refused_by_a_running_sqlite_server(auth_server: AuthServer) -> None:
    a = auth_server
    made = a.call("ADMIN", "POST", "/api/keys", {"name": "revoked by the cli", "role": "viewer"}).json()
    token = httpx.post(f"{a.srv.url}/api/token", json={"keyId": made["keyId"], "keySecret": made["keySecret"]})
    headers = {"X-Authorization": token.json()["token"]}
    assert httpx.get(f"{a.srv.url}/api/metadata/taskdefs", headers=headers).status_code == 200
    subprocess.run(
        [sys.executable, "-m", "podium.cli.main", "keys", "revoke", "--db", a.srv.db_url, made["keyId"]],
        check=True, capture_output=True,
    )  # fmt: skip
    wait_until(
        lambda: httpx.get(f"{a.srv.url}/api/metadata/taskdefs", headers=headers).status_code == 401,
        timeout=10,
        what="the running server to refuse the revoked key's token",
    )


def test_created_by_records_the_key_name(auth_server: AuthServer) -> None:
    a = auth_server
    a.call("ADMIN", "POST", "/api/metadata/taskdefs", [{"name": "auth_stamped"}])
    td = a.call("VIEWER", "GET", "/api/metadata/taskdefs/auth_stamped").json()
    assert td["createdBy"] == "admin-key" and td["updatedBy"] == "admin-key"
    flow = {"name": "auth_stamped_flow", "version": 1, "tasks": [
        {"name": "auth_stamped", "taskReferenceName": "s", "type": "SIMPLE"}]}  # fmt: skip
    a.call("ADMIN", "POST", "/api/metadata/workflow", flow)
    wd = a.call("VIEWER", "GET", "/api/metadata/workflow/auth_stamped_flow").json()
    assert wd["createdBy"] == "admin-key" and wd["updatedBy"] == "admin-key"
    wid = a.call("OPERATOR", "POST", "/api/workflow", {"name": "auth_stamped_flow"}).text
    assert a.call("VIEWER", "GET", f"/api/workflow/{wid}").json()["createdBy"] == "operator-key"
    wid = a.call("OPERATOR", "POST", "/api/workflow/auth_stamped_flow", {}).text
    assert a.call("VIEWER", "GET", f"/api/workflow/{wid}").json()["createdBy"] == "operator-key"


def test_auth_off_hides_the_token_routes(server: ServerProcess) -> None:
    assert httpx.post(f"{server.url}/api/token", json={"keyId": "a", "keySecret": "b"}).status_code == 404
    assert httpx.get(f"{server.url}/api/token/userInfo").status_code == 404
    assert httpx.get(f"{server.url}/api/keys").status_code == 404


def test_open_metrics_setting(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "m.db", env={"PODIUM_AUTH": "on", "PODIUM_AUTH_OPEN_METRICS": "on"}).start()
    try:
        assert httpx.get(f"{srv.url}/metrics").status_code == 200
        assert httpx.get(f"{srv.url}/api/metadata/taskdefs").status_code == 401
    finally:
        srv.stop()


def test_payload_uris_need_no_token_but_their_signature(auth_server: AuthServer) -> None:
    """With auth on, a location needs a token; the URI it answers is its own credential (the Java client
    sends no token to it), for one method and path."""
    q = "/api/tasks/externalstoragelocation?operation=WRITE&payloadType=TASK_OUTPUT"
    assert auth_server.call(None, "GET", q).status_code == 401
    loc = auth_server.call("WORKER", "GET", q).json()
    assert httpx.put(loc["uri"], json={"out": 1}).status_code == 200
    assert httpx.put(loc["uri"].split("?")[0], json={"out": 2}).status_code == 403
    read = auth_server.call("VIEWER", "GET", q.replace("WRITE", "READ") + "&path=" + loc["path"]).json()
    assert httpx.get(read["uri"]).json() == {"out": 1}
