"""Worker metrics: polls, empty polls, latencies, execution time, errors — read from the registry
and scraped over HTTP."""

from __future__ import annotations

import httpx
from workerkit import metric, register, runner, simple, taskdef

from conftest import ServerProcess, free_port, wait_until
from podium.client import PodiumClient
from podium.worker import TaskContext, worker_task


def test_metrics_count_polls_executions_and_errors(server: ServerProcess, uniq: str) -> None:
    t = f"metered_{uniq}"

    @worker_task(t)
    def fn(ctx: TaskContext, divisor: int) -> float:
        return 1 / divisor

    port = free_port()
    with PodiumClient(server.url) as api:
        name = register(api, uniq, [simple(t, "t", divisor="${workflow.input.d}")], [taskdef(t)])
        with runner([fn], server.url, metrics_port=port, metrics_addr="127.0.0.1"):
            ok = api.wait_for_workflow(api.start_workflow(name, {"d": 4}))
            bad = api.wait_for_workflow(api.start_workflow(name, {"d": 0}))
            wait_until(lambda: metric("task_poll_empty_total", taskType=t) >= 2, what="empty polls")
            scraped = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert ok["tasks"][0]["outputData"] == {"result": 0.25}
    assert bad["status"] == "FAILED" and bad["tasks"][0]["reasonForIncompletion"] == "division by zero"
    polls = metric("task_poll_total", taskType=t)
    assert polls >= 3 and metric("task_poll_time_seconds_count", taskType=t) == polls
    assert metric("task_poll_received_total", taskType=t) == 2
    assert metric("task_execute_time_seconds_count", taskType=t) == 2
    assert metric("task_result_total", taskType=t, status="COMPLETED") == 1
    assert metric("task_result_total", taskType=t, status="FAILED") == 1
    assert metric("task_execute_error_total", taskType=t, exception="ZeroDivisionError") == 1
    assert metric("task_update_time_seconds_count", taskType=t) == 2
    assert metric("task_in_flight", taskType=t) == 0
    assert f'task_poll_total{{taskType="{t}"}}' in scraped
    assert f'task_execute_error_total{{exception="ZeroDivisionError",taskType="{t}"}} 1.0' in scraped


def test_poll_errors_are_counted_while_the_server_is_unreachable(uniq: str) -> None:
    t = f"unreachable_{uniq}"

    @worker_task(t)
    def fn() -> None: ...

    with runner([fn], f"http://127.0.0.1:{free_port()}"):
        wait_until(
            lambda: metric("task_poll_error_total", taskType=t, exception="ServerUnavailable") >= 2, what="poll errors"
        )
    assert metric("task_poll_received_total", taskType=t) == 0
