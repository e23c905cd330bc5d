"""HTTP and EVENT as pure decider operators (docs/reference.md#http, #event): queueing and publishing decisions."""

from __future__ import annotations

from typing import Any

import pytest
from syskit import T0, effects, make_env, make_state, node, rec, simple

from podium.decider import decide
from podium.decider.operators.integration import event_queue_name
from podium.domain import statuses as st


def http(ref: str = "h", **extra: Any) -> dict[str, Any]:
    req = {"uri": "http://example.com/${workflow.input.id}", "method": "GET"}
    return node(ref, "HTTP", inputParameters={"http_request": req}, **extra)


def test_http_is_queued_on_the_system_task_queue_in_progress() -> None:
    state = make_state([http(), simple("after")], input={"id": 7})
    out = decide(state, make_env(), T0)
    h = rec(state, "h")
    assert h["taskType"] == "HTTP" and h["status"] == st.IN_PROGRESS and h["startTime"] == T0
    assert h["inputData"] == {"http_request": {"uri": "http://example.com/7", "method": "GET"}}
    assert [(p.queue, p.task_id, p.delay_ms) for p in out.pushes] == [("HTTP", h["taskId"], 0)]
    # Later passes do not queue it again.
    assert decide(state, make_env(), T0 + 1).pushes == []


def test_http_failure_is_retried_per_task_def_after_the_delay() -> None:
    env = make_env({"h": {"retryCount": 1, "retryDelaySeconds": 3}})
    state = make_state([http()], input={"id": 1})
    decide(state, env, T0)
    first = rec(state, "h")
    first.update({"status": st.FAILED, "reasonForIncompletion": "Failed to invoke HTTP task due to: x"})
    out = decide(state, env, T0 + 10)
    second = rec(state, "h")
    assert second is not first and second["status"] == st.SCHEDULED and out.pushes == []
    assert out.next_check == T0 + 10 + 3000
    out = decide(state, env, T0 + 10 + 3000)
    assert second["status"] == st.IN_PROGRESS
    assert [(p.queue, p.task_id) for p in out.pushes] == [("HTTP", second["taskId"])]


def test_cancelled_http_leaves_its_queue() -> None:
    state = make_state([http()], input={"id": 1})
    decide(state, make_env(), T0)
    state.workflow["status"] = st.TERMINATED
    out = decide(state, make_env(), T0 + 1)
    assert rec(state, "h")["status"] == st.CANCELED
    assert out.removes == [("HTTP", rec(state, "h")["taskId"])]


def event(ref: str = "e", sink: str = "conductor", **extra: Any) -> dict[str, Any]:
    return node(ref, "EVENT", sink=sink, inputParameters={"data": "${workflow.input.d}"}, **extra)


def test_event_publishes_input_plus_workflow_coordinates_and_completes() -> None:
    state = make_state(
        [event(), simple("after")], input={"d": {"x": 1}}, correlationId="c-1", taskToDomain={"*": "dom"}
    )
    out = decide(state, make_env(), T0)
    e = rec(state, "e")
    payload = {
        "data": {"x": 1},
        "sink": "conductor",
        "asyncComplete": False,
        "workflowInstanceId": "w1",
        "workflowType": "wf",
        "workflowVersion": 1,
        "correlationId": "c-1",
        "taskToDomain": {"*": "dom"},
    }
    assert e["inputData"] == {"data": {"x": 1}, "sink": "conductor", "asyncComplete": False}
    assert e["status"] == st.COMPLETED
    assert e["outputData"] == {**payload, "event_produced": "conductor:wf:e"}
    assert effects(out) == [
        ("publish_event", "e", {"queue": "conductor:wf:e", "message_id": e["taskId"], "payload": payload})
    ]
    assert rec(state, "after")["status"] == st.SCHEDULED


def test_async_complete_event_publishes_once_and_stays_in_progress() -> None:
    state = make_state([event(sink="conductor:${workflow.input.q}", asyncComplete=True)], input={"q": "orders"})
    out = decide(state, make_env(), T0)
    e = rec(state, "e")
    assert e["status"] == st.IN_PROGRESS and e["outputData"]["event_produced"] == "conductor:wf:orders"
    assert len(effects(out, "publish_event")) == 1
    assert decide(state, make_env(), T0 + 1).effects == []


@pytest.mark.parametrize("sink", ["sqs:my-queue", "kafka:topic", "nonsense", ""])
def test_event_with_an_unavailable_sink_fails(sink: str) -> None:
    state = make_state([event(sink=sink)])
    out = decide(state, make_env(), T0)
    e = rec(state, "e")
    assert e["status"] == st.FAILED and e["reasonForIncompletion"]
    assert effects(out, "publish_event") == []


def test_event_queue_names() -> None:
    assert event_queue_name("conductor", "wf", "ref") == ("conductor:wf:ref", "")
    assert event_queue_name("conductor:q1", "wf", "ref") == ("conductor:wf:q1", "")
    assert event_queue_name(None, "wf", "ref")[0] is None
    assert "sqs" in event_queue_name("sqs:q", "wf", "ref")[1]
