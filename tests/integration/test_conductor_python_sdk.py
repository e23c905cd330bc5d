"""The official conductor-python SDK (pinned in pyproject) as a real client of a real server process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sdk_decorated
import sdk_workers
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import StartWorkflowRequest, TaskDef, TaskResult
from conductor.client.http.models.rerun_workflow_request import RerunWorkflowRequest
from conductor.client.http.rest import ApiException
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker import Worker
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.simple_task import SimpleTask
from test_auth import make_key

from conftest import ServerProcess, wait_until


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A server with access control on (issue #13) and an ADMIN key made with the CLI."""
    db = tmp_path_factory.mktemp("sdk_auth") / "podium.db"
    key = make_key(f"sqlite:///{db}", "ADMIN")
    srv = ServerProcess(db, env={"PODIUM_AUTH": "on"}).start()
    yield srv, key
    srv.stop()


@pytest.fixture(params=["open", "auth"])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    """Every test here runs twice: against the open server, and with auth on and the SDK's key in its
    usual environment variables (CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET), as an application sets it."""
    if request.param == "open":
        monkeypatch.delenv("CONDUCTOR_AUTH_KEY", raising=False)
        monkeypatch.delenv("CONDUCTOR_AUTH_SECRET", raising=False)
        srv: ServerProcess = request.getfixturevalue("server")
        return srv
    srv, key = request.getfixturevalue("auth_server")
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", key["keyId"])
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", key["keySecret"])
    return srv


def raw_api(server: ServerProcess) -> httpx.Client:
    """A plain HTTP client on the API, with a token when the server wants one."""
    headers = {}
    key, secret = os.environ.get("CONDUCTOR_AUTH_KEY"), os.environ.get("CONDUCTOR_AUTH_SECRET")
    if key and secret:
        r = httpx.post(server.url + "/api/token", json={"keyId": key, "keySecret": secret}, timeout=10)
        headers["X-Authorization"] = r.json()["token"]
    return httpx.Client(base_url=server.url + "/api", timeout=10, headers=headers)


@pytest.fixture()
def clients(server: ServerProcess) -> Iterator[OrkesClients]:
    yield OrkesClients(configuration=Configuration(server_api_url=server.url + "/api"))


def _worker(name: str, fn: Any, domain: str | None = None) -> Worker:
    return Worker(task_definition_name=name, execute_function=fn, poll_interval=20, domain=domain, thread_count=2)


def test_metadata_and_workflow_clients(clients: OrkesClients, uniq: str) -> None:
    meta = clients.get_metadata_client()
    tname = f"sdk_greet_{uniq}"
    meta.register_task_def(TaskDef(name=tname, retry_count=0))
    assert meta.get_task_def(tname).name == tname
    executor = clients.get_workflow_executor()
    wf = ConductorWorkflow(executor=executor, name=f"sdk_wf_{uniq}", version=1)
    wf >> SimpleTask(task_def_name=tname, task_reference_name="greet").input_parameter("name", "${workflow.input.name}")
    wf.output_parameters({"greeting": "${greet.output.greeting}"})
    wf.register(overwrite=True)
    got = meta.get_workflow_def(wf.name, 1)
    assert got.tasks[0].task_reference_name == "greet"

    wclient = clients.get_workflow_client()
    wid = wclient.start_workflow(
        StartWorkflowRequest(name=wf.name, version=1, input={"name": "Ada"}, correlation_id="sdk")
    )
    task_client = clients.get_task_client()
    task = task_client.poll_task(tname, worker_id="sdk-test")
    assert task.workflow_instance_id == wid and task.input_data == {"name": "Ada"}
    wclient.pause_workflow(wid)
    assert wclient.get_workflow(wid, include_tasks=False).status == "PAUSED"
    wclient.resume_workflow(wid)
    # (TaskClient.update_task_by_ref_name is unusable in 2.0.0: it always passes a `workerid` kwarg its own
    # generated API rejects client-side, so the TaskResult update is the SDK's working path.)
    result = TaskResult(
        workflow_instance_id=wid, task_id=task.task_id, status="COMPLETED", output_data={"greeting": "hi"}
    )
    result.log("worked on it")
    assert task_client.update_task(result) == task.task_id
    run = wclient.get_workflow(wid, include_tasks=True)
    assert run.status == "COMPLETED" and run.output == {"greeting": "hi"}
    assert [lg.log for lg in task_client.get_task_logs(task.task_id)] == ["worked on it"]
    results = wclient.search(query=f"workflowType IN ({wf.name})")
    assert any(r.workflow_id == wid for r in results.results)
    wclient.restart_workflow(wid)
    assert wclient.get_workflow(wid).status == "RUNNING"
    wclient.terminate_workflow(wid, reason="done testing")
    assert wclient.get_workflow(wid).status == "TERMINATED"
    new_id = wclient.rerun_workflow(wid, RerunWorkflowRequest(workflow_input={"name": "Bob"}))
    assert new_id == wid
    assert wclient.get_workflow(wid).input == {"name": "Bob"}
    wclient.terminate_workflow(wid, reason="again")
    wclient.delete_workflow(wid)
    with pytest.raises(ApiException) as err:
        wclient.get_workflow(wid)
    assert err.value.status == 404


def test_task_handler_workers_complete_workflows(clients: OrkesClients, server: ServerProcess, uniq: str) -> None:
    meta = clients.get_metadata_client()
    greet, double, explode = f"sdk_g_{uniq}", f"sdk_d_{uniq}", f"sdk_x_{uniq}"
    for n in (greet, double, explode):
        meta.register_task_def(TaskDef(name=n, retry_count=0))
    executor = clients.get_workflow_executor()
    wf = ConductorWorkflow(executor=executor, name=f"sdk_chain_{uniq}", version=1)
    wf >> SimpleTask(greet, "g").input_parameter("name", "${workflow.input.name}")
    wf >> SimpleTask(double, "d").input_parameter("value", "${workflow.input.n}")
    wf.output_parameters({"greeting": "${g.output.greeting}", "value": "${d.output.value}"})
    wf.register(overwrite=True)
    bad = ConductorWorkflow(executor=executor, name=f"sdk_bad_{uniq}", version=1)
    bad >> SimpleTask(explode, "x").input_parameter("value", "${workflow.input.n}")
    bad.register(overwrite=True)

    config = Configuration(server_api_url=server.url + "/api")
    workers = [
        _worker(greet, sdk_workers.greet),
        _worker(double, sdk_workers.double),
        _worker(explode, sdk_workers.explode),
    ]
    handler = TaskHandler(
        workers=workers, configuration=config, scan_for_annotated_workers=False, monitor_processes=False
    )
    handler.start_processes()
    try:
        wclient = clients.get_workflow_client()
        ids = [
            wclient.start_workflow(StartWorkflowRequest(name=wf.name, version=1, input={"name": f"n{i}", "n": i}))
            for i in range(5)
        ]
        bad_id = wclient.start_workflow(StartWorkflowRequest(name=bad.name, version=1, input={"n": 3}))

        def all_done() -> bool:
            return all(wclient.get_workflow(i, include_tasks=False).status == "COMPLETED" for i in ids)

        wait_until(all_done, timeout=60, interval=0.1, what="SDK workers to complete the workflows")
        for i, wid in enumerate(ids):
            assert wclient.get_workflow(wid).output == {"greeting": f"Hello n{i}", "value": 2 * i}
        wait_until(lambda: wclient.get_workflow(bad_id).status == "FAILED", timeout=30, what="terminal failure")
        failed = wclient.get_workflow(bad_id, include_tasks=True)
        assert failed.tasks[0].status == "FAILED_WITH_TERMINAL_ERROR"
        assert "cannot handle 3" in failed.reason_for_incompletion
    finally:
        handler.stop_processes()


def test_workflow_executor_execute_waits_for_completion(
    clients: OrkesClients, server: ServerProcess, uniq: str
) -> None:
    meta = clients.get_metadata_client()
    tname = f"sdk_e_{uniq}"
    meta.register_task_def(TaskDef(name=tname, retry_count=0))
    executor = clients.get_workflow_executor()
    wf = ConductorWorkflow(executor=executor, name=f"sdk_exec_{uniq}", version=1)
    wf >> SimpleTask(tname, "d").input_parameter("value", "${workflow.input.n}")
    config = Configuration(server_api_url=server.url + "/api")
    handler = TaskHandler(
        workers=[_worker(tname, sdk_workers.double)],
        configuration=config,
        scan_for_annotated_workers=False,
        monitor_processes=False,
    )
    handler.start_processes()
    try:
        run = wf.execute(workflow_input={"n": 21}, wait_for_seconds=30)
        assert run.status == "COMPLETED"
        assert run.output == {"value": 42}
    finally:
        handler.stop_processes()


def test_decorated_workers_domains_retry_and_skip(clients: OrkesClients, server: ServerProcess) -> None:
    from conductor.client.http.models.skip_task_request import SkipTaskRequest

    meta = clients.get_metadata_client()
    meta.register_task_def(TaskDef(name=sdk_decorated.DOMAIN_TASK, retry_count=0))
    meta.register_task_def(TaskDef(name=sdk_decorated.FLAKY_TASK, retry_count=0))
    executor = clients.get_workflow_executor()
    wf = ConductorWorkflow(executor=executor, name="sdk_decorated_flow", version=1)
    wf >> SimpleTask(sdk_decorated.DOMAIN_TASK, "shout").input_parameter("word", "${workflow.input.word}")
    wf >> SimpleTask(sdk_decorated.FLAKY_TASK, "flaky").input_parameter("attempt_ok", "${workflow.input.ok}")
    wf >> SimpleTask(sdk_decorated.DOMAIN_TASK, "skipme").input_parameter("word", "never")
    wf.register(overwrite=True)
    config = Configuration(server_api_url=server.url + "/api")
    handler = TaskHandler(
        workers=[],
        configuration=config,
        scan_for_annotated_workers=True,
        import_modules=["sdk_decorated"],
        monitor_processes=False,
    )
    handler.start_processes()
    try:
        wclient = clients.get_workflow_client()
        api = raw_api(server)
        # The decorated worker polls its domain; once it has, the domain counts as active.
        wait_until(
            lambda: any(
                p.get("domain") == "devbox"
                for p in api.get("/tasks/queue/polldata", params={"taskType": sdk_decorated.DOMAIN_TASK}).json()
            ),
            timeout=30,
            what="the domain worker's first poll",
        )
        wid = wclient.start_workflow(
            StartWorkflowRequest(
                name=wf.name, version=1, input={"word": "hi", "ok": False}, task_to_domain={"*": "devbox,NO_DOMAIN"}
            )
        )
        wclient.skip_task_from_workflow(wid, "skipme", SkipTaskRequest(task_output={"skipped": True}))
        wait_until(
            lambda: wclient.get_workflow(wid, include_tasks=False).status == "FAILED",
            timeout=30,
            what="the flaky task to fail the workflow",
        )
        run = wclient.get_workflow(wid, include_tasks=True)
        shout = next(t for t in run.tasks if t.reference_task_name == "shout")
        assert shout.domain == "devbox" and shout.output_data == {"echo": "HI"}
        wclient.retry_workflow(wid)
        wait_until(
            lambda: wclient.get_workflow(wid, include_tasks=False).status in ("FAILED", "COMPLETED"),
            timeout=30,
            what="the retried attempt",
        )
        run = wclient.get_workflow(wid, include_tasks=True)
        flaky_attempts = [t for t in run.tasks if t.reference_task_name == "flaky"]
        assert len(flaky_attempts) == 2 and flaky_attempts[1].retry_count == 1
        skipped = next(t for t in run.tasks if t.reference_task_name == "skipme")
        assert skipped.status == "SKIPPED" and skipped.output_data == {"skipped": True}
    finally:
        handler.stop_processes()


def test_scheduler_client(server: ServerProcess, clients: OrkesClients, uniq: str) -> None:
    """OrkesSchedulerClient as its users call it (issue #15): PUT pause/resume (the Orkes GET fallback is not
    needed), fires recorded and searchable, tags, the admin calls, and a 404 for a deleted schedule."""
    from conductor.client.http.models.save_schedule_request import SaveScheduleRequest
    from conductor.client.orkes.models.metadata_tag import MetadataTag

    wf = f"sched_{uniq}"
    with raw_api(server) as api:
        body = {"name": wf, "version": 1, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}
        assert api.post("/metadata/workflow", json=body).status_code in (200, 204)
    client = clients.get_scheduler_client()
    name = f"sdk_{uniq}"
    req = SaveScheduleRequest(
        name=name,
        cron_expression="0 */5 * ? * *",
        start_workflow_request=StartWorkflowRequest(name=wf, input={"x": 1}),
        zone_id="Europe/Berlin",
        description="from the SDK",
    )
    client.save_schedule(req)
    got = client.get_schedule(name)
    assert got is not None and got.name == name and got.cron_expression == "0 */5 * ? * *"
    assert got.zone_id == "Europe/Berlin" and got.start_workflow_request.name == wf
    assert got.start_workflow_request.input == {"x": 1} and got.paused is False
    assert [s.name for s in client.get_all_schedules(wf)] == [name]
    times = client.get_next_few_schedule_execution_times("0 0 * * * ?", 1767614400000, None, 2)
    assert times == [1767614400000, 1767618000000]
    client.pause_schedule(name, reason="because")
    paused = client.get_schedule(name)
    assert paused is not None and paused.paused is True and paused.paused_reason == "because"
    client.resume_schedule(name)
    assert client.get_schedule(name).paused is False
    # every second now (catch-up on, so a fire made late on a busy machine still makes every second)
    req.cron_expression = "* * * * * *"
    req.run_catchup_schedule_instances = True
    client.save_schedule(req)
    query = f"scheduleName = '{name}'"
    wait_until(
        lambda: client.search_schedule_executions(start=0, size=10, query=query).total_hits >= 2,
        timeout=15,
        interval=0.1,
        what="two fires",
    )
    client.pause_schedule(name)
    found = client.search_schedule_executions(start=0, size=10, query=query)
    first = found.results[0]
    assert first.state == "EXECUTED" and first.schedule_name == name and first.workflow_name == wf
    assert first.scheduled_time <= first.execution_time and first.zone_id == "Europe/Berlin"
    run = clients.get_workflow_client().get_workflow(first.workflow_id, include_tasks=False)
    assert run.input["_startedByScheduler"] == name and run.input["_scheduledTime"] == first.scheduled_time
    client.resume_all_schedules()
    assert client.get_schedule(name).paused is False
    client.pause_all_schedules()
    assert client.get_schedule(name).paused is True
    client.requeue_all_execution_records()
    client.set_scheduler_tags([MetadataTag("team", "data")], name)
    assert [(t.key, t.value) for t in client.get_scheduler_tags(name)] == [("team", "data")]
    client.delete_scheduler_tags([MetadataTag("team", "data")], name)
    assert client.get_scheduler_tags(name) == []
    client.delete_schedule(name)
    with pytest.raises(ApiException) as gone:
        client.get_schedule(name)
    assert gone.value.status == 404
