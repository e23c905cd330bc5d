"""Registration validation of TaskDefs, WorkflowDefs and EventHandlers (docs/reference.md; Conductor's
event handlers)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podium.domain.errors import FieldError
from podium.domain.validation import (
    expression_roots,
    validate_event_handler,
    validate_task_def,
    validate_workflow_def,
)

JSON = dict[str, Any]


def simple(ref: str, **extra: Any) -> JSON:
    return {"name": f"task_{ref}", "taskReferenceName": ref, "type": "SIMPLE", **extra}


def typed(type_: str, ref: str, **extra: Any) -> JSON:
    return {"name": ref, "taskReferenceName": ref, "type": type_, **extra}


def wf(*tasks: Any, **extra: Any) -> JSON:
    return {"name": "order_flow", "version": 1, "tasks": list(tasks), **extra}


def join_(ref: str, *on: str) -> JSON:
    return typed("JOIN", ref, joinOn=list(on))


def fork(ref: str, *branches: list[JSON]) -> JSON:
    return typed("FORK_JOIN", ref, forkTasks=list(branches))


def switch(ref: str, **extra: Any) -> JSON:
    base: JSON = {
        "evaluatorType": "value-param",
        "expression": "kind",
        "inputParameters": {"kind": "${workflow.input.kind}"},
        "decisionCases": {"a": [simple(f"{ref}_a")]},
        "defaultCase": [],
    }
    return typed("SWITCH", ref, **{**base, **extra})


def js_check(source: str) -> str | None:
    """A stand-in for the JavaScript syntax checker: rejects unbalanced parentheses."""
    return None if source.count("(") == source.count(")") else "SyntaxError: missing )"


def assert_single(errors: list[FieldError], path: str, *needles: str) -> FieldError:
    assert [e.path for e in errors] == [path], errors
    for needle in needles:
        assert needle in errors[0].message, errors[0].message
    return errors[0]


# ---------------------------------------------------------------------------------------------
# Workflow definitions that must be rejected: (id, definition, path, text the message must hold)

BAD_TASKS: list[tuple[str, JSON, str, str]] = [
    ("task not an object", wf(simple("a"), "oops"), "tasks[1]", "tasks[1]"),
    ("missing name", wf({"taskReferenceName": "a"}), "tasks[0].name", "'a'"),
    ("blank ref", wf({"name": "x", "taskReferenceName": " "}), "tasks[0].taskReferenceName", "'x'"),
    ("type not a string", wf(simple("a", type=3)), "tasks[0].type", "'a'"),
    ("inputParameters not a map", wf(simple("a", inputParameters=[1])), "tasks[0].inputParameters", "'a'"),
    ("optional not a bool", wf(simple("a", optional="yes")), "tasks[0].optional", "'a'"),
    ("negative startDelay", wf(simple("a", startDelay=-1)), "tasks[0].startDelay", "'a'"),
    ("retryCount not int", wf(simple("a", retryCount="x")), "tasks[0].retryCount", "'a'"),
    ("negative retryCount", wf(simple("a", retryCount=-2)), "tasks[0].retryCount", "'a'"),
    (
        "inline taskDefinition",
        wf(simple("a", taskDefinition={"retryCount": -1})),
        "tasks[0].taskDefinition.retryCount",
        "'task_a'",
    ),
    (
        "duplicate ref in fork branch",
        wf(fork("f", [simple("a")], [simple("a")]), join_("j")),
        "tasks[0].forkTasks[1][0].taskReferenceName",
        "'a'",
    ),
    (
        "duplicate ref in defaultCase",
        wf(simple("x"), switch("s", defaultCase=[simple("x")])),
        "tasks[1].defaultCase[0].taskReferenceName",
        "'x'",
    ),
    (
        "duplicate ref in nested loop",
        wf(typed("DO_WHILE", "loop", loopCondition="false", loopOver=[switch("loop")])),
        "tasks[0].loopOver[0].taskReferenceName",
        "'loop'",
    ),
    ("EVENT without sink", wf(typed("EVENT", "ev")), "tasks[0].sink", "EVENT task 'ev'"),
    (
        "SWITCH without evaluatorType",
        wf(switch("route", evaluatorType=None)),
        "tasks[0].evaluatorType",
        "SWITCH task 'route'",
    ),
    (
        "SWITCH unknown evaluator",
        wf(switch("route", evaluatorType="lua")),
        "tasks[0].evaluatorType",
        "'route'",
    ),
    (
        "SWITCH blank expression",
        wf(switch("route", expression="")),
        "tasks[0].expression",
        "SWITCH task 'route' requires a non-empty 'expression'",
    ),
    ("SWITCH no cases", wf(switch("route", decisionCases={})), "tasks[0].decisionCases", "'route'"),
    ("SWITCH cases missing", wf(switch("route", decisionCases=None)), "tasks[0].decisionCases", "'route'"),
    ("SWITCH cases a list", wf(switch("route", decisionCases=[])), "tasks[0].decisionCases", "'route'"),
    (
        "SWITCH case not a list",
        wf(switch("route", decisionCases={"x": {}})),
        "tasks[0].decisionCases.x",
        "'x'",
    ),
    ("SWITCH defaultCase a map", wf(switch("route", defaultCase={})), "tasks[0].defaultCase", "'route'"),
    (
        "SWITCH JS syntax",
        wf(switch("route", evaluatorType="graaljs", expression="($.a > 1 ? 'a' : 'b'")),
        "tasks[0].expression",
        "SWITCH task 'route' has an invalid JavaScript expression: SyntaxError",
    ),
    (
        "DECISION without param",
        wf(typed("DECISION", "d", decisionCases={"a": [simple("a")]})),
        "tasks[0].caseValueParam",
        "DECISION task 'd'",
    ),
    (
        "DECISION without cases",
        wf(typed("DECISION", "d", caseValueParam="k")),
        "tasks[0].decisionCases",
        "DECISION task 'd'",
    ),
    ("DYNAMIC without param", wf(typed("DYNAMIC", "dyn")), "tasks[0].dynamicTaskNameParam", "'dyn'"),
    (
        "FORK_JOIN_DYNAMIC no style",
        wf(typed("FORK_JOIN_DYNAMIC", "fd"), join_("j")),
        "tasks[0]",
        "FORK_JOIN_DYNAMIC task 'fd' requires",
    ),
    (
        "FORK_JOIN_DYNAMIC half of style 1",
        wf(typed("FORK_JOIN_DYNAMIC", "fd", dynamicForkTasksParam="t"), join_("j")),
        "tasks[0].dynamicForkTasksInputParamName",
        "'fd'",
    ),
    (
        "FORK_JOIN_DYNAMIC two styles",
        wf(
            typed(
                "FORK_JOIN_DYNAMIC",
                "fd",
                dynamicForkTasksParam="t",
                dynamicForkTasksInputParamName="i",
                dynamicForkJoinTasksParam="old",
            ),
            join_("j"),
        ),
        "tasks[0]",
        "'fd' mixes",
    ),
    (
        "FORK_JOIN_DYNAMIC simple form without inputs",
        wf(typed("FORK_JOIN_DYNAMIC", "fd", inputParameters={"forkTaskName": "x"}), join_("j")),
        "tasks[0].inputParameters",
        "'fd' requires 'forkTaskInputs'",
    ),
    (
        "FORK_JOIN_DYNAMIC not followed by JOIN",
        wf(typed("FORK_JOIN_DYNAMIC", "fd", dynamicForkJoinTasksParam="p"), simple("after")),
        "tasks[0]",
        "'fd' is not followed by a JOIN",
    ),
    (
        "HTTP without request",
        wf(typed("HTTP", "h", inputParameters={"x": 1})),
        "tasks[0].inputParameters",
        "'h'",
    ),
    ("FORK_JOIN empty", wf(fork("f"), join_("j")), "tasks[0].forkTasks", "FORK_JOIN task 'f'"),
    ("FORK_JOIN missing forkTasks", wf(typed("FORK_JOIN", "f"), join_("j")), "tasks[0].forkTasks", "'f'"),
    ("FORK_JOIN empty branch", wf(fork("f", [simple("a")], []), join_("j")), "tasks[0].forkTasks[1]", "'f'"),
    (
        "FORK_JOIN followed by SIMPLE",
        wf(fork("f", [simple("a")]), simple("b")),
        "tasks[0]",
        "Fork task definition is not followed by a join task",
    ),
    ("FORK_JOIN last", wf(simple("b"), fork("f", [simple("a")])), "tasks[1]", "'f' is not followed"),
    (
        "FORK_JOIN nested without JOIN",
        wf(switch("s", decisionCases={"x": [fork("inner", [simple("a")])]})),
        "tasks[0].decisionCases.x[0]",
        "FORK_JOIN task 'inner'",
    ),
    (
        "JOIN on unknown ref",
        wf(fork("f", [simple("a")], [simple("b")]), join_("j", "a", "nope")),
        "tasks[1].joinOn[1]",
        "JOIN task 'j': 'joinOn' names 'nope'",
    ),
    ("JOIN joinOn not strings", wf(join_("j", 5)), "tasks[0].joinOn", "JOIN task 'j'"),  # type: ignore[arg-type]
    (
        "TERMINATE optional",
        wf(typed("TERMINATE", "t", optional=True, inputParameters={"terminationStatus": "FAILED"})),
        "tasks[0].optional",
        "TERMINATE task 't' must not be optional",
    ),
    (
        "TERMINATE without status",
        wf(typed("TERMINATE", "t")),
        "tasks[0].inputParameters.terminationStatus",
        "TERMINATE task 't'",
    ),
    (
        "TERMINATE bad status",
        wf(typed("TERMINATE", "t", inputParameters={"terminationStatus": "DONE"})),
        "tasks[0].inputParameters.terminationStatus",
        "'t'",
    ),
    (
        "KAFKA_PUBLISH without request",
        wf(typed("KAFKA_PUBLISH", "k")),
        "tasks[0].inputParameters.kafka_request",
        "KAFKA_PUBLISH task 'k'",
    ),
    (
        "DO_WHILE without condition",
        wf(typed("DO_WHILE", "loop", loopOver=[simple("a")])),
        "tasks[0].loopCondition",
        "DO_WHILE task 'loop'",
    ),
    (
        "DO_WHILE empty body",
        wf(typed("DO_WHILE", "loop", loopCondition="false", loopOver=[])),
        "tasks[0].loopOver",
        "'loop'",
    ),
    ("SUB_WORKFLOW without param", wf(typed("SUB_WORKFLOW", "sub")), "tasks[0].subWorkflowParam", "'sub'"),
    (
        "SUB_WORKFLOW without name",
        wf(typed("SUB_WORKFLOW", "sub", subWorkflowParam={"version": 2})),
        "tasks[0].subWorkflowParam.name",
        "SUB_WORKFLOW task 'sub'",
    ),
    (
        "SUB_WORKFLOW param a string",
        wf(typed("SUB_WORKFLOW", "sub", subWorkflowParam="child")),
        "tasks[0].subWorkflowParam",
        "'sub'",
    ),
    (
        "SUB_WORKFLOW inline def broken",
        wf(typed("SUB_WORKFLOW", "sub", subWorkflowParam={"workflowDefinition": wf(switch("c", expression=""))})),
        "tasks[0].subWorkflowParam.workflowDefinition.tasks[0].expression",
        "SWITCH task 'c'",
    ),
    (
        "JSON_JQ_TRANSFORM without query",
        wf(typed("JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": ""})),
        "tasks[0].inputParameters.queryExpression",
        "JSON_JQ_TRANSFORM task 'jq'",
    ),
    (
        "WAIT duration and until",
        wf(typed("WAIT", "w", inputParameters={"duration": "5s", "until": "2030-01-01"})),
        "tasks[0].inputParameters",
        "WAIT task 'w': both 'duration' and 'until'",
    ),
    (
        "WAIT bad duration",
        wf(typed("WAIT", "w", inputParameters={"duration": "5 weeks"})),
        "tasks[0].inputParameters.duration",
        "WAIT task 'w': invalid wait time",
    ),
    (
        "WAIT number duration",
        wf(typed("WAIT", "w", inputParameters={"duration": 30})),
        "tasks[0].inputParameters.duration",
        "'w'",
    ),
    (
        "WAIT bad until",
        wf(typed("WAIT", "w", inputParameters={"until": "2030-02-30"})),
        "tasks[0].inputParameters.until",
        "'w'",
    ),
    (
        "WAIT until a map",
        wf(typed("WAIT", "w", inputParameters={"until": {}})),
        "tasks[0].inputParameters.until",
        "'w'",
    ),
    (
        "INLINE without expression",
        wf(typed("INLINE", "calc", inputParameters={"evaluatorType": "javascript"})),
        "tasks[0].inputParameters.expression",
        "INLINE task 'calc'",
    ),
    (
        "INLINE unknown evaluator",
        wf(typed("INLINE", "calc", inputParameters={"evaluatorType": "ruby", "expression": "1"})),
        "tasks[0].inputParameters.evaluatorType",
        "'calc'",
    ),
    (
        "unknown ${} root",
        wf(simple("a", inputParameters={"x": {"y": ["${nosuch.output.v}"]}})),
        "tasks[0].inputParameters.x.y[0]",
        "SIMPLE task 'a': input expression '${nosuch.output.v}' refers to 'nosuch'",
    ),
    (
        "unknown root among text",
        wf(simple("a"), simple("b", inputParameters={"x": "id=${a.output.id}/${wf.input.k}"})),
        "tasks[1].inputParameters.x",
        "refers to 'wf'",
    ),
    (
        "nested ${} with unknown outer root",
        wf(simple("a", inputParameters={"x": "${missing.${workflow.input.k}}"})),
        "tasks[0].inputParameters.x",
        "'missing'",
    ),
    (
        "deep path",
        wf(
            typed("DO_WHILE", "loop", loopCondition="false", loopOver=[simple("x")]),
            fork("f", [simple("a")], [simple("b"), {"name": "c", "taskReferenceName": ""}]),
            join_("j", "a", "b"),
        ),
        "tasks[1].forkTasks[1][1].taskReferenceName",
        "SIMPLE task named 'c'",
    ),
]


@pytest.mark.parametrize(("definition", "path", "needle"), [c[1:] for c in BAD_TASKS], ids=[c[0] for c in BAD_TASKS])
def test_bad_workflow_task_is_reported(definition: JSON, path: str, needle: str) -> None:
    assert_single(validate_workflow_def(definition, js_syntax_check=js_check), path, needle)


BAD_WORKFLOWS: list[tuple[str, Any, str, str]] = [
    ("not an object", [simple("a")], "", "must be an object"),
    ("missing name", {"tasks": [simple("a")]}, "name", "name cannot be null or empty"),
    ("name with a dot", wf(simple("a"), name="orders.v2"), "name", "'orders.v2'"),
    ("tasks missing", {"name": "w"}, "tasks", "Workflow 'w'"),
    ("tasks empty", wf(), "tasks", "non-empty"),
    ("tasks an object", {"name": "w", "tasks": {}}, "tasks", "must be a list"),
    ("schemaVersion 1", wf(simple("a"), schemaVersion=1), "schemaVersion", "must be 2"),
    ("schemaVersion text", wf(simple("a"), schemaVersion="2"), "schemaVersion", "must be 2"),
    ("negative version", wf(simple("a"), version=-1), "version", ">= 0"),
    ("version text", wf(simple("a"), version="3"), "version", "integer"),
    (
        "task timeout policy",
        wf(simple("a"), timeoutPolicy="RETRY"),
        "timeoutPolicy",
        "TIME_OUT_WF, ALERT_ONLY",
    ),
    ("negative timeout", wf(simple("a"), timeoutSeconds=-5), "timeoutSeconds", ">= 0"),
    ("outputParameters a list", wf(simple("a"), outputParameters=[]), "outputParameters", "object"),
    ("inputParameters a map", wf(simple("a"), inputParameters={}), "inputParameters", "list"),
    ("restartable text", wf(simple("a"), restartable="yes"), "restartable", "boolean"),
]


@pytest.mark.parametrize(
    ("definition", "path", "needle"), [c[1:] for c in BAD_WORKFLOWS], ids=[c[0] for c in BAD_WORKFLOWS]
)
def test_bad_workflow_field_is_reported(definition: Any, path: str, needle: str) -> None:
    assert_single(validate_workflow_def(definition), path, needle)


def test_every_error_is_reported_not_just_the_first() -> None:
    errors = validate_workflow_def({"tasks": [switch("s", expression=""), typed("EVENT", "s"), 7], "schemaVersion": 1})
    assert [e.path for e in errors] == [
        "name",
        "schemaVersion",
        "tasks[0].expression",
        "tasks[1].taskReferenceName",
        "tasks[1].sink",
        "tasks[2]",
    ]
    assert errors[3].invalid_value == "s" and "first at tasks[0]" in errors[3].message


def test_name_check_can_be_disabled() -> None:
    assert validate_workflow_def(wf(simple("a"), name="orders.v2"), check_names=False) == []


def test_js_expressions_are_checked_only_for_js_evaluators() -> None:
    calls: list[str] = []

    def check(source: str) -> str | None:
        calls.append(source)
        return None

    validate_workflow_def(
        wf(switch("a"), switch("b", evaluatorType="javascript", expression="$.x")), js_syntax_check=check
    )
    assert calls == ["$.x"]
    # Without a checker a malformed script is left for run time.
    assert validate_workflow_def(wf(switch("r", evaluatorType="graaljs", expression="(("))) == []


def test_trailing_fork_may_be_left_to_fail_at_run_time() -> None:
    d = wf(simple("a"), fork("f", [simple("b")], [simple("c")]))
    assert [e.path for e in validate_workflow_def(d)] == ["tasks[1]"]
    assert validate_workflow_def(d, require_join_after_fork=False) == []


def test_http_inputs_may_come_from_task_definitions() -> None:
    http = typed("HTTP", "h", name="call_api")
    assert [e.path for e in validate_workflow_def(wf(http))] == ["tasks[0].inputParameters"]
    registered = {"call_api": {"name": "call_api", "inputTemplate": {"http_request": {"uri": "http://x"}}}}
    assert validate_workflow_def(wf(http), task_defs=registered) == []
    inline = {**http, "taskDefinition": {"name": "call_api", "inputTemplate": {"uri": "http://x"}}}
    assert validate_workflow_def(wf(inline)) == []
    assert validate_workflow_def(wf(typed("HTTP", "h2", inputParameters={"uri": "http://x", "method": "GET"}))) == []


# ---------------------------------------------------------------------------------------------
# Definitions that must be accepted

GOOD_WORKFLOWS: list[tuple[str, JSON]] = [
    ("minimal", {"name": "w", "tasks": [simple("a")]}),
    ("version 0 and nulls", wf(simple("a", optional=None), version=0, schemaVersion=None, description=None)),
    ("unknown type is a worker task", wf(typed("MY_CUSTOM", "c"), typed("HTTP_POLL", "p"))),
    (
        "expressions that resolve",
        wf(
            simple("a", inputParameters={"x": "${workflow.input.x}", "id": "${CPEWF_TASK_ID}"}),
            simple(
                "b",
                inputParameters={
                    "later": "${c.output.v}",
                    "self": "${b.input.y}",
                    "nested": "${workflow.input.${a.output.key}}",
                    "computed": "${${workflow.input.ref}.output}",
                    "escaped": "$${not_a_ref.output}",
                    "blank": "${}",
                    "bracket": "${a['output']}",
                    "env": ["${NETFLIX_ENV}", "${NETFLIX_STACK}", "${workflow.secrets.key}"],
                    "in_loop": "${inner.output.v}",
                },
            ),
            simple("c"),
            typed("DO_WHILE", "loop", loopCondition="$.loop.iteration < 2", loopOver=[simple("inner")]),
        ),
    ),
    (
        "nested tasks are not checked for refs",
        wf(switch("s", decisionCases={"a": [simple("n", inputParameters={"x": "${unknown.output}"})]})),
    ),
    (
        "join after dynamic fork with runtime refs",
        wf(
            typed("FORK_JOIN_DYNAMIC", "fd", dynamicForkTasksParam="tasks", dynamicForkTasksInputParamName="in"),
            join_("j", "_worker_0", "_worker_1"),
        ),
    ),
    (
        "dynamic fork simple form",
        wf(
            typed(
                "FORK_JOIN_DYNAMIC",
                "fd",
                inputParameters={"forkTaskWorkflow": "child", "forkTaskInputs": [1]},
            ),
            join_("j"),
        ),
    ),
    (
        "deprecated dynamic fork",
        wf(typed("FORK_JOIN_DYNAMIC", "fd", dynamicForkJoinTasksParam="p"), join_("j")),
    ),
    (
        "DO_WHILE over items",
        wf(typed("DO_WHILE", "each", inputParameters={"items": [1, 2]}, loopOver=[simple("x")])),
    ),
    (
        "WAIT variants",
        wf(
            typed("WAIT", "w1", inputParameters={"duration": "${workflow.input.d}"}),
            typed("WAIT", "w2", inputParameters={"until": "2030-01-01 10:00 America/New_York"}),
            typed("WAIT", "w3", inputParameters={"duration": "1h 30m", "until": ""}),
            typed("WAIT", "w4"),
        ),
    ),
    (
        "TERMINATE with an expression",
        wf(typed("TERMINATE", "t", inputParameters={"terminationStatus": "${workflow.input.status}"})),
    ),
    (
        "DECISION legacy",
        wf(typed("DECISION", "d", caseExpression="$.x ? 'a' : 'b'", decisionCases={"a": []}, defaultCase=[])),
    ),
    (
        "EXCLUSIVE_JOIN",
        wf(
            switch("s", decisionCases={"a": [simple("a")], "b": [simple("b")]}),
            typed("EXCLUSIVE_JOIN", "x", joinOn=["a", "b"], defaultExclusiveJoinTask=["a"]),
        ),
    ),
    (
        "inline sub-workflow named by its param",
        wf(
            typed(
                "SUB_WORKFLOW",
                "sub",
                subWorkflowParam={"name": "child", "workflowDefinition": {"tasks": [simple("a")]}},
            )
        ),
    ),
    (
        "sub-workflow definition expression",
        wf(typed("SUB_WORKFLOW", "sub", subWorkflowParam={"workflowDefinition": "${workflow.input.def}"})),
    ),
    ("integral float numbers", wf(simple("a", startDelay=5.0), timeoutSeconds=60.0)),
]

# What @io-orkes/conductor-javascript's workflow builders emit: no schemaVersion, no ownerEmail.
JS_SDK_WORKFLOW: JSON = {
    "name": "js_sdk_flow",
    "version": 1,
    "inputParameters": [],
    "timeoutSeconds": 0,
    "tasks": [
        {
            "name": "get_user",
            "taskReferenceName": "get_user_ref",
            "inputParameters": {"id": "${workflow.input.id}"},
            "type": "SIMPLE",
        },
        {
            "name": "route",
            "taskReferenceName": "route",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "switchCaseValue",
            "inputParameters": {"switchCaseValue": "${get_user_ref.output.tier}"},
            "decisionCases": {
                "gold": [{"name": "perk", "taskReferenceName": "perk_ref", "inputParameters": {}, "type": "SIMPLE"}]
            },
            "defaultCase": [],
        },
        {
            "name": "one_branch",
            "taskReferenceName": "one_branch",
            "type": "FORK_JOIN",
            "forkTasks": [
                [
                    {
                        "name": "notify",
                        "taskReferenceName": "notify_ref",
                        "inputParameters": {},
                        "type": "SIMPLE",
                    }
                ]
            ],
        },
        {
            "name": "one_branch_join_ref",
            "taskReferenceName": "one_branch_join_ref",
            "type": "JOIN",
            "joinOn": [],
        },
        {
            "name": "__fork_1",
            "taskReferenceName": "__fork_1",
            "type": "FORK_JOIN",
            "inputParameters": {},
            "forkTasks": [
                [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
                [{"name": "b", "taskReferenceName": "b", "type": "SIMPLE"}],
            ],
        },
        {"name": "__join_1", "taskReferenceName": "__join_1", "type": "JOIN", "joinOn": ["a", "b"]},
        {
            "name": "loop",
            "taskReferenceName": "loop",
            "type": "DO_WHILE",
            "inputParameters": {},
            "loopCondition": "if ( $.loop['iteration'] < 3) { true; } else { false; }",
            "loopOver": [{"name": "step", "taskReferenceName": "step", "type": "SIMPLE"}],
        },
        {
            "name": "calc",
            "taskReferenceName": "calc",
            "type": "INLINE",
            "inputParameters": {
                "evaluatorType": "graaljs",
                "expression": "(function(){ return $.a + 1; })();",
                "a": "${workflow.input.a}",
            },
        },
        {
            "name": "jq",
            "taskReferenceName": "jq",
            "type": "JSON_JQ_TRANSFORM",
            "inputParameters": {"queryExpression": ".a | length", "a": "${calc.output.result}"},
        },
        {
            "name": "call",
            "taskReferenceName": "call",
            "type": "HTTP",
            "inputParameters": {"http_request": {"uri": "https://example.com", "method": "GET"}},
        },
        {"name": "vars", "taskReferenceName": "vars", "type": "SET_VARIABLE", "inputParameters": {"n": 1}},
        {
            "name": "nap",
            "taskReferenceName": "nap",
            "type": "WAIT",
            "inputParameters": {"duration": "10 seconds"},
        },
        {
            "name": "nap_until",
            "taskReferenceName": "nap_until",
            "type": "WAIT",
            "inputParameters": {"until": "2030-12-25 05:25 PST"},
        },
        {"name": "ev", "taskReferenceName": "ev", "type": "EVENT", "sink": "conductor"},
        {
            "name": "child",
            "taskReferenceName": "child",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "child_flow", "version": 1},
        },
        {
            "name": "fan",
            "taskReferenceName": "fan",
            "type": "FORK_JOIN_DYNAMIC",
            "inputParameters": {
                "dynamicTasks": "${workflow.input.tasks}",
                "dynamicTasksInput": "${workflow.input.inputs}",
            },
            "dynamicForkTasksParam": "dynamicTasks",
            "dynamicForkTasksInputParamName": "dynamicTasksInput",
        },
        {"name": "fan_join", "taskReferenceName": "fan_join", "type": "JOIN"},
        {
            "name": "start",
            "taskReferenceName": "start",
            "type": "START_WORKFLOW",
            "inputParameters": {"startWorkflow": {"name": "other", "input": {}}},
        },
        {"name": "human", "taskReferenceName": "human", "type": "HUMAN", "inputParameters": {}},
        {
            "name": "end",
            "taskReferenceName": "end",
            "type": "TERMINATE",
            "inputParameters": {
                "terminationStatus": "COMPLETED",
                "workflowOutput": {"r": "${jq.output.result}"},
            },
        },
    ],
}

# ConductorWorkflow (JS) defaults: timeoutSeconds 60, failureWorkflow "", restartable, empty maps.
JS_CONDUCTOR_WORKFLOW: JSON = {
    **JS_SDK_WORKFLOW,
    "name": "js_builder_flow",
    "description": "built with ConductorWorkflow",
    "timeoutSeconds": 60,
    "timeoutPolicy": "ALERT_ONLY",
    "failureWorkflow": "",
    "restartable": True,
    "inputTemplate": {},
    "variables": {},
    "outputParameters": {"result": "${end.output}"},
    "workflowStatusListenerEnabled": False,
}


@pytest.mark.parametrize(
    "definition",
    [d for _, d in GOOD_WORKFLOWS] + [JS_SDK_WORKFLOW, JS_CONDUCTOR_WORKFLOW],
    ids=[i for i, _ in GOOD_WORKFLOWS] + ["js sdk workflow()", "js ConductorWorkflow"],
)
def test_good_workflow_has_no_errors(definition: JSON) -> None:
    assert validate_workflow_def(definition, js_syntax_check=js_check) == []


def test_python_sdk_emitted_definitions_validate() -> None:
    cw = pytest.importorskip("conductor.client.workflow.conductor_workflow")
    from conductor.client.http.api_client import ApiClient
    from conductor.client.http.models.task_def import TaskDef
    from conductor.client.workflow.task.do_while_task import ForEachTask, LoopTask
    from conductor.client.workflow.task.dynamic_fork_task import DynamicForkTask
    from conductor.client.workflow.task.dynamic_task import DynamicTask
    from conductor.client.workflow.task.event_task import ConductorEventTask, SqsEventTask
    from conductor.client.workflow.task.http_task import HttpTask
    from conductor.client.workflow.task.human_task import HumanTask
    from conductor.client.workflow.task.javascript_task import JavascriptTask
    from conductor.client.workflow.task.join_task import JoinTask
    from conductor.client.workflow.task.json_jq_task import JsonJQTask
    from conductor.client.workflow.task.kafka_publish import KafkaPublishTask
    from conductor.client.workflow.task.kafka_publish_input import KafkaPublishInput
    from conductor.client.workflow.task.set_variable_task import SetVariableTask
    from conductor.client.workflow.task.simple_task import SimpleTask
    from conductor.client.workflow.task.sub_workflow_task import SubWorkflowTask
    from conductor.client.workflow.task.switch_task import SwitchTask
    from conductor.client.workflow.task.terminate_task import TerminateTask, WorkflowStatus
    from conductor.client.workflow.task.wait_task import WaitForDurationTask, WaitTask, WaitUntilTask

    flow = cw.ConductorWorkflow(executor=None, name="py_sdk_flow", version=1)
    flow >> SimpleTask("get_user", "user") >> [[SimpleTask("a", "a")], [SimpleTask("b", "b")]]
    flow >> SwitchTask("route", "${user.output.tier}").switch_case("gold", [SimpleTask("perk", "perk")])
    flow >> SwitchTask("js_route", "$.x > 1 ? 'big' : 'small'", use_javascript=True).switch_case(
        "big", [SimpleTask("big", "big")]
    ).default_case([SimpleTask("small", "small")])
    flow >> LoopTask("loop", 3, [SimpleTask("step", "step")])
    flow >> ForEachTask("each", [SimpleTask("item", "item")], "${workflow.input.items}")
    flow >> WaitTask("w1", wait_for_seconds=10) >> WaitForDurationTask("w2", 30)
    flow >> WaitUntilTask("w3", "2030-12-25 05:25 PST") >> WaitTask("w4", wait_until="2030-12-25 05:25 PST")
    flow >> HttpTask("call", {"uri": "https://example.com", "method": "GET"})
    flow >> JsonJQTask("jq", ".a") >> JavascriptTask("js", "$.x + 1", {"x": "${jq.output.result}"})
    flow >> DynamicTask("${workflow.input.task_name}", "dyn") >> SetVariableTask("vars")
    flow >> ConductorEventTask("ev", "done") >> SqsEventTask("sqs", "orders")
    flow >> SubWorkflowTask("child", "child_flow", 1)
    flow >> DynamicForkTask("fan", join_task=JoinTask("fan_join"))
    flow >> JoinTask("scripted_join", join_on_script="true")  # emits evaluatorType "js"
    flow >> KafkaPublishTask("kafka", KafkaPublishInput(bootstrap_servers="k:9092", topic="t", value="v"))
    flow >> HumanTask("review")
    inline_child = cw.ConductorWorkflow(executor=None, name="inline_child")
    inline_child >> SimpleTask("step", "user")  # refs of an inline child are a namespace of their own
    flow >> inline_child
    flow >> TerminateTask("end", WorkflowStatus.COMPLETED, "done")
    api = ApiClient()
    definition = json.loads(json.dumps(api.sanitize_for_serialization(flow.to_workflow_def())))
    assert definition["timeoutSeconds"] == 60 and "ownerEmail" not in definition
    emitted = {t["type"] for t in definition["tasks"]}
    assert emitted >= {
        "FORK_JOIN", "JOIN", "SWITCH", "DO_WHILE", "WAIT", "HTTP", "JSON_JQ_TRANSFORM", "INLINE", "DYNAMIC",
        "SET_VARIABLE", "EVENT", "SUB_WORKFLOW", "FORK_JOIN_DYNAMIC", "KAFKA_PUBLISH", "HUMAN", "TERMINATE",
    }  # fmt: skip
    assert validate_workflow_def(definition) == []
    assert validate_task_def(api.sanitize_for_serialization(TaskDef(name="py_task"))) == []


# ---------------------------------------------------------------------------------------------
# ${...} roots


@pytest.mark.parametrize(
    ("text", "roots"),
    [
        ("plain", []),
        ("${a.output.x}", ["a"]),
        ("${ workflow.input.x }", ["workflow"]),
        ("${a['output']}", ["a"]),
        ("${a[0]}", ["a"]),
        ("${CPEWF_TASK_ID}", ["CPEWF_TASK_ID"]),
        ("x ${a.b} and ${c.d}", ["a", "c"]),
        ("${a.${b.c}}", ["a"]),
        ("${${b.c}.output}", []),
        ("$${a.b}", []),
        ("$${a.b} ${c.d}", ["c"]),
        ("${}", []),
        ("${unclosed", []),
        ("${a[?(@.k=='v')].x}", ["a"]),
    ],
)
def test_expression_roots(text: str, roots: list[str]) -> None:
    assert list(expression_roots(text)) == roots


# ---------------------------------------------------------------------------------------------
# TaskDefs

BAD_TASK_DEFS: list[tuple[str, Any, str, str]] = [
    ("not an object", ["x"], "", "must be an object"),
    ("missing name", {"retryCount": 1}, "name", "cannot be null or empty"),
    ("blank name", {"name": "  "}, "name", "cannot be null or empty"),
    (
        "negative retryCount",
        {"name": "t", "retryCount": -1},
        "retryCount",
        "TaskDef 't': 'retryCount' must be >= 0",
    ),
    ("retryCount text", {"name": "t", "retryCount": "x"}, "retryCount", "'t'"),
    ("retryCount bool", {"name": "t", "retryCount": True}, "retryCount", "integer"),
    ("fractional timeout", {"name": "t", "timeoutSeconds": 1.5}, "timeoutSeconds", "integer"),
    ("negative timeout", {"name": "t", "timeoutSeconds": -1}, "timeoutSeconds", "'t'"),
    (
        "response over timeout",
        {"name": "t", "timeoutSeconds": 60, "responseTimeoutSeconds": 120},
        "responseTimeoutSeconds",
        "responseTimeoutSeconds 120 must be <= timeoutSeconds 60",
    ),
    (
        "default response over timeout",
        {"name": "t", "timeoutSeconds": 60},
        "responseTimeoutSeconds",
        "3600 (the default) must be <= timeoutSeconds 60",
    ),
    (
        "timeout over total",
        {"name": "t", "timeoutSeconds": 600, "responseTimeoutSeconds": 60, "totalTimeoutSeconds": 300},
        "timeoutSeconds",
        "timeoutSeconds 600 must be <= totalTimeoutSeconds 300",
    ),
    ("negative total", {"name": "t", "totalTimeoutSeconds": -1}, "totalTimeoutSeconds", "'t'"),
    ("zero response timeout", {"name": "t", "responseTimeoutSeconds": 0}, "responseTimeoutSeconds", ">= 1"),
    (
        "timeoutPolicy",
        {"name": "t", "timeoutPolicy": "NEVER"},
        "timeoutPolicy",
        "RETRY, TIME_OUT_WF, ALERT_ONLY",
    ),
    ("retryLogic", {"name": "t", "retryLogic": "RANDOM"}, "retryLogic", "LINEAR_BACKOFF"),
    ("backoffScaleFactor", {"name": "t", "backoffScaleFactor": 0}, "backoffScaleFactor", ">= 1"),
    ("pollTimeout", {"name": "t", "pollTimeoutSeconds": -1}, "pollTimeoutSeconds", ">= 0"),
    ("rate limit", {"name": "t", "rateLimitPerFrequency": -1}, "rateLimitPerFrequency", ">= 0"),
    ("rate window", {"name": "t", "rateLimitFrequencyInSeconds": -1}, "rateLimitFrequencyInSeconds", ">= 0"),
    ("concurrency", {"name": "t", "concurrentExecLimit": -3}, "concurrentExecLimit", ">= 0"),
    ("inputKeys", {"name": "t", "inputKeys": "a,b"}, "inputKeys", "list"),
    ("outputKeys items", {"name": "t", "outputKeys": [1]}, "outputKeys", "list of strings"),
    ("inputTemplate", {"name": "t", "inputTemplate": []}, "inputTemplate", "object"),
    ("ownerEmail", {"name": "t", "ownerEmail": 5}, "ownerEmail", "string"),
]


@pytest.mark.parametrize(("td", "path", "needle"), [c[1:] for c in BAD_TASK_DEFS], ids=[c[0] for c in BAD_TASK_DEFS])
def test_bad_task_def_is_reported(td: Any, path: str, needle: str) -> None:
    assert_single(validate_task_def(td), path, needle)


JS_TASK_DEF: JSON = {
    "name": "js_task",
    "retryCount": 3,
    "retryDelaySeconds": 60,
    "retryLogic": "FIXED",
    "timeoutSeconds": 3600,
    "responseTimeoutSeconds": 600,
    "pollTimeoutSeconds": 3600,
    "timeoutPolicy": "TIME_OUT_WF",
    "concurrentExecLimit": 0,
    "rateLimitPerFrequency": 0,
    "rateLimitFrequencyInSeconds": 1,
    "backoffScaleFactor": 1,
    "ownerEmail": "",
    "ownerApp": "",
    "inputTemplate": {},
    "inputKeys": [],
    "outputKeys": [],
}


@pytest.mark.parametrize(
    "td",
    [
        {"name": "t"},
        {"name": "t", "retryCount": 0, "timeoutSeconds": 0, "responseTimeoutSeconds": 1},
        {"name": "t", "timeoutSeconds": 60, "responseTimeoutSeconds": 60, "totalTimeoutSeconds": 60},
        {"name": "t", "timeoutSeconds": 600, "responseTimeoutSeconds": 60, "totalTimeoutSeconds": 0},
        {"name": "t", "timeoutSeconds": None, "pollTimeoutSeconds": None, "description": None},
        {"name": "t", "retryLogic": "EXPONENTIAL_BACKOFF", "backoffScaleFactor": 2, "timeoutPolicy": "RETRY"},
        JS_TASK_DEF,
    ],
)
def test_good_task_def_has_no_errors(td: JSON) -> None:
    assert validate_task_def(td) == []


# ---------------------------------------------------------------------------------------------
# Event handlers


def handler(*actions: Any, **extra: Any) -> JSON:
    return {
        "name": "on_done",
        "event": "conductor:order_flow:ev",
        "active": True,
        "actions": list(actions),
        **extra,
    }


START: JSON = {
    "action": "start_workflow",
    "start_workflow": {"name": "follow_up", "input": {"id": "${data.id}"}},
}

BAD_HANDLERS: list[tuple[str, Any, str, str]] = [
    ("not an object", [], "", "must be an object"),
    ("missing name", {**handler(START), "name": None}, "name", "requires a non-empty 'name'"),
    ("missing event", {**handler(START), "event": ""}, "event", "Event handler 'on_done'"),
    ("event without type", handler(START, event="orders"), "event", "'<type>:<queue>'"),
    ("event with empty type", handler(START, event=":orders"), "event", "'on_done'"),
    ("event with empty queue", handler(START, event="sqs:"), "event", "'on_done'"),
    ("no actions", handler(), "actions", "at least one action"),
    ("actions missing", {"name": "h", "event": "sqs:q"}, "actions", "Event handler 'h'"),
    ("actions an object", handler(START, actions={}), "actions", "list"),
    ("action not an object", handler("start"), "actions[0]", "object"),
    (
        "terminate_workflow",
        handler({"action": "terminate_workflow", "terminate_workflow": {"workflowId": "x"}}),
        "actions[0].action",
        "'terminate_workflow' is not supported",
    ),
    (
        "update_workflow_variables",
        handler(START, {"action": "update_workflow_variables", "update_workflow_variables": {}}),
        "actions[1].action",
        "not supported",
    ),
    ("unknown action", handler({"action": "launch"}), "actions[0].action", "start_workflow, complete_task"),
    ("start without object", handler({"action": "start_workflow"}), "actions[0].start_workflow", "requires"),
    (
        "start without name",
        handler({"action": "start_workflow", "start_workflow": {"version": 1}}),
        "actions[0].start_workflow.name",
        "'on_done'",
    ),
    (
        "complete without ids",
        handler({"action": "complete_task", "complete_task": {"output": {}}}),
        "actions[0].complete_task",
        "'taskId' or 'workflowId' + 'taskRefName'",
    ),
    (
        "fail with workflowId only",
        handler({"action": "fail_task", "fail_task": {"workflowId": "${wf}"}}),
        "actions[0].fail_task",
        "'fail_task'",
    ),
    (
        "fail params a list",
        handler({"action": "fail_task", "fail_task": []}),
        "actions[0].fail_task",
        "object",
    ),
    (
        "evaluatorType",
        handler(START, evaluatorType="python"),
        "evaluatorType",
        "javascript, graaljs, value-param",
    ),
    ("active text", handler(START, active="true"), "active", "boolean"),
    ("condition syntax", handler(START, condition="($.ok"), "condition", "invalid JavaScript condition"),
    (
        "expandInlineJSON text",
        handler({**START, "expandInlineJSON": "yes"}),
        "actions[0].expandInlineJSON",
        "boolean",
    ),
]


@pytest.mark.parametrize(("eh", "path", "needle"), [c[1:] for c in BAD_HANDLERS], ids=[c[0] for c in BAD_HANDLERS])
def test_bad_event_handler_is_reported(eh: Any, path: str, needle: str) -> None:
    assert_single(validate_event_handler(eh, js_syntax_check=js_check), path, needle)


@pytest.mark.parametrize(
    "eh",
    [
        handler(START),
        handler(START, condition="$.status == 'ok'", evaluatorType="javascript", expandInlineJSON=True),
        handler(
            {"action": "complete_task", "complete_task": {"taskId": "${taskId}", "output": {"a": 1}}},
            {
                "action": "fail_task",
                "fail_task": {"workflowId": "${workflowInstanceId}", "taskRefName": "wait"},
            },
            event="sqs:orders-queue",
        ),
        handler(START, evaluatorType="value-param", condition="(unbalanced"),  # not JavaScript
        {"name": "inactive", "event": "kafka:topic", "actions": [START]},
    ],
)
def test_good_event_handler_has_no_errors(eh: JSON) -> None:
    assert validate_event_handler(eh, js_syntax_check=js_check) == []
