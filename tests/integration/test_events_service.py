"""Event handlers in process over a real SQLite store: CRUD rules, EVENT publishing, delivery,
actions, conditions, EventExecution records and redelivery (docs/compatibility.md#events-apievent-apiqueue)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.domain import statuses as st
from podium.domain.errors import Conflict, InvalidArgument, NotFound, ValidationFailed
from podium.service import events, starting
from podium.service.container import Services, build_services, open_store
from podium.service.events import EventService, expand_inline_json


@pytest.fixture()
def svc(tmp_path: Path) -> Iterator[Services]:
    services = build_services(open_store(f"sqlite:///{tmp_path / 'podium.db'}"))
    events.install(services.engine)
    yield services
    services.store.close()


@pytest.fixture()
def ev(svc: Services) -> EventService:
    return EventService(svc.engine, svc.tasks)


def register(svc: Services, name: str, tasks: list[dict[str, Any]]) -> None:
    svc.metadata.register_workflow_def({"name": name, "version": 1, "tasks": tasks, "timeoutSeconds": 0}, True)


def task(svc: Services, wid: str, ref: str) -> dict[str, Any]:
    return dict(next(t for t in reversed(svc.store.get_tasks(wid)) if t["referenceTaskName"] == ref))


def wf_status(svc: Services, wid: str) -> str:
    wf = svc.store.get_workflow(wid)
    assert wf is not None
    return wf["status"]


def handler(name: str, event: str, *actions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "event": event, "actions": list(actions), "active": True, **extra}


COMPLETE_WAIT = {
    "action": "complete_task",
    "complete_task": {
        "workflowId": "${workflowInstanceId}",
        "taskRefName": "wait",
        "output": {"got": "${data.v}", "whole": "${data}"},
    },
}


def emitter(svc: Services, name: str = "emit", sink: str = "conductor") -> None:
    register(
        svc,
        name,
        [
            {
                "name": "ev",
                "taskReferenceName": "ev",
                "type": "EVENT",
                "sink": sink,
                "inputParameters": {"data": "${workflow.input.data}"},
            },
            {"name": "wait", "taskReferenceName": "wait", "type": "WAIT"},
        ],
    )


# -- CRUD -------------------------------------------------------------------------------------------
def test_crud_rules(ev: EventService) -> None:
    h = handler("h1", "conductor:wf:ref", COMPLETE_WAIT)
    ev.add(h)
    with pytest.raises(Conflict):
        ev.add(h)
    with pytest.raises(NotFound):
        ev.update(handler("missing", "conductor:x:y", COMPLETE_WAIT))
    ev.update({**h, "active": False, "condition": "$.x > 1"})
    [stored] = ev.all()
    assert stored["active"] is False and stored["condition"] == "$.x > 1"
    assert stored["actions"][0]["expandInlineJSON"] is False
    assert ev.for_event("conductor:wf:ref") == []
    assert [x["name"] for x in ev.for_event("conductor:wf:ref", active_only=False)] == ["h1"]
    ev.delete("h1")
    with pytest.raises(NotFound):
        ev.delete("h1")


def test_validation_rejects_bad_handlers(ev: EventService) -> None:
    with pytest.raises(ValidationFailed):
        ev.add({"name": "x", "event": "conductor:a:b", "actions": []})
    with pytest.raises(ValidationFailed):
        ev.add(handler("x", "conductor:a:b", {"action": "terminate_workflow", "terminate_workflow": {}}))
    with pytest.raises(ValidationFailed):
        ev.add(handler("x", "conductor:a:b", COMPLETE_WAIT, condition="$.x >"))


def test_active_defaults_to_false(ev: EventService) -> None:
    ev.add({"name": "quiet", "event": "conductor:a:b", "actions": [COMPLETE_WAIT]})
    assert ev.all()[0]["active"] is False


# -- delivery ---------------------------------------------------------------------------------------
def test_event_task_publishes_and_handler_completes_the_wait(svc: Services, ev: EventService) -> None:
    emitter(svc)
    ev.add(handler("done", "conductor:emit:ev", COMPLETE_WAIT))
    wid = starting.start(svc.engine, {"name": "emit", "input": {"data": {"v": 5}}})
    e = task(svc, wid, "ev")
    assert e["status"] == st.COMPLETED and e["outputData"]["event_produced"] == "conductor:emit:ev"
    [(_, queue, message_id, payload)] = svc.store.event_peek(10, 0)
    assert queue == "conductor:emit:ev" and message_id == e["taskId"] and '"workflowInstanceId"' in payload
    assert task(svc, wid, "wait")["status"] == st.IN_PROGRESS

    assert ev.process() == 1
    w = task(svc, wid, "wait")
    assert w["status"] == st.COMPLETED
    assert w["outputData"] == {
        "got": 5,
        "whole": {"v": 5},
        "conductor.event.messageId": e["taskId"],
        "conductor.event.name": "conductor:emit:ev",
    }
    assert wf_status(svc, wid) == st.COMPLETED
    assert svc.store.event_peek(10, 0) == []
    [execution] = ev.executions("done")
    assert execution == {
        "id": f"{e['taskId']}_0",
        "messageId": e["taskId"],
        "name": "done",
        "event": "conductor:emit:ev",
        "created": execution["created"],
        "status": st.COMPLETED,
        "action": "complete_task",
        "output": {"workflowId": wid, "taskId": w["taskId"], "taskRefName": "wait"},
    }


def test_named_conductor_sink_and_start_workflow_action(svc: Services, ev: EventService) -> None:
    emitter(svc, sink="conductor:orders")
    register(svc, "child", [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}])
    ev.add(
        handler(
            "starter",
            "conductor:emit:orders",
            {
                "action": "start_workflow",
                "start_workflow": {
                    "name": "child",
                    "version": "1",
                    "correlationId": "${workflowInstanceId}",
                    "input": {"v": "${data.v}"},
                },
            },
        )
    )
    wid = starting.start(svc.engine, {"name": "emit", "input": {"data": {"v": "x"}}})
    ev.process()
    [execution] = ev.executions("starter")
    assert execution["status"] == st.COMPLETED, execution
    child = svc.store.get_workflow(execution["output"]["workflowId"])
    assert child is not None and child["workflowName"] == "child" and child["correlationId"] == wid
    assert child["event"] == "conductor:emit:orders"
    assert child["input"] == {
        "v": "x",
        "conductor.event.messageId": execution["messageId"],
        "conductor.event.name": "conductor:emit:orders",
    }


def test_condition_false_is_skipped_and_inactive_handlers_do_nothing(svc: Services, ev: EventService) -> None:
    emitter(svc)
    ev.add(handler("never", "conductor:emit:ev", COMPLETE_WAIT, condition="$.data.v > 10"))
    ev.add(handler("off", "conductor:emit:ev", COMPLETE_WAIT, active=False))
    wid = starting.start(svc.engine, {"name": "emit", "input": {"data": {"v": 5}}})
    assert ev.process() == 1
    assert task(svc, wid, "wait")["status"] == st.IN_PROGRESS
    [skipped] = ev.executions("never")
    assert skipped["status"] == st.SKIPPED and skipped["output"]["condition"] == "$.data.v > 10"
    assert ev.executions("off") == []


def test_value_param_condition_and_fail_task(svc: Services, ev: EventService) -> None:
    emitter(svc)
    ev.add(
        handler(
            "failer",
            "conductor:emit:ev",
            {
                "action": "fail_task",
                "fail_task": {
                    "workflowId": "${workflowInstanceId}",
                    "taskRefName": "wait",
                    "reasonForIncompletion": "rejected: ${data.why}",
                },
            },
            condition="flag",
            evaluatorType="value-param",
        )
    )
    wid = starting.start(svc.engine, {"name": "emit", "input": {"data": {"why": "no"}}})
    ev.process()
    assert task(svc, wid, "wait")["status"] == st.IN_PROGRESS  # payload has no truthy 'flag'
    wid2 = starting.start(svc.engine, {"name": "emit", "input": {"data": {"why": "no"}}})
    with svc.engine.unit() as unit:
        events.publish(
            unit, "conductor:emit:ev", "m-1", {"flag": True, "workflowInstanceId": wid2, "data": {"why": "late"}}
        )
    ev.process()
    w = task(svc, wid2, "wait")
    assert w["status"] == st.FAILED and w["reasonForIncompletion"] == "rejected: late"
    assert wf_status(svc, wid2) == st.FAILED


def test_failed_action_is_recorded_and_message_acked(svc: Services, ev: EventService) -> None:
    ev.add(
        handler(
            "lost",
            "conductor:x:y",
            {"action": "complete_task", "complete_task": {"workflowId": "nope", "taskRefName": "t"}},
        )
    )
    with svc.engine.unit() as unit:
        events.publish(unit, "conductor:x:y", "m-9", {"a": 1})
    assert ev.process() == 1
    [execution] = ev.executions("lost")
    assert execution["status"] == st.FAILED and "t" in execution["output"]["error"]
    assert svc.store.event_peek(10, 0) == []


def test_redelivery_does_not_repeat_completed_actions(svc: Services, ev: EventService) -> None:
    register(svc, "child", [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}])
    ev.add(handler("starter", "conductor:a:b", {"action": "start_workflow", "start_workflow": {"name": "child"}}))
    with svc.engine.unit() as unit:
        events.publish(unit, "conductor:a:b", "m-1", {})
        events.publish(unit, "conductor:a:b", "m-1", {})  # the same message again (ack lost)
    assert ev.process() == 2
    assert len(ev.executions("starter")) == 1
    assert len(svc.store.running_workflow_ids("child", 1, 0, 2**62)) == 1


def test_expand_inline_json() -> None:
    payload = {"body": '{"order": {"id": 7}, "tags": "[1, 2]"}', "plain": "{not json", "n": 1}
    assert expand_inline_json(payload) == {"body": {"order": {"id": 7}, "tags": [1, 2]}, "plain": "{not json", "n": 1}


def test_expand_inline_json_action(svc: Services, ev: EventService) -> None:
    emitter(svc)
    action = {
        **COMPLETE_WAIT,
        "expandInlineJSON": True,
        "complete_task": {
            "workflowId": "${workflowInstanceId}",
            "taskRefName": "wait",
            "output": {"id": "${msg.order.id}"},
        },
    }
    ev.add(handler("exp", "conductor:emit:ev", action))
    wid = starting.start(svc.engine, {"name": "emit", "input": {"data": {}}})
    with svc.engine.unit() as unit:
        svc.store.event_ack(svc.store.event_peek(1, 0)[0][0])
        events.publish(unit, "conductor:emit:ev", "m-2", {"workflowInstanceId": wid, "msg": '{"order": {"id": 42}}'})
    ev.process()
    assert task(svc, wid, "wait")["outputData"]["id"] == 42


# -- /api/queue status messages -----------------------------------------------------------------------
def test_status_queue_updates_complete_a_task_by_ref_by_id_or_the_pending_wait(svc: Services, ev: EventService) -> None:
    register(
        svc,
        "waits",
        [
            {"name": "a", "taskReferenceName": "a", "type": "WAIT"},
            {"name": "b", "taskReferenceName": "b", "type": "HUMAN"},
            {"name": "c", "taskReferenceName": "c", "type": "WAIT"},
        ],
    )
    wid = starting.start(svc.engine, {"name": "waits"})
    ev.publish_status_update(wid, "COMPLETED", {"by": "ref"}, ref="a")
    assert ev.queue_sizes() == {"conductor_COMPLETED": 1, "conductor_FAILED": 0}
    ev.process()
    assert task(svc, wid, "a")["outputData"] == {"by": "ref"}
    ev.publish_status_update(wid, "COMPLETED", {"by": "id"}, task_id=task(svc, wid, "b")["taskId"])
    ev.process()
    assert task(svc, wid, "b")["status"] == st.COMPLETED
    ev.publish_status_update(wid, "FAILED", {"by": "wait"})
    ev.process()
    assert task(svc, wid, "c")["status"] == st.FAILED and wf_status(svc, wid) == st.FAILED
    with pytest.raises(InvalidArgument, match="Status must be one of"):
        ev.publish_status_update(wid, "SKIPPED", {})


def test_actions_and_status_messages_find_a_task_in_nested_loops(svc: Services, ev: EventService) -> None:
    inner = {
        "name": "inner",
        "taskReferenceName": "inner",
        "type": "DO_WHILE",
        "loopCondition": "$.inner.iteration < 1",
        "loopOver": [
            {"name": "h", "taskReferenceName": "h", "type": "HUMAN"},
            {"name": "k", "taskReferenceName": "k", "type": "HUMAN"},
        ],
    }
    outer = {
        "name": "outer",
        "taskReferenceName": "outer",
        "type": "DO_WHILE",
        "loopCondition": "$.outer.iteration < 1",
        "loopOver": [inner],
    }
    register(svc, "nested", [{"name": "ev", "taskReferenceName": "ev", "type": "EVENT", "sink": "conductor"}, outer])
    action = {
        "action": "complete_task",
        "complete_task": {"workflowId": "${workflowInstanceId}", "taskRefName": "h", "output": {"by": "action"}},
    }
    ev.add(handler("nested_done", "conductor:nested:ev", action))
    wid = starting.start(svc.engine, {"name": "nested"})
    assert ev.process() == 1
    assert task(svc, wid, "h__1__1")["outputData"]["by"] == "action"
    ev.publish_status_update(wid, "COMPLETED", {"by": "ref"}, ref="k")
    ev.process()
    assert task(svc, wid, "k__1__1")["outputData"] == {"by": "ref"}
    assert wf_status(svc, wid) == st.COMPLETED
