"""Parameter resolution semantics (docs/reference.md#expressions)."""

from __future__ import annotations

from typing import Any

import pytest

from podium.domain.model import Task, Workflow
from podium.expr import ResolutionContext, has_expression, referenced_roots, resolve, resolve_input
from podium.expr._template import compile_template


def _workflow() -> Workflow:
    return {
        "workflowId": "wf-1",
        "status": "RUNNING",
        "correlationId": "corr",
        "parentWorkflowId": "parent",
        "parentWorkflowTaskId": "ptask",
        "input": {
            "a": 1,
            "f": 2.5,
            "whole": 2.0,
            "big": 12345678.0,
            "flag": True,
            "none": None,
            "key": "a",
            "name": "Ann",
            "obj": {"x": 1, "y": [1, "two", None]},
            "list": [10, 20, 30],
            "dollar": "$${kept}",
        },
        "output": {},
        "variables": {"counter": 3},
        "workflowDefinition": {"name": "order_flow", "version": 4, "schemaVersion": 2},
    }


def _tasks() -> list[Task]:
    return [
        {
            "referenceTaskName": "t1",
            "taskId": "t1-a",
            "status": "FAILED",
            "retryCount": 0,
            "outputData": {"v": "first"},
        },
        {
            "referenceTaskName": "t1",
            "taskId": "t1-b",
            "status": "COMPLETED",
            "retryCount": 1,
            "taskType": "SIMPLE",
            "workerId": "w9",
            "inputData": {"in": 1},
            "outputData": {
                "v": "second",
                "items": [{"id": "a", "x": "y", "price": 1}, {"id": "b", "x": "z", "price": 2.5}],
                "text": "hello",
            },
        },
        {
            "referenceTaskName": "loop",
            "taskId": "loop-1",
            "taskType": "DO_WHILE",
            "iteration": 2,
            "outputData": {"iteration": 2},
        },
        {"referenceTaskName": "body__1", "taskId": "b1", "iteration": 1, "outputData": {"n": 1}},
        {"referenceTaskName": "body__2", "taskId": "b2", "iteration": 2, "outputData": {"n": 2}},
    ]


@pytest.fixture
def ctx() -> ResolutionContext:
    return ResolutionContext(_workflow(), _tasks(), env={"STAGE": "test", "CFG": '{"a": {"b": 7}}'})


def r(value: Any, ctx: ResolutionContext, **kw: Any) -> Any:
    return resolve(value, ctx, **kw)


# --- whole-string expressions keep their JSON type -------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("${workflow.input.a}", 1),
        ("${workflow.input.f}", 2.5),
        ("${workflow.input.flag}", True),
        ("${workflow.input.none}", None),
        ("${workflow.input.obj}", {"x": 1, "y": [1, "two", None]}),
        ("${workflow.input.list}", [10, 20, 30]),
        ("${workflow.input.name}", "Ann"),
    ],
)
def test_single_expression_keeps_type(ctx: ResolutionContext, expr: str, expected: Any) -> None:
    out = r(expr, ctx)
    assert out == expected
    assert type(out) is type(expected)


# --- mixed strings are stringified (Java toString forms) -------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("n=${workflow.input.a}", "n=1"),
        ("f=${workflow.input.f}", "f=2.5"),
        ("w=${workflow.input.whole}", "w=2.0"),
        ("b=${workflow.input.big}", "b=1.2345678E7"),
        ("${workflow.input.flag}!", "true!"),
        ("x${workflow.input.none}", "xnull"),
        ("x${workflow.input.missing}", "xnull"),
        ("o=${workflow.input.obj}", "o={x=1, y=[1, two, null]}"),
        ("l=${workflow.input.list}", "l=[10, 20, 30]"),
        ("${workflow.input.name} ${workflow.input.a}", "Ann 1"),
        (" ${workflow.input.a}", " 1"),
        ("${workflow.input.a}${workflow.input.a}", "11"),
    ],
)
def test_mixed_strings_are_stringified(ctx: ResolutionContext, expr: str, expected: str) -> None:
    assert r(expr, ctx) == expected


def test_nested_expression_resolves_inner_first(ctx: ResolutionContext) -> None:
    assert r("${workflow.input.${workflow.input.key}}", ctx) == 1
    assert r("v: ${workflow.input.${workflow.input.key}}", ctx) == "v: 1"
    assert r("${t1.output.items[${workflow.input.a}].id}", ctx) == "b"
    # the inner result is stringified into the path: null -> "null" -> missing
    assert r("${workflow.input.${workflow.input.none}}", ctx) is None


def test_escape_produces_literal_expression(ctx: ResolutionContext) -> None:
    assert r("$${workflow.input.a}", ctx) == "${workflow.input.a}"
    assert r("a $${workflow.input.a} ${workflow.input.a}", ctx) == "a ${workflow.input.a} 1"
    assert r("$${x}$${y}", ctx) == "${x}${y}"
    # unescaping applies to the rendered string, values included
    assert r("v=${workflow.input.dollar}", ctx) == "v=${kept}"
    # ... but a whole-string expression returns its value untouched
    assert r("${workflow.input.dollar}", ctx) == "$${kept}"


def test_blank_expression_is_empty_string(ctx: ResolutionContext) -> None:
    assert r("${}", ctx) == ""
    assert r("${   }", ctx) == ""
    assert r("a${}b", ctx) == "ab"


def test_missing_and_erroneous_paths_give_null(ctx: ResolutionContext) -> None:
    assert r("${workflow.input.nope}", ctx) is None
    assert r("${workflow.input.a.b.c}", ctx) is None
    assert r("${nosuchtask.output.x}", ctx) is None
    assert r("${workflow.input.list[7]}", ctx) is None
    assert r("${workflow.input.list.x}", ctx) is None
    assert r("${workflow.input[}", ctx) is None
    assert r("${workflow.input.list[?(@ ==]}", ctx) is None


def test_unbalanced_braces_stay_literal(ctx: ResolutionContext) -> None:
    assert r("${workflow.input.a", ctx) == "${workflow.input.a"
    assert r("${x ${workflow.input.a}", ctx) == "${x 1"


def test_indefinite_paths(ctx: ResolutionContext) -> None:
    assert r("${t1.output.items[*].id}", ctx) == ["a", "b"]
    assert r("${t1.output..price}", ctx) == [1, 2.5]
    assert r("${t1.output.items[?(@.x=='z')].id}", ctx) == ["b"]
    assert r("${t1.output.items[?(@.x == 'z')]}", ctx) == [{"id": "b", "x": "z", "price": 2.5}]
    assert r("${t1.output.items[0,1].id}", ctx) == ["a", "b"]
    assert r("${t1.output.items[0:1].id}", ctx) == ["a"]
    assert r("${$..nothing}", ctx) == []
    assert r("${t1.output.items[?(@.x=='nope')].id}", ctx) == []
    assert r("${t1.output.nothing[*]}", ctx) == []
    assert r("${nosuchtask.output[*]}", ctx) == []


def test_length_function(ctx: ResolutionContext) -> None:
    assert r("${t1.output.items.length()}", ctx) == 2
    assert r("${t1.output.text.length()}", ctx) == 5
    assert r("${t1.output.items[*].id.length()}", ctx) == 2
    assert r("n=${workflow.input.list.length()}", ctx) == "n=3"
    assert r("${t1.output.missing.length()}", ctx) is None
    assert r("${workflow.input.a.length()}", ctx) is None


def test_bracket_notation_and_indexes(ctx: ResolutionContext) -> None:
    assert r("${t1['output']['v']}", ctx) == "second"
    assert r('${t1["output"].items[1]["id"]}', ctx) == "b"
    assert r("${workflow.input.list[0]}", ctx) == 10
    assert r("${workflow.input.list[-1]}", ctx) == 30
    assert r("${workflow.input.list[-3]}", ctx) == 10
    assert r("${workflow.input.list[-4]}", ctx) is None
    assert r("${$.workflow.input.a}", ctx) == 1
    assert r("${$['workflow']['input']['a']}", ctx) == 1


# --- special names ----------------------------------------------------------------------------


def test_task_id(ctx: ResolutionContext) -> None:
    assert r("${CPEWF_TASK_ID}", ctx, task_id="tid-9") == "tid-9"
    assert r("id=${CPEWF_TASK_ID}", ctx, task_id="tid-9") == "id=tid-9"
    assert r("${CPEWF_TASK_ID}", ctx) == "${CPEWF_TASK_ID}"  # no task: left as it is


def test_environment_names_come_only_from_the_given_mapping(
    ctx: ResolutionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_TEST_VAR", "from-os")
    assert r("${STAGE}", ctx) == "test"
    assert r("stage=${STAGE}", ctx) == "stage=test"
    assert r("${PODIUM_TEST_VAR}", ctx) is None
    assert r("${STAGE}", ResolutionContext(_workflow(), [])) is None


def test_workflow_env(ctx: ResolutionContext) -> None:
    assert r("${workflow.env.STAGE}", ctx) == "test"
    assert r("${workflow.env.CFG.a.b}", ctx) == 7
    assert r("${workflow.env.NOPE}", ctx) is None


def test_secrets_stay_literal(ctx: ResolutionContext) -> None:
    assert r("${workflow.secrets.api_key}", ctx) == "${workflow.secrets.api_key}"
    assert r("Bearer ${workflow.secrets.api_key}", ctx) == "Bearer ${workflow.secrets.api_key}"
    assert r({"h": ["${workflow.secrets.k} ${workflow.input.a}"]}, ctx) == {"h": ["${workflow.secrets.k} 1"]}


# --- the evaluation context ------------------------------------------------------------------


def test_workflow_document(ctx: ResolutionContext) -> None:
    assert r("${workflow.workflowType}", ctx) == "order_flow"
    assert r("${workflow.version}", ctx) == 4
    assert r("${workflow.schemaVersion}", ctx) == 2
    assert r("${workflow.workflowId}", ctx) == "wf-1"
    assert r("${workflow.status}", ctx) == "RUNNING"
    assert r("${workflow.correlationId}", ctx) == "corr"
    assert r("${workflow.parentWorkflowId}", ctx) == "parent"
    assert r("${workflow.parentWorkflowTaskId}", ctx) == "ptask"
    assert r("${workflow.variables.counter}", ctx) == 3
    assert r("${workflow.reasonForIncompletion}", ctx) is None
    assert r("${workflow.createTime}", ctx) is None  # not part of the context
    assert set(ctx.lookup("workflow")) == {
        "input",
        "output",
        "status",
        "workflowId",
        "parentWorkflowId",
        "parentWorkflowTaskId",
        "workflowType",
        "version",
        "correlationId",
        "reasonForIncompletion",
        "schemaVersion",
        "variables",
    }


def test_task_document(ctx: ResolutionContext) -> None:
    # the last record with a reference wins (here: the retry)
    assert r("${t1.output.v}", ctx) == "second"
    assert r("${t1.taskId}", ctx) == "t1-b"
    assert r("${t1.retryCount}", ctx) == 1
    assert r("${t1.status}", ctx) == "COMPLETED"
    assert r("${t1.input.in}", ctx) == 1
    assert r("${t1.workerId}", ctx) == "w9"
    assert r("${t1.pollCount}", ctx) == 0
    assert r("${t1.reasonForIncompletion}", ctx) is None
    assert set(ctx.lookup("t1")) == {
        "input",
        "output",
        "taskType",
        "status",
        "referenceTaskName",
        "retryCount",
        "correlationId",
        "pollCount",
        "taskDefName",
        "scheduledTime",
        "startTime",
        "endTime",
        "workflowInstanceId",
        "taskId",
        "reasonForIncompletion",
        "callbackAfterSeconds",
        "workerId",
        "iteration",
    }


def test_do_while_references(ctx: ResolutionContext) -> None:
    assert r("${body.output.n}", ctx) == 2  # suffix stripped, latest iteration
    assert r("${body.referenceTaskName}", ctx) == "body__2"
    assert r("${loop.iteration}", ctx) == 2
    assert r("${loop['iteration']}", ctx) == 2
    assert r("${body__1.output.n}", ctx) is None


class _Spy(dict[str, Any]):
    """A task record that records which keys were read."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def test_context_is_lazy() -> None:
    spies = [_Spy(referenceTaskName=f"t{i}", outputData={"i": i}) for i in range(3)]
    ctx = ResolutionContext(_workflow(), spies)  # type: ignore[arg-type]
    assert all(not s.read for s in spies)  # building the context reads nothing
    assert resolve("${t1.output.i}", ctx) == 1
    assert spies[0].read == {"referenceTaskName"}
    assert spies[2].read == {"referenceTaskName"}
    assert "outputData" in spies[1].read
    assert resolve("${workflow.input.a}", ResolutionContext(_workflow(), spies)) == 1  # type: ignore[arg-type]


def test_whole_document_for_root_scans(ctx: ResolutionContext) -> None:
    doc = ctx.document()
    assert set(doc) == {"workflow", "t1", "loop", "body"}
    assert sorted(r("${$..n}", ctx)) == [2]


def test_from_document() -> None:
    payload = {"workflowInstanceId": "w-7", "data": {"id": 42, "tags": ["a", "b"]}}
    ctx = ResolutionContext.from_document(payload)
    assert resolve("${data.id}", ctx) == 42
    assert resolve("${$.data.id}", ctx) == 42
    assert resolve("${workflowInstanceId}", ctx) == "w-7"
    assert resolve("id-${data.id}", ctx) == "id-42"
    assert resolve("${data.tags[*]}", ctx) == ["a", "b"]
    assert resolve("${workflow.input.a}", ctx) is None
    assert resolve("${$}", ctx) == payload


# --- walking, copying, input templates --------------------------------------------------------


def test_walks_containers_and_passes_scalars(ctx: ResolutionContext) -> None:
    value = {
        "a": ["${workflow.input.a}", {"b": "${t1.output.v}"}, 3, None, True, 1.5],
        "n": 7,
        "s": "plain",
    }
    assert r(value, ctx) == {"a": [1, {"b": "second"}, 3, None, True, 1.5], "n": 7, "s": "plain"}
    assert r(5, ctx) == 5
    assert r(None, ctx) is None
    assert r(("${workflow.input.a}",), ctx) == [1]


def test_returns_new_containers_and_never_mutates(ctx: ResolutionContext) -> None:
    value = {"x": ["plain"], "o": "${workflow.input.obj}"}
    out = r(value, ctx)
    assert out == {"x": ["plain"], "o": {"x": 1, "y": [1, "two", None]}}
    assert out is not value and out["x"] is not value["x"]
    assert value == {"x": ["plain"], "o": "${workflow.input.obj}"}
    out["o"]["y"].append("changed")
    assert r("${workflow.input.obj.y}", ctx) == [1, "two", None]  # the context was not aliased
    items = r("${t1.output.items[*]}", ctx)
    items[0]["id"] = "changed"
    assert r("${t1.output.items[0].id}", ctx) == "a"


def test_resolve_input_with_template(ctx: ResolutionContext) -> None:
    params = {"a": "${workflow.input.a}", "gone": "${workflow.input.nope}"}
    template = {
        "a": "tmpl-a",
        "gone": "default-gone",
        "added": "${workflow.input.name}",
        "unresolved": "${workflow.input.nope}",
        "obj": {"k": [1]},
    }
    out = resolve_input(params, ctx, template=template)
    assert out == {
        "a": 1,  # present in params: template ignored
        "gone": "default-gone",  # resolved to null: template's raw value
        "added": "Ann",  # absent: added, then resolved
        "unresolved": "${workflow.input.nope}",  # resolved to null: raw template value
        "obj": {"k": [1]},
    }
    assert out["obj"] is not template["obj"]
    assert resolve_input({"t": "${CPEWF_TASK_ID}"}, ctx, task_id="x") == {"t": "x"}
    assert resolve_input({}, ctx) == {}


def test_has_expression() -> None:
    assert has_expression("${a}")
    assert has_expression({"a": [1, {"b": "x ${y}"}]})
    assert has_expression("$${escaped}")
    assert not has_expression({"a": [1, {"b": "x $ {y}"}], "c": None})
    assert not has_expression(12)


def test_referenced_roots() -> None:
    value = {
        "a": "${workflow.input.${t2.output.key}}",
        "b": ["x ${t3['output'].v} ${$.t4.output}", "${}", "$${escaped.x}"],
        "c": "${t5.output.list[*].id}",
        "d": "${ ${dyn.output.ref}.output }",
    }
    assert referenced_roots(value) == {"workflow", "t2", "t3", "t4", "t5", "dyn"}


def test_templates_are_compiled_once() -> None:
    s = "cache ${workflow.input.a} test"
    assert compile_template(s) is compile_template(s)
