"""Compute system tasks as pure decider operators: SET_VARIABLE, NOOP, INLINE, LAMBDA, JSON_JQ_TRANSFORM,
KAFKA_PUBLISH (docs/reference.md, a section each)."""

from __future__ import annotations

from typing import Any

from syskit import T0, effects, make_env, make_state, node, rec, simple

from podium.decider import DeciderEnv, decide
from podium.decider.operators.system import MAX_VARIABLES_BYTES, TASK_LOGS_EFFECT
from podium.domain import statuses as st


def inline(ref: str, expression: Any, evaluator: str | None = "javascript", **params: Any) -> dict[str, Any]:
    inp: dict[str, Any] = {"expression": expression, **params}
    if evaluator is not None:
        inp["evaluatorType"] = evaluator
    return node(ref, "INLINE", inputParameters=inp)


# -- NOOP / SET_VARIABLE ---------------------------------------------------------------------------
def test_noop_completes_in_the_same_pass_and_flow_continues() -> None:
    state = make_state([node("n", "NOOP"), simple("a")])
    out = decide(state, make_env(), T0)
    n = rec(state, "n")
    assert n["status"] == st.COMPLETED and n["taskType"] == "NOOP" and n["outputData"] == {}
    assert n["startTime"] == T0 and n["endTime"] == T0 and n["executed"] is True
    assert [t["referenceTaskName"] for t in state.tasks] == ["n", "a"]
    assert [p.queue for p in out.pushes] == ["a"]  # a system task is never queued


def test_set_variable_writes_variables_visible_to_later_tasks() -> None:
    state = make_state(
        [
            node("sv", "SET_VARIABLE", inputParameters={"count": "${workflow.input.n}", "name": "x"}),
            node("sv2", "SET_VARIABLE", inputParameters={"count": 2}),
            simple("a", inputParameters={"c": "${workflow.variables.count}", "n": "${workflow.variables.name}"}),
        ],
        input={"n": 1},
        variables={"keep": True},
    )
    out = decide(state, make_env(), T0)
    assert state.workflow["variables"] == {"keep": True, "count": 2, "name": "x"}
    assert rec(state, "sv")["status"] == st.COMPLETED and rec(state, "sv")["inputData"] == {"count": 1, "name": "x"}
    assert rec(state, "a")["inputData"] == {"c": 2, "n": "x"}
    assert out.workflow_changed is True


def test_set_variable_over_the_size_limit_fails_terminally_and_rolls_back() -> None:
    big = "x" * (MAX_VARIABLES_BYTES + 10)
    state = make_state(
        [node("sv", "SET_VARIABLE", inputParameters={"blob": big, "small": 1})],
        variables={"keep": 1},
        definition={"tasks": [node("sv", "SET_VARIABLE", inputParameters={"blob": big, "small": 1})]},
    )
    decide(state, make_env({"sv": {"retryCount": 3}}), T0)
    sv = rec(state, "sv")
    assert sv["status"] == st.FAILED_WITH_TERMINAL_ERROR
    assert str(MAX_VARIABLES_BYTES) in sv["reasonForIncompletion"]
    assert state.workflow["variables"] == {"keep": 1}
    assert len(state.tasks) == 1  # terminal errors are never retried
    assert state.workflow["status"] == st.FAILED


# -- INLINE -----------------------------------------------------------------------------------------
def test_inline_javascript_binds_whole_input_and_outputs_result() -> None:
    state = make_state(
        [
            inline("js", "$.a * 2 + $.b.length + ($.evaluatorType === 'javascript' ? 100 : 0)", a=20, b=[1, 2]),
            simple("next", inputParameters={"r": "${js.output.result}"}),
        ]
    )
    decide(state, make_env(), T0)
    js = rec(state, "js")
    assert js["status"] == st.COMPLETED and js["outputData"] == {"result": 142}
    assert isinstance(js["outputData"]["result"], int)
    assert rec(state, "next")["inputData"] == {"r": 142}


def test_inline_defaults_to_javascript_and_returns_objects_as_maps() -> None:
    state = make_state([inline("js", "({k: [1, 'two', null], f: 1.5})", evaluator=None)])
    decide(state, make_env(), T0)
    assert rec(state, "js")["outputData"] == {"result": {"k": [1, "two", None], "f": 1.5}}
    assert state.workflow["status"] == st.COMPLETED


def test_inline_value_param_returns_the_named_input() -> None:
    state = make_state([inline("vp", "choice", evaluator="value-param", choice={"x": 1})])
    decide(state, make_env(), T0)
    assert rec(state, "vp")["outputData"] == {"result": {"x": 1}}


def test_inline_script_error_fails_with_error_output_and_is_retried() -> None:
    env = make_env({"js": {"retryCount": 1, "retryDelaySeconds": 0}})
    state = make_state([inline("js", "$.missing.deep")])
    decide(state, env, T0)
    first, second = state.tasks
    assert first["status"] == st.FAILED and first["retried"] is True
    assert first["outputData"]["error"].startswith("TypeError")
    assert first["reasonForIncompletion"] == first["outputData"]["error"]
    # The retry attempt (no delay) runs in the same pass and fails the same way.
    assert second["retryCount"] == 1 and second["status"] == st.FAILED
    assert state.workflow["status"] == st.FAILED


def test_inline_retry_attempt_waits_for_its_delay() -> None:
    env = make_env({"js": {"retryCount": 1, "retryDelaySeconds": 5}})
    state = make_state([inline("js", "throw new Error('nope')")])
    out = decide(state, env, T0)
    retry = state.tasks[1]
    assert retry["status"] == st.SCHEDULED and state.workflow["status"] == st.RUNNING
    assert out.next_check == T0 + 5000
    decide(state, env, T0 + 4999)
    assert retry["status"] == st.SCHEDULED
    decide(state, env, T0 + 5000)
    assert retry["status"] == st.FAILED and retry["startTime"] == T0 + 5000
    assert retry["outputData"] == {"error": "Error: nope"}
    assert state.workflow["status"] == st.FAILED


def test_inline_empty_expression_or_unknown_evaluator_fail_terminally() -> None:
    env = make_env({"e": {"retryCount": 2}, "u": {"retryCount": 2}})
    for wt in (inline("e", "  "), inline("u", "1", evaluator="cobol")):
        state = make_state([wt])
        decide(state, env, T0)
        t = state.tasks[0]
        assert t["status"] == st.FAILED_WITH_TERMINAL_ERROR, wt
        assert t["reasonForIncompletion"]
        assert len(state.tasks) == 1 and state.workflow["status"] == st.FAILED


def test_inline_console_output_is_handed_to_the_service_as_task_logs() -> None:
    state = make_state([inline("js", "console.log('hello', $.n); console.error('bad'); $.n", n=3)])
    out = decide(state, make_env(), T0)
    assert rec(state, "js")["outputData"] == {"result": 3}
    assert effects(out, TASK_LOGS_EFFECT) == [(TASK_LOGS_EFFECT, "js", {"lines": ["hello 3", "bad"]})]


def test_inline_with_a_two_argument_evaluator_still_works() -> None:
    env = make_env()
    seen: list[Any] = []

    def js(script: str, bindings: Any) -> Any:
        seen.append((script, dict(bindings)))
        return "ok"

    env2 = DeciderEnv(task_def=env.task_def, new_id=env.new_id, js=js)
    state = make_state([inline("js", "anything", v=1)])
    decide(state, env2, T0)
    assert rec(state, "js")["outputData"] == {"result": "ok"}
    assert seen == [("anything", {"expression": "anything", "evaluatorType": "javascript", "v": 1})]


# -- LAMBDA -----------------------------------------------------------------------------------------
def test_lambda_runs_a_function_body() -> None:
    script = "if ($.v > 3) return {big: true}; return 0;"
    state = make_state([node("l", "LAMBDA", inputParameters={"v": 5, "scriptExpression": script})])
    decide(state, make_env(), T0)
    assert rec(state, "l")["outputData"] == {"result": {"big": True}}


def test_lambda_empty_script_and_errors_fail() -> None:
    state = make_state([node("l", "LAMBDA", inputParameters={"scriptExpression": ""})])
    decide(state, make_env(), T0)
    assert rec(state, "l")["status"] == st.FAILED
    state = make_state([node("l", "LAMBDA", inputParameters={"scriptExpression": "return $.a.b;"})])
    decide(state, make_env(), T0)
    t = rec(state, "l")
    assert t["status"] == st.FAILED and t["outputData"]["error"].startswith("TypeError")


# -- JSON_JQ_TRANSFORM ------------------------------------------------------------------------------
def jq(ref: str, query: Any, **params: Any) -> dict[str, Any]:
    return node(ref, "JSON_JQ_TRANSFORM", inputParameters={"queryExpression": query, **params})


def test_jq_result_is_first_value_and_result_list_all_values() -> None:
    state = make_state(
        [
            jq("q", ".items[] | .id", items=[{"id": 1}, {"id": 2.5}]),
            jq("one", "{total: (.a + .b)}", a=1, b=2),
            jq("none", "empty"),
        ]
    )
    decide(state, make_env(), T0)
    assert rec(state, "q")["outputData"] == {"result": 1, "resultList": [1, 2.5]}
    assert isinstance(rec(state, "q")["outputData"]["result"], int)
    assert rec(state, "one")["outputData"] == {"result": {"total": 3}, "resultList": [{"total": 3}]}
    assert rec(state, "none")["outputData"] == {"result": None, "resultList": []}
    assert state.workflow["status"] == st.COMPLETED


def test_jq_error_fails_with_jq_message() -> None:
    state = make_state([jq("q", ".s.key", s="text")])
    decide(state, make_env(), T0)
    t = rec(state, "q")
    assert t["status"] == st.FAILED
    assert "Cannot index string" in t["reasonForIncompletion"]
    assert t["outputData"] == {"error": t["reasonForIncompletion"]}


def test_jq_missing_expression_fails() -> None:
    state = make_state([node("q", "JSON_JQ_TRANSFORM", inputParameters={"a": 1})])
    decide(state, make_env(), T0)
    t = rec(state, "q")
    assert t["status"] == st.FAILED and "queryExpression" in t["reasonForIncompletion"]


# -- KAFKA_PUBLISH ----------------------------------------------------------------------------------
def test_kafka_publish_fails_with_a_clear_reason() -> None:
    state = make_state([node("k", "KAFKA_PUBLISH", inputParameters={"kafka_request": {"topic": "t", "value": 1}})])
    decide(state, make_env(), T0)
    t = rec(state, "k")
    assert t["status"] == st.FAILED
    assert t["reasonForIncompletion"] == "KAFKA_PUBLISH is not available on this server"
    assert state.workflow["status"] == st.FAILED
