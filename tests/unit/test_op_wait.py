"""WAIT and HUMAN as pure decider operators (docs/reference.md#wait, #human)."""

from __future__ import annotations

from typing import Any

import pytest
from syskit import T0, finish, make_env, make_state, node, rec, simple

from podium.decider import decide
from podium.decider.operators import operator_for
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain.durations import parse_until

DAY_MS = 86_400_000


def wait(ref: str = "w", **params: Any) -> dict[str, Any]:
    return node(ref, "WAIT", inputParameters=params)


def test_duration_wait_is_in_progress_until_its_end_then_completes() -> None:
    env = make_env()
    state = make_state([wait(duration="1m 30s"), simple("after")])
    out = decide(state, env, T0)
    w = rec(state, "w")
    assert w["status"] == st.IN_PROGRESS and w["taskType"] == "WAIT" and w["startTime"] == T0
    assert out.pushes == [] and out.next_check == T0 + 90_000
    decide(state, env, T0 + 89_999)
    assert w["status"] == st.IN_PROGRESS and len(state.tasks) == 1
    decide(state, env, T0 + 90_000)
    assert w["status"] == st.COMPLETED and w["endTime"] == T0 + 90_000
    assert rec(state, "after")["status"] == st.SCHEDULED


def test_day_long_wait_reports_its_end_as_deadline_instead_of_polling() -> None:
    env = make_env()
    state = make_state([wait(duration="1 day")])
    decide(state, env, T0)
    w = rec(state, "w")
    p = Pass(state, env, T0 + 1000)
    assert operator_for("WAIT").deadline(p, w) == T0 + DAY_MS
    decide(state, env, T0 + DAY_MS - 1)
    assert w["status"] == st.IN_PROGRESS
    decide(state, env, T0 + DAY_MS)
    assert w["status"] == st.COMPLETED and state.workflow["status"] == st.COMPLETED


def test_until_wait_completes_at_the_given_time() -> None:
    env = make_env()
    until = "2023-11-15 12:00 UTC"
    end = parse_until(until)
    start = end - 3_600_000
    state = make_state([wait(until="${workflow.input.when}")], input={"when": until})
    out = decide(state, env, start)
    assert rec(state, "w")["status"] == st.IN_PROGRESS and out.next_check == end
    decide(state, env, end)
    assert rec(state, "w")["status"] == st.COMPLETED


def test_until_in_the_past_completes_at_once() -> None:
    state = make_state([wait(until="2001-01-01")])
    decide(state, make_env(), T0)
    assert rec(state, "w")["status"] == st.COMPLETED


@pytest.mark.parametrize(
    "params",
    [
        {"duration": "5s", "until": "2030-01-01"},
        {"until": "tomorrow at noon"},
        {"until": "2030-13-45"},
        {"duration": "5 fortnights"},
    ],
)
def test_bad_wait_inputs_fail_terminally(params: dict[str, Any]) -> None:
    env = make_env({"w": {"retryCount": 3}})
    state = make_state([wait(**params)])
    decide(state, env, T0)
    w = rec(state, "w")
    assert w["status"] == st.FAILED_WITH_TERMINAL_ERROR and w["reasonForIncompletion"]
    assert len(state.tasks) == 1 and state.workflow["status"] == st.FAILED


def test_open_wait_has_no_deadline_and_continues_after_an_external_update() -> None:
    env = make_env()
    state = make_state([wait(), simple("after")])
    decide(state, env, T0)
    w = rec(state, "w")
    assert operator_for("WAIT").deadline(Pass(state, env, T0), w) is None
    decide(state, env, T0 + 30 * DAY_MS)
    assert w["status"] == st.IN_PROGRESS
    finish(state, "w", {"approved": True})
    decide(state, env, T0 + 30 * DAY_MS)
    assert w["status"] == st.COMPLETED and rec(state, "after")["status"] == st.SCHEDULED


def test_blank_inputs_count_as_absent() -> None:
    state = make_state([wait(duration="", until="  ")])
    decide(state, make_env(), T0 + 10 * DAY_MS)
    assert rec(state, "w")["status"] == st.IN_PROGRESS


def test_wait_reset_to_scheduled_starts_again_when_due() -> None:
    env = make_env()
    state = make_state([wait(duration="10s")])
    decide(state, env, T0)
    w = rec(state, "w")
    w.update({"status": st.SCHEDULED, "startTime": 0, "scheduledTime": T0 + 5000})
    decide(state, env, T0 + 6000)
    assert w["status"] == st.IN_PROGRESS and w["startTime"] == T0 + 6000
    decide(state, env, T0 + 15_999)
    assert w["status"] == st.IN_PROGRESS
    decide(state, env, T0 + 16_000)
    assert w["status"] == st.COMPLETED


def test_human_stays_in_progress_until_updated() -> None:
    env = make_env()
    state = make_state(
        [node("h", "HUMAN", inputParameters={"form": "${workflow.input.f}"}), simple("after")], input={"f": "approve"}
    )
    out = decide(state, env, T0)
    h = rec(state, "h")
    assert h["status"] == st.IN_PROGRESS and h["inputData"] == {"form": "approve"} and out.pushes == []
    decide(state, env, T0 + 10 * DAY_MS)
    assert h["status"] == st.IN_PROGRESS and len(state.tasks) == 1
    finish(state, "h", {"ok": 1})
    decide(state, env, T0 + 10 * DAY_MS)
    assert rec(state, "after")["status"] == st.SCHEDULED


def test_open_wait_with_a_retry_timeout_in_its_task_def_times_out_and_is_retried() -> None:
    defs = {"w": {"name": "w", "timeoutSeconds": 60, "timeoutPolicy": "RETRY", "retryCount": 1, "retryDelaySeconds": 0}}
    env = make_env(defs)  # type: ignore[arg-type]
    state = make_state([node("w", "WAIT")])
    out = decide(state, env, T0)
    first = rec(state, "w")
    assert first["status"] == st.IN_PROGRESS
    assert out.next_check == T0 + 60_000  # the sweeper knows the deadline
    decide(state, env, T0 + 59_999)
    assert first["status"] == st.IN_PROGRESS and len(state.tasks) == 1
    out = decide(state, env, T0 + 60_000)
    assert first["status"] == st.TIMED_OUT and first["retried"]
    second = state.tasks[-1]
    assert second["retryCount"] == 1 and second["status"] == st.IN_PROGRESS and second["taskType"] == "WAIT"
    assert state.workflow["status"] == st.RUNNING and out.next_check == T0 + 120_000
    decide(state, env, T0 + 120_000)
    assert second["status"] == st.TIMED_OUT and state.workflow["status"] == st.TIMED_OUT  # retries used up


def test_open_wait_without_a_task_def_timeout_never_times_out() -> None:
    env = make_env({"w": {"name": "w", "timeoutPolicy": "RETRY"}})  # type: ignore[dict-item]
    state = make_state([node("w", "WAIT")])
    out = decide(state, env, T0)
    assert out.next_check is not None and out.next_check >= T0 + 3_600_000
    decide(state, env, T0 + 10 * DAY_MS)
    assert rec(state, "w")["status"] == st.IN_PROGRESS
