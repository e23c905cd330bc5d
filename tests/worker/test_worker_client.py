"""The typed HTTP client: calls, error mapping, unreachable servers, the async twin."""

from __future__ import annotations

import asyncio

import pytest
from workerkit import register, simple, taskdef

from conftest import ServerProcess, free_port
from podium.client import ApiError, AsyncPodiumClient, PodiumClient, ServerUnavailable, is_transient
from podium.client._calls import api_base


def test_base_url_may_or_may_not_end_in_api() -> None:
    assert api_base("http://h:1") == api_base("http://h:1/") == api_base("http://h:1/api/") == "http://h:1/api"


def test_calls_and_errors(server: ServerProcess, uniq: str) -> None:
    t = f"cl_{uniq}"
    with PodiumClient(server.url + "/api") as api:
        assert api.healthy()
        name = register(api, uniq, [simple(t, "t")], [taskdef(t)])
        assert api.get_task_def(t)["name"] == t and api.get_workflow_def(name)["name"] == name
        wid = api.start_workflow(name, {"k": 1}, correlation_id="c-1")
        [task] = api.batch_poll(t, worker_id="me", count=5, timeout_ms=1000)
        assert task["workflowInstanceId"] == wid and task["workerId"] == "me"
        assert api.batch_poll(t, timeout_ms=0) == [] and api.poll(t) is None
        api.add_task_log(task["taskId"], "a line")
        assert api.update_task_by_ref(wid, "t", "COMPLETED", {"done": True}) == task["taskId"]
        run = api.wait_for_workflow(wid)
        assert run["status"] == "COMPLETED" and run["correlationId"] == "c-1" and run["output"] == {"done": True}
        assert [lg["log"] for lg in api.get_task_logs(task["taskId"])] == ["a line"]
        with pytest.raises(ApiError) as missing:
            api.get_workflow("no-such-workflow")
        assert missing.value.status == 404 and "no-such-workflow" in missing.value.message
        assert not missing.value.transient and not is_transient(missing.value)
        with pytest.raises(ApiError) as conflict:
            api.register_workflow_def({"name": name, "version": 1, "tasks": [simple(t, "t")]})
        assert conflict.value.status == 409


def test_an_unreachable_server_raises_server_unavailable() -> None:
    with PodiumClient(f"http://127.0.0.1:{free_port()}", timeout=2) as api:
        with pytest.raises(ServerUnavailable) as err:
            api.get_workflow("x")
        assert is_transient(err.value)
        assert not api.healthy()


def test_the_async_client(server: ServerProcess, uniq: str) -> None:
    t = f"acl_{uniq}"
    with PodiumClient(server.url) as api:
        name = register(api, uniq, [simple(t, "t")], [taskdef(t)])

    async def scenario() -> str:
        async with AsyncPodiumClient(server.url) as api:
            wid = await api.start_workflow(name)
            [task] = await api.batch_poll(t, worker_id="async", timeout_ms=1000)
            result = {
                "workflowInstanceId": wid,
                "taskId": task["taskId"],
                "status": "COMPLETED",
                "outputData": {"via": "async"},
            }
            assert await api.update_task_v2(result) is None  # nothing else queued
            run = await api.wait_for_workflow(wid)
            return str(run["output"]["via"])

    assert asyncio.run(scenario()) == "async"
