"""conductor-python against a server with auth on (issue #13): keys from the SDK's own environment
variables (CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET), a TaskHandler worker round trip with a WORKER key,
and the SDK's refresh of an expired token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sdk_workers
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import StartWorkflowRequest, TaskDef
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker import Worker
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.simple_task import SimpleTask
from test_auth import make_key

from conftest import ServerProcess, wait_until


def configured(monkeypatch: pytest.MonkeyPatch, srv: ServerProcess, key: dict[str, str]) -> Configuration:
    """A Configuration as an application makes it: the key from the environment."""
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", key["keyId"])
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", key["keySecret"])
    config = Configuration(server_api_url=srv.url + "/api")
    assert config.authentication_settings is not None
    return config


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, dict[str, str]]]]:
    db = tmp_path_factory.mktemp("sdkauth") / "podium.db"
    url = f"sqlite:///{db}"
    keys = {role: make_key(url, role) for role in ("ADMIN", "WORKER")}
    srv = ServerProcess(db, env={"PODIUM_AUTH": "on"}).start()
    yield srv, keys
    srv.stop()


def test_worker_round_trip_with_keys_from_the_environment(
    keyed: tuple[ServerProcess, dict[str, dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, keys = keyed
    clients = OrkesClients(configuration=configured(monkeypatch, srv, keys["ADMIN"]))
    clients.get_metadata_client().register_task_def(TaskDef(name="sdk_auth_greet", retry_count=0))
    wf = ConductorWorkflow(executor=clients.get_workflow_executor(), name="sdk_auth_flow", version=1)
    wf >> SimpleTask("sdk_auth_greet", "g").input_parameter("name", "${workflow.input.name}")
    wf.output_parameters({"greeting": "${g.output.greeting}"})
    wf.register(overwrite=True)

    worker_config = configured(monkeypatch, srv, keys["WORKER"])
    worker = Worker(task_definition_name="sdk_auth_greet", execute_function=sdk_workers.greet, poll_interval=20)
    handler = TaskHandler(
        workers=[worker], configuration=worker_config, scan_for_annotated_workers=False, monitor_processes=False
    )
    handler.start_processes()
    try:
        wclient = clients.get_workflow_client()
        wid = wclient.start_workflow(StartWorkflowRequest(name="sdk_auth_flow", version=1, input={"name": "Ada"}))
        wait_until(lambda: wclient.get_workflow(wid, include_tasks=False).status == "COMPLETED", timeout=60)
        assert wclient.get_workflow(wid).output == {"greeting": "Hello Ada"}
    finally:
        handler.stop_processes()


def test_the_sdk_fetches_a_new_token_when_one_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ttl.db"
    key = make_key(f"sqlite:///{db}", "VIEWER")
    srv = ServerProcess(db, env={"PODIUM_AUTH": "on", "PODIUM_AUTH_TOKEN_TTL_SECONDS": "1"}).start()
    try:
        config = configured(monkeypatch, srv, key)
        meta = OrkesClients(configuration=config).get_metadata_client()
        meta.get_all_task_defs()
        first = config.AUTH_TOKEN
        assert first

        def expired() -> bool:
            r = httpx.get(f"{srv.url}/api/metadata/taskdefs", headers={"X-Authorization": first})
            return r.status_code == 401 and r.json()["error"] == "EXPIRED_TOKEN"

        wait_until(expired, timeout=5, interval=0.05, what="the first token to expire")
        assert meta.get_all_task_defs() == []  # answered after one refresh
        assert config.AUTH_TOKEN and first != config.AUTH_TOKEN
    finally:
        srv.stop()
