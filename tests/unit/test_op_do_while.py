"""DO_WHILE (docs/reference.md#do_while): iteration naming, outputs, loop condition, items, keepLastN, nesting."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import T0, make_env, make_state, pending, rec, refs, seqs, simple, step

from podium.decider import decide
from podium.domain import statuses as st


def loop(ref: str, body: list[dict[str, Any]], condition: str | None = None, **extra: Any) -> dict[str, Any]:
    wt: dict[str, Any] = {"name": ref, "taskReferenceName": ref, "type": "DO_WHILE", "loopOver": body, **extra}
    if condition is not None:
        wt["loopCondition"] = condition
    return wt


def counted(n: int = 3, **extra: Any) -> dict[str, Any]:
    body = [simple("a", inputParameters={"pass": "${loop.iteration}"}), simple("b")]
    return loop("loop", body, f"$.loop['iteration'] < {n}", **extra)


def test_iterations_are_suffixed_and_the_record_counts_passes() -> None:
    state = make_state([counted(), simple("post")])
    env = make_env()
    decide(state, env, T0)
    assert seqs(state) == [(1, "loop", st.IN_PROGRESS), (2, "a__1", st.SCHEDULED)]
    lp, a1 = rec(state, "loop"), rec(state, "a__1")
    assert lp["taskType"] == "DO_WHILE" and lp["taskDefName"] == "loop" and lp["iteration"] == 1
    assert a1["iteration"] == 1 and a1["inputData"] == {"pass": 1} and a1["taskType"] == "a"
    step(state, env, "a__1", {"v": 1})
    step(state, env, "b__1", {"w": 1})
    assert refs(state)[-1] == "a__2" and lp["iteration"] == 2
    assert rec(state, "a__2")["inputData"] == {"pass": 2}
    assert lp["outputData"]["1"] == {"a": {"v": 1}, "b": {"w": 1}}
    step(state, env, "a__2")
    step(state, env, "b__2")
    step(state, env, "a__3")
    step(state, env, "b__3", {"last": True})
    assert lp["status"] == st.COMPLETED and lp["iteration"] == 3
    assert sorted(lp["outputData"]) == ["1", "2", "3", "iteration"] and lp["outputData"]["iteration"] == 3
    assert refs(state)[-1] == "post" and rec(state, "post")["iteration"] == 0
    step(state, env, "post")
    assert state.workflow["status"] == st.COMPLETED


def test_condition_sees_input_loop_output_and_latest_body_outputs() -> None:
    body = [simple("fetch")]
    wt = loop(
        "lp", body, "$.fetch.more && $.lp.iteration < $.limit", inputParameters={"limit": "${workflow.input.limit}"}
    )
    state = make_state([wt], input={"limit": 5})
    env = make_env()
    decide(state, env, T0)
    step(state, env, "fetch__1", {"more": True})
    step(state, env, "fetch__2", {"more": False})
    lp = rec(state, "lp")
    assert lp["status"] == st.COMPLETED and lp["iteration"] == 2
    assert state.workflow["status"] == st.COMPLETED


@pytest.mark.parametrize(
    ("result", "again"),
    [("1", True), ("0", False), ("-2", False), ("'true'", False), ("true", True), ("null", False), ("0.5", True)],
)
def test_truthy_rules(result: str, again: bool) -> None:
    state = make_state([loop("lp", [simple("x")], f"$.lp.iteration < 2 ? {result} : false")])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "x__1")
    assert (refs(state)[-1] == "x__2") is again
    assert (rec(state, "lp")["status"] == st.COMPLETED) is not again


def test_condition_script_error_is_a_terminal_failure() -> None:
    state = make_state([loop("lp", [simple("x")], "$.nothing.here > 1")])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "x__1")
    lp = rec(state, "lp")
    assert lp["status"] == st.FAILED_WITH_TERMINAL_ERROR and "TypeError" in lp["reasonForIncompletion"]
    assert state.workflow["status"] == st.FAILED


def test_missing_js_evaluator_is_a_terminal_failure() -> None:
    state = make_state([loop("lp", [simple("x")], "true")])
    env = make_env(js=False)
    decide(state, env, T0)
    step(state, env, "x__1")
    assert rec(state, "lp")["status"] == st.FAILED_WITH_TERMINAL_ERROR


def test_body_failure_fails_workflow_and_cancels_the_loop() -> None:
    env = make_env({"x": {"retryCount": 0}})
    state = make_state([loop("lp", [simple("x")], "true")])
    decide(state, env, T0)
    step(state, env, "x__1", status=st.FAILED, reason="bad")
    assert state.workflow["status"] == st.FAILED and rec(state, "lp")["status"] == st.CANCELED


def test_permissive_body_failure_fails_the_loop() -> None:
    env = make_env({"x": {"retryCount": 0}})
    state = make_state([loop("lp", [simple("x", permissive=True), simple("y")], "true")])
    decide(state, env, T0)
    step(state, env, "x__1", status=st.FAILED, reason="perm")
    assert refs(state)[-1] == "y__1"
    step(state, env, "y__1")
    lp = rec(state, "lp")
    assert lp["status"] == st.FAILED and lp["reasonForIncompletion"] == "perm"
    assert state.workflow["status"] == st.FAILED


def test_optional_body_failure_keeps_looping() -> None:
    env = make_env({"x": {"retryCount": 0}})
    state = make_state([loop("lp", [simple("x", optional=True)], "$.lp.iteration < 2")])
    decide(state, env, T0)
    step(state, env, "x__1", status=st.FAILED, reason="meh")
    assert rec(state, "x__1")["status"] == st.COMPLETED_WITH_ERRORS and refs(state)[-1] == "x__2"


def test_body_task_retry_keeps_the_iteration_suffix() -> None:
    env = make_env({"x": {"retryCount": 1, "retryDelaySeconds": 0}})
    state = make_state([loop("lp", [simple("x")], "$.lp.iteration < 2")])
    decide(state, env, T0)
    step(state, env, "x__1", status=st.FAILED)
    assert refs(state) == ["lp", "x__1", "x__1"] and rec(state, "lp")["iteration"] == 1
    step(state, env, "x__1", {"ok": 1})
    assert refs(state)[-1] == "x__2" and rec(state, "lp")["outputData"]["1"] == {"x": {"ok": 1}}


def test_items_iterate_with_loop_index_and_item() -> None:
    body = [simple("x", inputParameters={"item": "${lp.output.loopItem}", "idx": "${lp.output.loopIndex}"})]
    state = make_state([loop("lp", body, items="${workflow.input.list}"), simple("post")], input={"list": ["p", "q"]})
    env = make_env()
    decide(state, env, T0)
    assert rec(state, "x__1")["inputData"] == {"item": "p", "idx": 0}
    step(state, env, "x__1")
    assert rec(state, "x__2")["inputData"] == {"item": "q", "idx": 1}
    step(state, env, "x__2", {"done": 1})
    lp = rec(state, "lp")
    assert lp["status"] == st.COMPLETED and lp["outputData"]["iteration"] == 2 and refs(state)[-1] == "post"


def test_items_with_a_condition_stop_when_the_condition_is_false() -> None:
    state = make_state([loop("lp", [simple("x")], "$.lp.iteration < 2", items=[1, 2, 3, 4])])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "x__1")
    step(state, env, "x__2")
    assert rec(state, "lp")["status"] == st.COMPLETED and rec(state, "lp")["iteration"] == 2


def test_items_from_input_and_empty_list_completes_at_once() -> None:
    wt = loop("lp", [simple("x")], inputParameters={"_items": "${workflow.input.list}"})
    state = make_state([wt, simple("post")], input={"list": []})
    decide(state, make_env(), T0)
    lp = rec(state, "lp")
    assert lp["status"] == st.COMPLETED and lp["iteration"] == 0 and lp["outputData"]["iteration"] == 0
    assert refs(state) == ["lp", "post"]


def test_items_that_are_not_a_list_fail_terminally() -> None:
    state = make_state([loop("lp", [simple("x")], items="${workflow.input.nope}")])
    decide(state, make_env(), T0)
    assert rec(state, "lp")["status"] == st.FAILED_WITH_TERMINAL_ERROR and state.workflow["status"] == st.FAILED


def test_keep_last_n_deletes_old_iterations() -> None:
    wt = loop("lp", [simple("x"), simple("y")], "$.lp.iteration < 4", inputParameters={"keepLastN": 2})
    state = make_state([wt])
    env = make_env()
    decide(state, env, T0)
    deleted: list[str] = []
    for i in range(1, 5):
        step(state, env, f"x__{i}")
        out = step(state, env, f"y__{i}")
        deleted += out.deleted_task_ids
    lp = rec(state, "lp")
    assert lp["status"] == st.COMPLETED
    assert sorted(k for k in lp["outputData"] if k != "iteration") == ["3", "4"]
    assert refs(state) == ["lp", "x__3", "y__3", "x__4", "y__4"]
    assert len(deleted) == 4 and len(set(deleted)) == 4
    assert state.workflow["status"] == st.COMPLETED


def fork_in_loop() -> dict[str, Any]:
    fork = {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[simple("p")], [simple("q")]]}
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["p", "q"]}
    return loop("lp", [fork, join, simple("z")], "$.lp.iteration < 2")


def test_loop_containing_a_fork_joins_each_iteration() -> None:
    state = make_state([fork_in_loop(), simple("post")])
    env = make_env()
    decide(state, env, T0)
    assert [r for _, r, _ in seqs(state)] == ["lp", "f__1", "p__1", "q__1", "j__1"]
    step(state, env, "p__1", {"p": 1})
    assert rec(state, "j__1")["status"] == st.IN_PROGRESS
    step(state, env, "q__1", {"q": 1})
    j1 = rec(state, "j__1")
    assert j1["status"] == st.COMPLETED and j1["outputData"] == {"p__1": {"p": 1}, "q__1": {"q": 1}}
    assert j1["inputData"] == {"joinOn": ["p", "q"]}
    step(state, env, "z__1")
    assert refs(state)[-5:] == ["z__1", "f__2", "p__2", "q__2", "j__2"]
    assert rec(state, "lp")["outputData"]["1"]["j"] == {"p__1": {"p": 1}, "q__1": {"q": 1}}
    step(state, env, "p__2")
    step(state, env, "q__2")
    step(state, env, "z__2")
    assert rec(state, "lp")["status"] == st.COMPLETED and refs(state)[-1] == "post"


def test_loop_containing_a_switch_takes_a_case_per_iteration() -> None:
    sw = {
        "name": "sw",
        "taskReferenceName": "sw",
        "type": "SWITCH",
        "evaluatorType": "javascript",
        "expression": "$.i % 2 == 1 ? 'odd' : 'even'",
        "inputParameters": {"i": "${lp.iteration}"},
        "decisionCases": {"odd": [simple("o")], "even": [simple("e")]},
    }
    state = make_state([loop("lp", [sw, simple("tail")], "$.lp.iteration < 3")])
    env = make_env()
    decide(state, env, T0)
    assert refs(state) == ["lp", "sw__1", "o__1"]
    step(state, env, "o__1")
    step(state, env, "tail__1")
    assert refs(state)[-2:] == ["sw__2", "e__2"]
    step(state, env, "e__2", {"even": True})
    step(state, env, "tail__2")
    assert rec(state, "lp")["outputData"]["2"] == {
        "sw": {"evaluationResult": ["even"], "selectedCase": "even"},
        "e": {"even": True},
        "tail": {},
    }
    step(state, env, "o__3")
    step(state, env, "tail__3")
    assert rec(state, "lp")["status"] == st.COMPLETED and state.workflow["status"] == st.COMPLETED


def test_loop_ending_with_a_switch_that_took_no_branch() -> None:
    sw = {
        "name": "sw",
        "taskReferenceName": "sw",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "k",
        "inputParameters": {"k": "none"},
        "decisionCases": {"a": [simple("a")]},
    }
    state = make_state([loop("lp", [simple("x"), sw], "$.lp.iteration < 2")])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "x__1")
    assert refs(state) == ["lp", "x__1", "sw__1", "x__2"]


def test_nested_loops_suffix_every_level() -> None:
    inner = loop(
        "inner",
        [simple("x", inputParameters={"o": "${outer.iteration}", "i": "${inner.iteration}"})],
        "$.inner.iteration < 2",
    )
    outer = loop("outer", [inner, simple("after")], "$.outer.iteration < 2")
    state = make_state([outer, simple("post")])
    env = make_env()
    decide(state, env, T0)
    assert refs(state) == ["outer", "inner__1", "x__1__1"]
    assert rec(state, "x__1__1")["inputData"] == {"o": 1, "i": 1} and rec(state, "x__1__1")["iteration"] == 1
    step(state, env, "x__1__1")
    assert refs(state)[-1] == "x__1__2" and rec(state, "inner__1")["iteration"] == 2
    assert rec(state, "x__1__2")["inputData"] == {"o": 1, "i": 2}
    step(state, env, "x__1__2", {"deep": 1})
    assert rec(state, "inner__1")["status"] == st.COMPLETED and refs(state)[-1] == "after__1"
    step(state, env, "after__1")
    assert refs(state)[-2:] == ["inner__2", "x__2__1"]
    assert rec(state, "outer")["outputData"]["1"]["inner"]["2"] == {"x": {"deep": 1}}
    step(state, env, "x__2__1")
    step(state, env, "x__2__2")
    step(state, env, "after__2")
    assert rec(state, "outer")["status"] == st.COMPLETED and refs(state)[-1] == "post"
    assert rec(state, "post")["referenceTaskName"] == "post"
    step(state, env, "post")
    assert state.workflow["status"] == st.COMPLETED


def test_dynamic_fork_inside_a_loop_gets_fresh_refs_per_iteration() -> None:
    df = {
        "name": "df",
        "taskReferenceName": "df",
        "type": "FORK_JOIN_DYNAMIC",
        "inputParameters": {"forkTaskName": "w", "forkTaskInputs": [1, 2]},
    }
    dj = {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"}
    state = make_state([loop("lp", [df, dj], "$.lp.iteration < 2")])
    env = make_env()
    decide(state, env, T0)
    assert refs(state) == ["lp", "df__1", "_w_0__1", "_w_1__1", "dj__1"]
    assert rec(state, "dj__1")["inputData"] == {"joinOn": ["_w_0", "_w_1"]}
    step(state, env, "_w_0__1", {"r": 0})
    step(state, env, "_w_1__1", {"r": 1})
    assert rec(state, "dj__1")["outputData"] == {"_w_0__1": {"r": 0}, "_w_1__1": {"r": 1}}
    assert refs(state)[-4:] == ["df__2", "_w_0__2", "_w_1__2", "dj__2"]
    step(state, env, "_w_0__2")
    assert pending(state) == ["lp", "_w_1__2", "dj__2"]
    step(state, env, "_w_1__2")
    assert state.workflow["status"] == st.COMPLETED


def test_loop_inside_a_fork_branch() -> None:
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [[loop("lp", [simple("x")], "$.lp.iteration < 2")], [simple("b")]],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["lp", "b"]}
    state = make_state([fork, join])
    env = make_env()
    decide(state, env, T0)
    assert refs(state) == ["f", "lp", "x__1", "b", "j"]
    step(state, env, "b")
    step(state, env, "x__1")
    assert rec(state, "j")["status"] == st.IN_PROGRESS
    step(state, env, "x__2")
    assert rec(state, "j")["status"] == st.COMPLETED and state.workflow["status"] == st.COMPLETED


def test_reference_to_a_body_task_after_the_loop_is_the_latest_iteration() -> None:
    wt = loop("lp", [simple("x")], "$.lp.iteration < 2")
    state = make_state([wt, simple("post", inputParameters={"last": "${x.output.v}"})])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "x__1", {"v": 1})
    step(state, env, "x__2", {"v": 2})
    assert rec(state, "post")["inputData"] == {"last": 2}
