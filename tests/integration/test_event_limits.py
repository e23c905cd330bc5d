"""Event storms (issue #12): a handler whose action restarts the very workflow that published the
event is stopped by the chain-depth limit, and a handler's actions are rate limited per second.
In process over a real SQLite store, with a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.domain.clock import ManualClock
from podium.domain.limits import Limits
from podium.service import events, metrics, starting
from podium.service.container import Services, build_services, open_store
from podium.service.events import EventService


def services(tmp_path: Path, **limits: int) -> Iterator[Services]:
    svc = build_services(open_store(f"sqlite:///{tmp_path / 'ev.db'}"), ManualClock(), limits=Limits(**limits))
    events.install(svc.engine)
    yield svc
    svc.store.close()


@pytest.fixture()
def svc(tmp_path: Path) -> Iterator[Services]:
    yield from services(tmp_path, event_chain_depth=3)


def looping(svc: Services, ev: EventService, name: str = "loop") -> None:
    """A workflow whose EVENT task's message makes a handler start the same workflow again."""
    task = {"name": "ev", "taskReferenceName": "ev", "type": "EVENT", "sink": "conductor"}
    svc.metadata.register_workflow_def({"name": name, "version": 1, "tasks": [task]}, True)
    action = {"action": "start_workflow", "start_workflow": {"name": name, "input": {}}}
    ev.add({"name": f"{name}_again", "event": f"conductor:{name}:ev", "actions": [action], "active": True})


def refused(handler: str, reason: str) -> float:
    return metrics.REGISTRY.get_sample_value("event_action_refused_total", {"handler": handler, "reason": reason}) or 0


def test_event_loop_stops_at_the_chain_depth(svc: Services) -> None:
    ev = EventService(svc.engine, svc.tasks)
    looping(svc, ev)
    before = refused("loop_again", "chain_depth")
    first = starting.start(svc.engine, {"name": "loop", "input": {}})
    delivered = 0
    while n := ev.process():
        delivered += n
        assert delivered < 50, "the loop did not stop"
    started = [x["output"]["workflowId"] for x in ev.executions("loop_again") if x["status"] == "COMPLETED"]
    assert len(started) == 3  # depths 1, 2 and 3; the fourth is refused
    assert first not in started
    assert sorted(svc.store.event_depth(w) for w in started) == [1, 2, 3]
    [failed] = [x for x in ev.executions("loop_again") if x["status"] == "FAILED"]
    assert "4 deep in a chain of event-started workflows (limit 3" in failed["output"]["error"]
    assert refused("loop_again", "chain_depth") == before + 1


def test_actions_over_the_rate_limit_are_dropped_and_counted(tmp_path: Path) -> None:
    for svc in services(tmp_path, event_actions_per_second=2):
        ev = EventService(svc.engine, svc.tasks)
        svc.metadata.register_workflow_def({"name": "target", "version": 1, "tasks": [
            {"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}, True)  # fmt: skip
        action = {"action": "start_workflow", "start_workflow": {"name": "target"}}
        ev.add({"name": "busy", "event": "conductor:ext:x", "actions": [action], "active": True})
        before = refused("busy", "rate_limit")
        with svc.engine.unit() as unit:
            for i in range(5):
                events.publish(unit, "conductor:ext:x", f"m{i}", {"i": i})
        assert ev.process() == 5  # every message is taken off the queue
        assert len(ev.executions("busy")) == 2
        assert refused("busy", "rate_limit") == before + 3
        assert isinstance(svc.clock, ManualClock)
        svc.clock.advance(1000)  # a new second: room again
        with svc.engine.unit() as unit:
            events.publish(unit, "conductor:ext:x", "m9", {"i": 9})
        ev.process()
        assert len(ev.executions("busy")) == 3
