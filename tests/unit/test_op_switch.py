"""SWITCH and DECISION operators (docs/reference.md#switch, #decision): case selection, record shapes, navigation."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import T0, make_env, make_state, rec, refs, seqs, simple, step

from podium.decider import decide
from podium.decider.operators.switch import case_string
from podium.domain import statuses as st


def switch(
    ref: str,
    expression: str,
    cases: dict[str, list[dict[str, Any]]],
    default: list[dict[str, Any]] | None = None,
    evaluator: str = "value-param",
    **extra: Any,
) -> dict[str, Any]:
    wt: dict[str, Any] = {
        "name": ref,
        "taskReferenceName": ref,
        "type": "SWITCH",
        "evaluatorType": evaluator,
        "expression": expression,
        "decisionCases": cases,
        **extra,
    }
    if default is not None:
        wt["defaultCase"] = default
    return wt


def value_switch(**extra: Any) -> dict[str, Any]:
    return switch(
        "sw",
        "kind",
        {"a": [simple("a1"), simple("a2")], "b": [simple("b1")], "empty": []},
        [simple("d1")],
        inputParameters={"kind": "${workflow.input.kind}", "other": 7},
        **extra,
    )


def test_value_param_record_shape_and_seq_order() -> None:
    state = make_state([simple("pre"), value_switch(), simple("post")], input={"kind": "a"})
    env = make_env()
    decide(state, env, T0)
    step(state, env, "pre")
    assert seqs(state) == [(1, "pre", st.COMPLETED), (2, "sw", st.COMPLETED), (3, "a1", st.SCHEDULED)]
    sw = rec(state, "sw")
    assert sw["taskType"] == "SWITCH" and sw["taskDefName"] == "SWITCH"
    assert sw["inputData"] == {"kind": "a", "other": 7, "case": "a"}
    assert sw["outputData"] == {"evaluationResult": ["a"], "selectedCase": "a"}
    assert sw["executed"] is True and sw["startTime"] == T0 + 1 and sw["endTime"] == T0 + 1


def test_branch_runs_to_its_end_then_continues_after_the_switch_once() -> None:
    state = make_state([value_switch(), simple("post")], input={"kind": "a"})
    env = make_env()
    decide(state, env, T0)
    assert refs(state) == ["sw", "a1"]
    step(state, env, "a1")
    assert refs(state) == ["sw", "a1", "a2"]
    step(state, env, "a2")
    assert refs(state) == ["sw", "a1", "a2", "post"]
    step(state, env, "post", {"r": 1})
    assert state.workflow["status"] == st.COMPLETED and state.workflow["output"] == {"r": 1}
    assert refs(state).count("post") == 1


@pytest.mark.parametrize(("kind", "first"), [("zzz", "d1"), ("empty", "d1"), ("b", "b1"), (None, "d1")])
def test_unmatched_or_empty_case_falls_to_default(kind: str | None, first: str) -> None:
    state = make_state([value_switch(), simple("post")], input={"kind": kind})
    decide(state, make_env(), T0)
    assert refs(state) == ["sw", first]
    assert rec(state, "sw")["outputData"]["selectedCase"] == ("null" if kind is None else kind)


def test_no_branch_and_no_default_continues_after_the_switch() -> None:
    sw = switch("sw", "kind", {"a": [simple("a1")]}, inputParameters={"kind": "x"})
    state = make_state([sw, simple("post")])
    decide(state, make_env(), T0)
    assert seqs(state) == [(1, "sw", st.COMPLETED), (2, "post", st.SCHEDULED)]


def test_switch_last_with_no_branch_completes_the_workflow() -> None:
    sw = switch("sw", "kind", {"a": [simple("a1")]}, inputParameters={"kind": "x"})
    state = make_state([sw])
    decide(state, make_env(), T0)
    assert state.workflow["status"] == st.COMPLETED
    assert state.workflow["output"] == {"evaluationResult": ["x"], "selectedCase": "x"}


def test_javascript_expression_sees_resolved_input_as_dollar() -> None:
    def wf(amount: int) -> Any:
        sw = switch(
            "sw",
            "$.amount > 100 ? 'big' : 'small'",
            {"big": [simple("big")], "small": [simple("small")]},
            evaluator="javascript",
            inputParameters={"amount": "${workflow.input.amount}"},
        )
        return make_state([sw], input={"amount": amount})

    for amount, expected in ((500, "big"), (5, "small")):
        state = wf(amount)
        decide(state, make_env(), T0)
        assert refs(state) == ["sw", expected]


def test_graaljs_es6_and_non_string_results_are_stringified() -> None:
    sw = switch(
        "sw",
        "(() => { const n = $.n; return n * 2; })()",
        {"4": [simple("four")]},
        evaluator="graaljs",
        inputParameters={"n": 2},
    )
    state = make_state([sw])
    decide(state, make_env(), T0)
    assert refs(state) == ["sw", "four"]
    assert rec(state, "sw")["inputData"]["case"] == "4"


@pytest.mark.parametrize(
    ("value", "text"),
    [(2, "2"), (2.0, "2"), (2.5, "2.5"), (None, "null"), (True, "true"), (False, "false"), ("x", "x"), (-3.0, "-3")],
)
def test_case_string_forms(value: Any, text: str) -> None:
    assert case_string(value) == text
    sw = switch("sw", "v", {text: [simple("hit")]}, [simple("miss")], inputParameters={"v": "${workflow.input.v}"})
    state = make_state([sw], input={"v": value})
    decide(state, make_env(), T0)
    assert refs(state) == ["sw", "hit"]


def test_script_error_fails_the_switch_and_the_workflow() -> None:
    sw = switch("sw", "$.missing.deeper", {"a": [simple("a1")]}, evaluator="javascript")
    state = make_state([sw, simple("post")])
    decide(state, make_env(), T0)
    t = rec(state, "sw")
    assert t["status"] == st.FAILED and "TypeError" in t["reasonForIncompletion"]
    assert refs(state) == ["sw"]
    assert state.workflow["status"] == st.FAILED
    assert state.workflow["reasonForIncompletion"].startswith(f"Task {t['taskId']} failed with status: FAILED")
    assert state.workflow["failedReferenceTaskNames"] == ["sw"]


def test_optional_switch_with_script_error_continues_after_it() -> None:
    sw = switch("sw", "throw new Error('nope')", {"a": [simple("a1")]}, evaluator="javascript", optional=True)
    state = make_state([sw, simple("post")])
    decide(state, make_env(), T0)
    assert seqs(state) == [(1, "sw", st.COMPLETED_WITH_ERRORS), (2, "post", st.SCHEDULED)]
    assert "nope" in rec(state, "sw")["reasonForIncompletion"]


def test_missing_js_evaluator_fails_the_switch() -> None:
    sw = switch("sw", "'a'", {"a": [simple("a1")]}, evaluator="javascript")
    state = make_state([sw])
    decide(state, make_env(js=False), T0)
    assert rec(state, "sw")["status"] == st.FAILED and state.workflow["status"] == st.FAILED


@pytest.mark.parametrize("evaluator", ["python", "groovy"])
def test_unknown_evaluator_fails_the_workflow_without_a_record(evaluator: str) -> None:
    sw = switch("sw", "x", {"a": [simple("a1")]}, evaluator=evaluator)
    state = make_state([simple("pre"), sw])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "pre")
    assert refs(state) == ["pre"]
    assert state.workflow["status"] == st.FAILED
    assert state.workflow["reasonForIncompletion"] == f"No evaluator registered for type: {evaluator}"


def test_nested_switches_continue_outward() -> None:
    inner = switch("inner", "k", {"x": [simple("x1")]}, inputParameters={"k": "x"})
    outer = switch("outer", "k", {"go": [inner, simple("after_inner")]}, inputParameters={"k": "go"})
    state = make_state([outer, simple("post")])
    env = make_env()
    decide(state, env, T0)
    assert refs(state) == ["outer", "inner", "x1"]
    step(state, env, "x1")
    assert refs(state) == ["outer", "inner", "x1", "after_inner"]
    step(state, env, "after_inner")
    assert refs(state)[-1] == "post"
    step(state, env, "post")
    assert state.workflow["status"] == st.COMPLETED


def test_case_branch_starting_with_a_switch_is_expanded_in_order() -> None:
    inner = switch("inner", "k", {"x": [simple("x1")]}, inputParameters={"k": "x"})
    outer = switch("outer", "k", {"go": [inner]}, inputParameters={"k": "go"})
    state = make_state([outer])
    decide(state, make_env(), T0)
    assert [(s, r) for s, r, _ in seqs(state)] == [(1, "outer"), (2, "inner"), (3, "x1")]


def decision(**extra: Any) -> dict[str, Any]:
    return {
        "name": "dec",
        "taskReferenceName": "dec",
        "type": "DECISION",
        "decisionCases": {"1": [simple("one")], "true": [simple("yes")]},
        "defaultCase": [simple("other")],
        **extra,
    }


def test_decision_case_value_param_shape() -> None:
    state = make_state([decision(caseValueParam="n", inputParameters={"n": "${workflow.input.n}"})], input={"n": 1})
    decide(state, make_env(), T0)
    d = rec(state, "dec")
    assert d["taskType"] == "DECISION" and d["taskDefName"] == "DECISION" and d["status"] == st.COMPLETED
    assert d["inputData"] == {"n": 1, "case": "1"}
    assert d["outputData"] == {"caseOutput": ["1"]}
    assert refs(state) == ["dec", "one"]


def test_decision_case_expression_and_default() -> None:
    state = make_state([decision(caseExpression="$.n > 5", inputParameters={"n": 9})])
    decide(state, make_env(), T0)
    assert refs(state) == ["dec", "yes"]
    state = make_state([decision(caseExpression="'nothing'", inputParameters={})])
    decide(state, make_env(), T0)
    assert refs(state) == ["dec", "other"]


def test_decision_empty_matched_case_falls_to_default() -> None:
    d = decision(caseValueParam="n", inputParameters={"n": "e"})
    d["decisionCases"]["e"] = []
    state = make_state([d])
    decide(state, make_env(), T0)
    assert refs(state) == ["dec", "other"]


def test_switch_inside_fork_branch_joins() -> None:
    sw = switch("sw", "k", {"a": [simple("a1")]}, inputParameters={"k": "a"})
    fork = {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[sw], [simple("b1")]]}
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a1", "b1"]}
    state = make_state([fork, join, simple("post")])
    env = make_env()
    decide(state, env, T0)
    assert [(s, r) for s, r, _ in seqs(state)] == [(1, "f"), (2, "sw"), (3, "a1"), (4, "b1"), (5, "j")]
    step(state, env, "a1", {"x": 1})
    assert rec(state, "j")["status"] == st.IN_PROGRESS and "post" not in refs(state)
    step(state, env, "b1", {"y": 2})
    assert rec(state, "j")["status"] == st.COMPLETED
    assert rec(state, "j")["outputData"] == {"a1": {"x": 1}, "b1": {"y": 2}}
    assert refs(state)[-1] == "post"
