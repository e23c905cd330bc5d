"""Decide and template parsing cost grows linearly with the input (issue #12).

Work is counted, not timed: the number of Python line events a call executes is deterministic,
so doubling the input must (about) double it; a quadratic path quadruples it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from flowkit import T0, make_env, make_state, simple

from podium.decider import decide
from podium.expr._template import MAX_NESTING, compile_template


def line_events(fn: Callable[[], Any]) -> int:
    """How many source lines ``fn()`` executes (every frame, every loop turn)."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def assert_linear(cost: Callable[[int], int], n: int) -> None:
    small, large = cost(n), cost(2 * n)
    assert large <= 2.3 * small, f"work grew {large / small:.2f}x when the input doubled ({small} → {large})"


def test_unclosed_expressions_are_parsed_in_linear_work() -> None:
    # Distinct strings each time: compile_template caches per string.
    assert_linear(lambda n: line_events(lambda: compile_template("${" * n + f"#{n}")), 2_000)


def test_closed_and_escaped_expressions_are_parsed_in_linear_work() -> None:
    assert_linear(lambda n: line_events(lambda: compile_template("$${a} ${b.c} x{y} " * n)), 500)


def test_deep_nesting_is_bounded_and_kept_literal_below_the_bound() -> None:
    deep = "${" * 500 + "a" + "}" * 500
    t = compile_template(deep)
    assert len(list(t.expressions())) == MAX_NESTING
    shallow = compile_template("${a.${b.${c}}}")
    assert [e.name for e in shallow.expressions()] == ["a.${b.${c}}", "b.${c}", "c"]


def _fork_decide_cost(width: int) -> int:
    fork = {
        "name": "df",
        "taskReferenceName": "df",
        "type": "FORK_JOIN_DYNAMIC",
        "inputParameters": {"forkTaskName": "work", "forkTaskInputs": "${workflow.input.items}"},
    }
    join = {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"}
    state = make_state([fork, join, simple("post")], input={"items": [{"i": i} for i in range(width)]})
    env = make_env()
    cost = line_events(lambda: decide(state, env, T0))
    assert len(state.tasks) == width + 2
    return cost


def test_dynamic_fork_decide_is_linear_in_its_width() -> None:
    assert_linear(_fork_decide_cost, 400)


def _loop_decide_cost(iterations: int) -> int:
    import dataclasses

    from podium.domain.limits import Limits

    body = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 1}}
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "$.loop['iteration'] < " + str(iterations),
        "loopOver": [body],
    }
    state = make_state([loop])
    env = dataclasses.replace(make_env(), limits=Limits(loop_iterations=iterations))

    def run() -> None:
        # A long loop runs a bounded number of records per pass; the decider asks to be called again.
        for n in range(1000):
            if not decide(state, env, T0 + n).again:
                return

    cost = line_events(run)
    assert len(state.tasks) == iterations + 1 and state.workflow["status"] == "COMPLETED"
    return cost


def test_do_while_passes_cost_the_same_however_many_came_before() -> None:
    assert_linear(_loop_decide_cost, 90)
