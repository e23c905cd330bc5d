"""Every example in examples/ runs end to end: against a real server process and in the test kit."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from workerkit import ROOT, load_example

from conftest import ServerProcess
from podium.testing import WorkflowEnvironment


def kit(name: str) -> tuple[Any, WorkflowEnvironment]:
    mod = load_example(name)
    env = WorkflowEnvironment(mod.WORKERS)
    env.register_task_defs(*mod.TASK_DEFS)
    env.register_workflow(*getattr(mod, "WORKFLOWS", [getattr(mod, "WORKFLOW", None)]))
    return mod, env


def by_ref(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["referenceTaskName"]: t for t in run["tasks"]}


# -- order fulfilment: FORK_JOIN / JOIN, SWITCH, async worker, dataclass inputs -------------------
def check_order(run: dict[str, Any]) -> None:
    assert run["status"] == "COMPLETED", run.get("reasonForIncompletion")
    out = run["output"]
    assert out["total"] == 30.0 and out["reservation"] == "R-A-1001" and out["chargeId"].startswith("CH-")
    assert out["message"] == "Dear Ada, your parcel DHL-A-1001 is on its way."
    tasks = by_ref(run)
    assert tasks["fork"]["taskType"] == "FORK" and tasks["join"]["status"] == "COMPLETED"
    assert tasks["join"]["outputData"]["reserve"]["reserved"] == {"book": 2, "pen": 4}
    assert "ship_express" in tasks and "ship_standard" not in tasks


def test_order_fulfilment_on_a_server(server: ServerProcess) -> None:
    check_order(load_example("order_fulfilment").main(server.url))


def test_order_fulfilment_in_the_kit() -> None:
    mod, env = kit("order_fulfilment")
    with env:
        check_order(env.execute("order_fulfilment", mod.SAMPLE_ORDER))
        empty = env.execute("order_fulfilment", {**mod.SAMPLE_ORDER, "lines": []})
        assert empty["status"] == "FAILED" and len(empty["tasks"]) == 1  # non-retryable: no retries
        assert empty["tasks"][0]["status"] == "FAILED_WITH_TERMINAL_ERROR"


# -- trip booking: retries, non-retryable failure, compensation through a failure workflow --------
def check_trips(ok: dict[str, Any], failed: dict[str, Any], compensation: dict[str, Any]) -> None:
    assert ok["status"] == "COMPLETED" and ok["output"] == {"hotel": "H-T1", "flight": "F-T1"}
    flights = [t for t in ok["tasks"] if t["referenceTaskName"] == "flight"]
    assert [t["status"] for t in flights] == ["FAILED", "FAILED", "COMPLETED"]
    assert flights[-1]["outputData"]["attempts"] == 3
    assert failed["status"] == "FAILED" and "no seats to Atlantis" in failed["reasonForIncompletion"]
    assert compensation["status"] == "COMPLETED"
    assert compensation["output"] == {"cancelled": ["H-T2"], "trip": failed["workflowId"]}


def test_trip_booking_on_a_server(server: ServerProcess) -> None:
    check_trips(*load_example("trip_booking").main(server.url))


def test_trip_booking_in_the_kit() -> None:
    _mod, env = kit("trip_booking")
    with env:
        started = env.now
        ok = env.execute("trip_booking", {"trip_id": "T1", "city": "Lisbon"})
        assert env.now - started == 2000  # two retry delays of one second, skipped
        failed = env.execute("trip_booking", {"trip_id": "T2", "city": "Atlantis"})
        compensation = env.run(failed["output"]["conductor.failure_workflow"])
        check_trips(ok, failed, compensation)


# -- expense approval: HUMAN task completed through the task API, TERMINATE -----------------------
def test_expense_approval_on_a_server(server: ServerProcess) -> None:
    runs = load_example("expense_approval").main(server.url)
    assert runs["small"]["status"] == "COMPLETED" and runs["small"]["output"]["paymentId"] == "P-E1"
    assert "manager_approval" not in by_ref(runs["small"])
    approved = runs["approved"]
    assert approved["status"] == "COMPLETED" and approved["output"]["by"] == "grace"
    assert by_ref(approved)["manager_approval"]["outputData"]["approved"] is True
    rejected = runs["rejected"]
    assert rejected["status"] == "COMPLETED" and rejected["output"] == {"status": "REJECTED", "by": "grace"}
    assert "pay" not in by_ref(rejected) and by_ref(rejected)["reject"]["status"] == "COMPLETED"


def test_expense_approval_in_the_kit() -> None:
    _mod, env = kit("expense_approval")
    with env:
        wid = env.start("expense_approval", {"expense_id": "E9", "employee": "Di", "amount": 900.0})
        waiting = env.run(wid)
        assert waiting["status"] == "RUNNING" and by_ref(waiting)["manager_approval"]["taskType"] == "HUMAN"
        env.complete_task(wid, "manager_approval", {"approved": True, "approver": "hal"})
        run = env.run(wid)
        assert run["status"] == "COMPLETED" and run["output"] == {"status": "PAID", "paymentId": "P-E9", "by": "hal"}


# -- data pipeline: DO_WHILE over pages ----------------------------------------------------------
EXPECTED_REPORT = {"pages": 3, "records": 23, "totals": {"east": 180.0, "north": 154.0, "south": 172.0}}


def test_data_pipeline_on_a_server(server: ServerProcess) -> None:
    run = load_example("data_pipeline").main(server.url)
    assert run["status"] == "COMPLETED" and run["output"]["report"] == EXPECTED_REPORT
    refs = [t["referenceTaskName"] for t in run["tasks"]]
    assert refs == ["pages", "fetch__1", "transform__1", "fetch__2", "transform__2", "fetch__3", "transform__3", "load"]


def test_data_pipeline_in_the_kit() -> None:
    _mod, env = kit("data_pipeline")
    with env:
        run = env.execute("sales_pipeline", {"page_size": 5})
        assert run["status"] == "COMPLETED"
        assert run["output"]["report"] == {**EXPECTED_REPORT, "pages": 5}


# -- the scripts themselves ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["order_fulfilment", "trip_booking", "expense_approval", "data_pipeline"])
def test_examples_run_as_scripts(server: ServerProcess, name: str) -> None:
    script = ROOT / "examples" / f"{name}.py"
    done = subprocess.run(
        [sys.executable, str(script), "--server", server.url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "COMPLETED" in done.stdout
