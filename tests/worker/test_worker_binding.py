"""The worker SDK without a server: decorator, input binding, outputs, failures, context, config, logs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pydantic
import pytest

from podium.client import decode
from podium.worker import (
    InProgress,
    NonRetryableError,
    TaskContext,
    TaskError,
    WorkerTask,
    as_worker,
    collect,
    current_task,
    run_async,
    run_sync,
    worker_task,
)
from podium.worker._config import configure, env_key
from podium.worker._logging import JsonFormatter, TaskIdsFilter, TextFormatter


def task(input_data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "taskId": "t-1",
        "workflowInstanceId": "w-1",
        "taskType": "demo",
        "referenceTaskName": "demo_ref",
        "inputData": input_data or {},
        "retryCount": 0,
        "pollCount": 1,
        **extra,
    }


def run(fn: Any, input_data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    spec = as_worker(fn)
    done = run_sync(spec, task(input_data, **extra), "w")  # type: ignore[arg-type]
    result: dict[str, Any] = decode(done.body)
    assert result["status"] == done.status
    return result


@dataclass
class Item:
    sku: str
    qty: int = 1


@dataclass
class Order:
    order_id: str
    items: list[Item] = field(default_factory=list)


class Customer(pydantic.BaseModel):
    name: str
    vip: bool = False


class Point(TypedDict):
    x: int
    y: int


# -- the decorator ------------------------------------------------------------------------------
def test_decorator_forms_keep_the_function_callable() -> None:
    @worker_task
    def bare(x: int) -> int:
        return x + 1

    @worker_task("named", concurrency=3, domain="blue")
    def named(x: int) -> int:
        return x * 2

    def plain() -> None: ...

    assert bare(1) == 2 and named(2) == 4
    assert as_worker(bare).name == "bare" and as_worker(bare).concurrency == 1
    spec = as_worker(named)
    assert (spec.name, spec.concurrency, spec.domain, spec.is_async) == ("named", 3, "blue", False)
    assert as_worker(plain).name == "plain"
    with pytest.raises(ValueError):
        WorkerTask("x", plain, concurrency=0)


def test_collect_finds_decorated_functions_of_a_module() -> None:
    import cli_workers

    names = [s.name for s in collect(cli_workers)]
    assert names == [cli_workers.BLOCKING]


# -- inputs -------------------------------------------------------------------------------------
def test_named_inputs_are_converted_to_their_annotations() -> None:
    def fn(count: int, ratio: float, tags: list[str], when: dt.date, note: str = "none") -> dict[str, Any]:
        return {"count": count, "ratio": ratio, "tags": tags, "year": when.year, "note": note}

    out = run(fn, {"count": "7", "ratio": 2, "tags": ["a"], "when": "2024-02-03", "extra": 1})
    assert out["status"] == "COMPLETED"
    assert out["outputData"] == {"count": 7, "ratio": 2.0, "tags": ["a"], "year": 2024, "note": "none"}


def test_a_single_dataclass_parameter_receives_the_whole_input() -> None:
    seen: list[Order] = []

    def fn(order: Order) -> None:
        seen.append(order)

    out = run(fn, {"order_id": "o1", "items": [{"sku": "a", "qty": 2}, {"sku": "b"}], "ignored": True})
    assert out["status"] == "COMPLETED" and out["outputData"] == {}
    assert seen == [Order("o1", [Item("a", 2), Item("b", 1)])]


def test_a_dataclass_named_like_an_input_key_receives_that_value() -> None:
    def fn(order: Order, ctx: TaskContext) -> str:
        return f"{order.order_id}:{len(order.items)}:{ctx.task_id}"

    out = run(fn, {"order": {"order_id": "o2", "items": []}})
    assert out["outputData"] == {"result": "o2:0:t-1"}


def test_pydantic_models_and_typed_dicts() -> None:
    def whole(customer: Customer) -> Customer:
        return customer

    def named(p: Point, scale: int) -> dict[str, int]:
        return {"x": p["x"] * scale, "y": p["y"] * scale}

    assert run(whole, {"name": "Ada", "vip": "true"})["outputData"] == {"name": "Ada", "vip": True}
    assert run(named, {"p": {"x": 1, "y": "2"}, "scale": 3})["outputData"] == {"x": 3, "y": 6}


def test_kwargs_receive_the_remaining_input() -> None:
    def fn(a: int, **rest: Any) -> dict[str, Any]:
        return {"a": a, "rest": rest}

    assert run(fn, {"a": 1, "b": 2, "c": None})["outputData"] == {"a": 1, "rest": {"b": 2, "c": None}}


def test_missing_and_invalid_inputs_fail_without_retry() -> None:
    def fn(qty: int) -> int:
        return qty

    missing = run(fn, {})
    assert missing["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert missing["reasonForIncompletion"] == "Missing input 'qty'"
    invalid = run(fn, {"qty": "many"})
    assert invalid["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert invalid["reasonForIncompletion"].startswith("Invalid input 'qty'")
    bad_model = run(lambda order: order, {"order": 1})  # unannotated: passed as is
    assert bad_model["outputData"] == {"result": 1}


# -- outputs ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1, "none": None}, {"a": 1, "none": None}),
        (None, {}),
        (5, {"result": 5}),
        ([1, "x"], {"result": [1, "x"]}),
        ("text", {"result": "text"}),
        (Item("z", 3), {"sku": "z", "qty": 3}),
        (Customer(name="Bo"), {"name": "Bo", "vip": False}),
        (
            {"when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "items": [Item("q")]},
            {"when": "2024-01-02T03:04:05Z", "items": [{"sku": "q", "qty": 1}]},
        ),
    ],
)
def test_return_values_become_output_data(value: Any, expected: dict[str, Any]) -> None:
    out = run(lambda: value)
    assert out["status"] == "COMPLETED" and out["outputData"] == expected
    assert out["workflowInstanceId"] == "w-1" and out["taskId"] == "t-1" and out["workerId"] == "w"


def test_unserializable_output_fails_the_task_terminally() -> None:
    out = run(lambda: {"obj": object()})
    assert out["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert "not JSON serializable" in out["reasonForIncompletion"]


def test_in_progress_reports_a_callback() -> None:
    out = run(lambda: InProgress(callback_after_seconds=30, output={"step": 1}))
    assert out["status"] == "IN_PROGRESS" and out["callbackAfterSeconds"] == 30
    assert out["outputData"] == {"step": 1}


# -- failures -----------------------------------------------------------------------------------
def test_an_exception_fails_the_task_with_message_and_traceback() -> None:
    def fn() -> None:
        raise ValueError("card declined")

    out = run(fn)
    assert out["status"] == "FAILED" and out["reasonForIncompletion"] == "card declined"
    [entry] = out["logs"]
    assert entry["taskId"] == "t-1" and entry["createdTime"] > 0
    assert "Traceback (most recent call last)" in entry["log"] and "ValueError: card declined" in entry["log"]
    assert 'in fn\n    raise ValueError("card declined")' in entry["log"]


def test_non_retryable_failures() -> None:
    def terminal() -> None:
        raise NonRetryableError("bad account")

    @worker_task("lookup", non_retryable=(KeyError,))
    def lookup() -> None:
        raise KeyError("k")

    def with_output() -> None:
        raise TaskError("partial", output={"done": 3}, non_retryable=False)

    def empty_message() -> None:
        raise RuntimeError()

    assert run(terminal)["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert run(lookup)["status"] == "FAILED_WITH_TERMINAL_ERROR"
    partial = run(with_output)
    assert partial["status"] == "FAILED" and partial["outputData"] == {"done": 3}
    assert run(empty_message)["reasonForIncompletion"] == "RuntimeError"


# -- context ------------------------------------------------------------------------------------
def test_context_exposes_ids_counters_and_collects_logs() -> None:
    seen: dict[str, Any] = {}

    def fn(ctx: TaskContext) -> None:
        seen.update(
            task_id=ctx.task_id,
            wf=ctx.workflow_id,
            type=ctx.task_type,
            ref=ctx.reference_name,
            retry=ctx.retry_count,
            polls=ctx.poll_count,
            prev=ctx.previous_output,
            current=current_task() is ctx,
        )
        ctx.log("step one")
        ctx.log({"step": 2})

    out = run(fn, retryCount=2, pollCount=3, outputData={"half": True})
    assert seen == {
        "task_id": "t-1",
        "wf": "w-1",
        "type": "demo",
        "ref": "demo_ref",
        "retry": 2,
        "polls": 3,
        "prev": {"half": True},
        "current": True,
    }
    assert [lg["log"] for lg in out["logs"]] == ["step one", "{'step': 2}"]
    with pytest.raises(LookupError):
        current_task()
    with pytest.raises(RuntimeError):
        TaskContext(task(), "w").extend_lease()  # type: ignore[arg-type]


def test_async_functions_run_through_run_async() -> None:
    async def fn(x: int, ctx: TaskContext) -> dict[str, Any]:
        await asyncio.sleep(0)
        ctx.log("async")
        return {"y": x * 2, "same": current_task() is ctx}

    spec = as_worker(fn)
    assert spec.is_async
    done = asyncio.run(run_async(spec, task({"x": 4}), "w"))  # type: ignore[arg-type]
    result = decode(done.body)
    assert result["outputData"] == {"y": 8, "same": True} and result["logs"][0]["log"] == "async"


# -- configuration ------------------------------------------------------------------------------
def test_environment_overrides_domain_concurrency_and_pause() -> None:
    spec = as_worker(worker_task("charge-card.v2", domain="code")(lambda: None))
    assert env_key(spec.name) == "CHARGE_CARD_V2"
    assert configure(spec, "runner", {}).domain == "code"
    assert configure(as_worker(lambda: None), "runner", {}).domain == "runner"
    assert configure(spec, None, {"PODIUM_WORKER_DOMAIN": "all"}).domain == "all"
    env = {
        "PODIUM_WORKER_DOMAIN": "all",
        "PODIUM_WORKER_CHARGE_CARD_V2_DOMAIN": "mine",
        "PODIUM_WORKER_CHARGE_CARD_V2_CONCURRENCY": "5",
        "PODIUM_WORKER_PAUSED": "true",
    }
    tuned = configure(spec, None, env)
    assert (tuned.domain, tuned.concurrency, tuned.paused) == ("mine", 5, True)
    assert configure(spec, None, {"PODIUM_WORKER_CHARGE_CARD_V2_DOMAIN": "NO_DOMAIN"}).domain is None


# -- logs ---------------------------------------------------------------------------------------
def test_log_records_inside_a_task_carry_its_ids(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("app.payments")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(TaskIdsFilter())
    logger.addHandler(handler)
    try:

        def fn() -> None:
            logger.warning("charging")

        run(fn)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = records
    entry = json.loads(JsonFormatter().format(inside))
    assert entry["message"] == "charging" and entry["level"] == "WARNING" and entry["logger"] == "app.payments"
    assert (entry["workflowId"], entry["taskId"], entry["taskType"]) == ("w-1", "t-1", "demo")
    assert "workflowId" not in json.loads(JsonFormatter().format(outside))
    assert TextFormatter().format(inside).endswith("charging [workflowId=w-1 taskId=t-1 taskType=demo]")


def test_worker_packages_do_not_import_server_modules() -> None:
    import subprocess

    code = (
        "import sys, podium.worker, podium.client, podium.cli.worker\n"
        "heavy = ('podium.api', 'podium.service', 'podium.store', 'podium.decider', 'podium.expr',\n"
        "         'podium.runtime', 'fastapi', 'starlette', 'prometheus_client', 'orjson')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_back_off_doubles_up_to_its_cap() -> None:
    from podium.worker._loop import _backoff

    assert [_backoff((0.01, 0.05), n) for n in range(1, 6)] == [0.01, 0.02, 0.04, 0.05, 0.05]
    assert _backoff((0.1, 10.0), 10_000) == 10.0  # no overflow on long outages
