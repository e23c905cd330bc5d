"""Search parameter parsing, SQL generation and summary shapes (Conductor's search endpoints)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from podium.domain.errors import InvalidArgument
from podium.domain.model import Task, Workflow
from podium.domain.search import SearchQuery
from podium.service.search import parse_search, task_summary, workflow_summary
from podium.store.search_sql import (
    SEARCHABLE_TASK_FIELDS,
    SEARCHABLE_WORKFLOW_FIELDS,
    free_text_terms,
    like_pattern,
    search_tasks_sql,
    search_workflows_sql,
)


def clauses(query: str, tasks: bool = False) -> list[tuple[str, str, Any]]:
    return parse_search(0, 10, None, None, query, tasks=tasks).clauses


# -- query grammar ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status = RUNNING", [("status", "=", "RUNNING")]),
        ("status=RUNNING", [("status", "=", "RUNNING")]),
        ("workflowType = 'my flow'", [("workflowType", "=", "my flow")]),
        ('workflowType = "my flow"', [("workflowType", "=", "my flow")]),
        (r"workflowType = 'it\'s'", [("workflowType", "=", "it's")]),
        ("workflowId = 8b1c-22ff", [("workflowId", "=", "8b1c-22ff")]),
        ("status != COMPLETED", [("status", "!=", "COMPLETED")]),
        ("status <> COMPLETED", [("status", "!=", "COMPLETED")]),
        ("startTime > 1700000000000", [("startTime", ">", 1700000000000)]),
        ("startTime>=5 AND startTime<=9", [("startTime", ">=", 5), ("startTime", "<=", 9)]),
        ("endTime < '42'", [("endTime", "<", 42)]),
        ("updateTime > 1970-01-01T00:00:01.5Z", [("updateTime", ">", 1500)]),
        ("startTime > 2024-01-01", [("startTime", ">", 1704067200000)]),
        ("startTime > '2024-01-01T02:00:00+02:00'", [("startTime", ">", 1704067200000)]),
        ("version = 2", [("version", "=", 2)]),
        ("status IN (RUNNING, FAILED)", [("status", "IN", ("RUNNING", "FAILED"))]),
        ("status in (RUNNING,'PAUSED')", [("status", "IN", ("RUNNING", "PAUSED"))]),
        ("workflowType IN ('a b')", [("workflowType", "IN", ("a b",))]),
        ("workflowType = order_*", [("workflowType", "=", "order_*")]),
        ("correlationId != 'x*'", [("correlationId", "!=", "x*")]),
        (
            "startTime BETWEEN 10 AND 20 AND status = X",
            [("startTime", ">=", 10), ("startTime", "<=", 20), ("status", "=", "X")],
        ),
        (
            "workflowType = a and status = b AND version = 1",
            [("workflowType", "=", "a"), ("status", "=", "b"), ("version", "=", 1)],
        ),
        (
            "(status = a) AND (version = 1 AND workflowId = w)",
            [("status", "=", "a"), ("version", "=", 1), ("workflowId", "=", "w")],
        ),
        ("status = AND", [("status", "=", "AND")]),
        ("workflowName = x AND workflowVersion = 3", [("workflowType", "=", "x"), ("version", "=", 3)]),
        ("STATUS = x", [("status", "=", "x")]),
        ("parentWorkflowId = ''", [("parentWorkflowId", "=", "")]),
        ("  ", []),
    ],
)
def test_workflow_query_grammar(query: str, expected: list[tuple[str, str, Any]]) -> None:
    assert clauses(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("taskType = SIMPLE", [("taskType", "=", "SIMPLE")]),
        ("taskDefName IN (a, b)", [("taskDefName", "IN", ("a", "b"))]),
        ("taskId = t-1 AND workflowInstanceId = w-1", [("taskId", "=", "t-1"), ("workflowId", "=", "w-1")]),
        ("scheduledTime > 5 AND seq >= 2", [("scheduledTime", ">", 5), ("seq", ">=", 2)]),
        ("workflowType = flow AND correlationId = c", [("workflowType", "=", "flow"), ("correlationId", "=", "c")]),
    ],
)
def test_task_query_grammar(query: str, expected: list[tuple[str, str, Any]]) -> None:
    assert clauses(query, tasks=True) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("foo = 1", "Unknown workflow search field 'foo'"),
        ("taskType = SIMPLE", "Unknown workflow search field 'taskType'"),
        ("status", "expected an operator"),
        ("status =", "expected a value"),
        ("status ~ a", "expected an operator"),
        ("status ! a", "unexpected '!' at position 7"),
        ("status = a OR status = b", "OR is not supported"),
        ("status = a status = b", "expected AND"),
        ("status = a AND", "expected a field name"),
        ("= a", "expected a field name"),
        ("startTime > yesterday", "startTime expects epoch milliseconds or an ISO-8601 date"),
        ("version = one", "version expects a number"),
        ("version = 1*", "version expects a number"),
        ("status IN ()", "expected a value"),
        ("status IN (a, b", "expected ')'"),
        ("status IN a", "expected '('"),
        ("status = 'abc", "unterminated quoted value"),
        ("(status = a", "expected ')'"),
        ("status = a)", "expected AND"),
        ("status > a*", "wildcards work only with = and !="),
        ("startTime BETWEEN 1 OR 2", "expected AND"),
        ("status LIKE a", "expected an operator"),
    ],
)
def test_query_errors(query: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        parse_search(0, 10, None, None, query)


def test_task_only_fields_are_rejected_in_task_search_when_unknown() -> None:
    with pytest.raises(InvalidArgument, match="Unknown task search field 'parentWorkflowId'"):
        parse_search(0, 10, None, None, "parentWorkflowId = x", tasks=True)


def test_parsed_clauses_are_not_shared_between_calls() -> None:
    a = parse_search(0, 10, None, None, "status = A")
    a.clauses.append(("status", "=", "B"))
    assert parse_search(0, 10, None, None, "status = A").clauses == [("status", "=", "A")]


# -- paging, sort, free text --------------------------------------------------------------------
@pytest.mark.parametrize(("start", "size"), [(-1, 10), (0, -1), (0, 1001)])
def test_paging_limits(start: int, size: int) -> None:
    with pytest.raises(InvalidArgument):
        parse_search(start, size, None, None, None)


def test_paging_bounds_are_inclusive() -> None:
    assert parse_search(0, 0, None, None, None).size == 0
    assert parse_search(5, 1000, None, None, None).start == 5


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, []),
        ("", []),
        ("startTime:DESC", [("startTime", True)]),
        ("startTime:desc", [("startTime", True)]),
        ("workflowId", [("workflowId", False)]),
        ("startTime:DESC;workflowId:ASC", [("startTime", True), ("workflowId", False)]),
        ("startTime:DESC,workflowType", [("startTime", True), ("workflowType", False)]),
        ("endTime DESC", [("endTime", True)]),
        (["updateTime:ASC", "status:DESC"], [("updateTime", False), ("status", True)]),
        (["createTime:DESC;version"], [("startTime", True), ("version", False)]),
    ],
)
def test_sort(sort: Any, expected: list[tuple[str, bool]]) -> None:
    assert parse_search(0, 10, sort, None, None).sort == expected


@pytest.mark.parametrize(
    ("sort", "message"), [("nope:ASC", "Unknown workflow search field"), ("status:UP", "direction")]
)
def test_sort_errors(sort: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_search(0, 10, sort, None, None)


@pytest.mark.parametrize(("text", "expected"), [(None, "*"), ("", "*"), ("  ", "*"), (" abc ", "abc"), ("*", "*")])
def test_free_text_normalised(text: str | None, expected: str) -> None:
    assert parse_search(0, 10, None, text, None).free_text == expected


def test_top_level_only_adds_a_clause() -> None:
    q = parse_search(0, 10, None, None, "status = X", top_level_only=True)
    assert q.clauses == [("status", "=", "X"), ("parentWorkflowId", "=", "")]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("*", []),
        ("abc", ["abc"]),
        ("abc def", ["abc", "def"]),
        ('"two words" x', ["two words", "x"]),
        ("a AND b", ["a", "b"]),
        ("a* *", ["a*"]),
    ],
)
def test_free_text_terms(text: str, terms: list[str]) -> None:
    assert free_text_terms(text) == terms


def test_like_pattern_escapes_sql_wildcards() -> None:
    assert like_pattern("100%_a\\b", anchored=False) == "%100\\%\\_a\\\\b%"
    assert like_pattern("ab*c", anchored=True) == "ab%c"


# -- SQL generation -----------------------------------------------------------------------------
EVIL = "x'); DROP TABLE workflows; --"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_values_never_reach_sql_text(dialect: str) -> None:
    q = SearchQuery(
        clauses=[("status", "=", EVIL), ("workflowType", "IN", (EVIL, "b")), ("correlationId", "=", EVIL + "*")],
        free_text=EVIL,
        sort=[("startTime", True)],
    )
    count, page, args = search_workflows_sql(q, dialect)
    assert EVIL not in count and EVIL not in page and "DROP" not in page
    assert args[0] == EVIL and args[1:3] == [EVIL, "b"]
    ph = "?" if dialect == "sqlite" else "%s"
    assert count.count(ph) == len(args)
    assert page.count(ph) == len(args) + 2  # plus LIMIT and OFFSET


def test_unknown_field_or_operator_rejected_by_sql_layer() -> None:
    with pytest.raises(ValueError, match="not searchable"):
        search_workflows_sql(SearchQuery(clauses=[("json", "=", "x")]), "sqlite")
    with pytest.raises(ValueError, match="not searchable"):
        search_tasks_sql(SearchQuery(sort=[("json; DROP", True)]), "sqlite")
    with pytest.raises(ValueError, match="operator"):
        search_workflows_sql(SearchQuery(clauses=[("status", "LIKE", "x")]), "sqlite")
    with pytest.raises(ValueError, match="dialect"):
        search_workflows_sql(SearchQuery(), "oracle")


def test_postgres_dialect() -> None:
    q = SearchQuery(
        clauses=[("workflowType", "=", "a*"), ("priority", ">", 3), ("correlationId", "!=", "c")],
        free_text="Hello",
        sort=[("priority", True)],
    )
    count, page, args = search_workflows_sql(q, "postgres")
    assert "?" not in count + page
    assert "name LIKE %s ESCAPE" in count
    assert "(COALESCE(json, ended_json)::jsonb ->> 'priority')::bigint > %s" in count
    assert "correlation_id IS DISTINCT FROM %s" in count
    # Free text: ended workflows through the trigram index of their bodies' copies (migrations 0008, 0010),
    # open ones by status.
    assert "((ended_json ILIKE %s) OR (status IN ('PAUSED', 'RUNNING') AND json ILIKE %s))" in count
    assert "workflow_id DESC LIMIT %s OFFSET %s" in page
    assert args == ["a%", 3, "c", "%Hello%", "%Hello%"]
    _, tpage, _ = search_tasks_sql(SearchQuery(), "postgres")
    assert "ORDER BY update_time DESC, task_id DESC" in tpage


def test_sqlite_default_sort_uses_start_time_and_row_tiebreak() -> None:
    count, page, args = search_workflows_sql(SearchQuery(), "sqlite")
    assert count == "SELECT count(*) FROM workflows"
    assert "ORDER BY start_time DESC, rowid DESC LIMIT ? OFFSET ?" in page
    assert args == []


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_missing_values_sort_last_only_where_they_can_exist(dialect: str) -> None:
    q = SearchQuery(sort=[("endTime", False), ("startTime", True)])
    _, page, _ = search_workflows_sql(q, dialect)
    assert "end_time NULLS LAST, start_time DESC, " in page
    assert "p.k0 NULLS LAST, p.k1 DESC, p.r DESC" in page


def test_field_whitelists_cover_spec_fields() -> None:
    spec = {
        "workflowType",
        "workflowId",
        "correlationId",
        "status",
        "startTime",
        "endTime",
        "updateTime",
        "parentWorkflowId",
    }
    assert spec <= SEARCHABLE_WORKFLOW_FIELDS
    assert {"taskType", "taskDefName", "taskId", "status", "workflowId"} <= SEARCHABLE_TASK_FIELDS


# -- summaries ----------------------------------------------------------------------------------
def test_workflow_summary_shape() -> None:
    wf: Workflow = {
        "workflowId": "w1",
        "workflowName": "flow",
        "workflowVersion": 3,
        "status": "FAILED",
        "createTime": 1700000000123,
        "startTime": 1700000000123,
        "updateTime": 1700000001000,
        "endTime": 1700000002000,
        "correlationId": "c1",
        "input": {"a": 1, "b": [1, "x"]},
        "output": {},
        "reasonForIncompletion": "boom",
        "event": "sqs:q",
        "failedReferenceTaskNames": ["t1", "t2"],
        "failedTaskNames": ["task_one"],
        "priority": 7,
        "createdBy": "me",
        "taskToDomain": {"*": "d"},
        "idempotencyKey": "k",
        "parentWorkflowId": "p1",
        "workflowDefinition": {"name": "flow", "version": 3, "tasks": []},
    }
    assert workflow_summary(wf) == {
        "workflowType": "flow",
        "version": 3,
        "workflowId": "w1",
        "correlationId": "c1",
        "startTime": "2023-11-14T22:13:20.123Z",
        "updateTime": "2023-11-14T22:13:21.000Z",
        "endTime": "2023-11-14T22:13:22.000Z",
        "status": "FAILED",
        "input": '{"a":1,"b":[1,"x"]}',
        "output": "{}",
        "reasonForIncompletion": "boom",
        "executionTime": 1877,
        "event": "sqs:q",
        "failedReferenceTaskNames": "t1,t2",
        "priority": 7,
        "failedTaskNames": ["task_one"],
        "createdBy": "me",
        "taskToDomain": {"*": "d"},
        "idempotencyKey": "k",
        "parentWorkflowId": "p1",
    }


def test_running_workflow_summary_omits_end_and_defaults() -> None:
    wf: Workflow = {
        "workflowId": "w2",
        "workflowName": "flow",
        "workflowVersion": 1,
        "status": "RUNNING",
        "startTime": 0,
        "createTime": 1000,
        "updateTime": 1500,
        "endTime": 0,
        "workflowDefinition": {"name": "flow", "version": 1, "tasks": []},
    }
    s = workflow_summary(wf)
    assert "endTime" not in s and "correlationId" not in s and "reasonForIncompletion" not in s
    assert s["startTime"] == "1970-01-01T00:00:01.000Z"
    assert s["executionTime"] == 0
    assert s["parentWorkflowId"] == ""
    assert s["failedReferenceTaskNames"] == ""
    assert s["failedTaskNames"] == [] and s["taskToDomain"] == {} and s["priority"] == 0
    assert s["input"] == "{}" and s["output"] == "{}"


def test_task_summary_shape() -> None:
    t: Task = {
        "taskId": "t1",
        "workflowInstanceId": "w1",
        "workflowType": "flow",
        "correlationId": "c1",
        "taskType": "SIMPLE",
        "taskDefName": "encode",
        "referenceTaskName": "encode_ref",
        "status": "COMPLETED",
        "scheduledTime": 1000,
        "startTime": 1250,
        "updateTime": 2000,
        "endTime": 2000,
        "inputData": {"f": "a.mp4"},
        "outputData": {"n": 2},
        "workflowPriority": 4,
        "domain": "d1",
        "reasonForIncompletion": "slow",
    }
    assert task_summary(t) == {
        "workflowId": "w1",
        "workflowType": "flow",
        "correlationId": "c1",
        "scheduledTime": "1970-01-01T00:00:01.000Z",
        "startTime": "1970-01-01T00:00:01.250Z",
        "updateTime": "1970-01-01T00:00:02.000Z",
        "endTime": "1970-01-01T00:00:02.000Z",
        "status": "COMPLETED",
        "reasonForIncompletion": "slow",
        "executionTime": 750,
        "queueWaitTime": 250,
        "taskDefName": "encode",
        "taskType": "SIMPLE",
        "input": '{"f":"a.mp4"}',
        "output": '{"n":2}',
        "taskId": "t1",
        "workflowPriority": 4,
        "domain": "d1",
    }


def test_task_summary_takes_missing_workflow_fields_from_the_workflow() -> None:
    t: Task = {"taskId": "t", "workflowInstanceId": "w", "taskType": "WAIT", "status": "IN_PROGRESS"}
    wf: Workflow = {"workflowId": "w", "workflowName": "flow", "correlationId": "c", "priority": 2, "status": "RUNNING"}
    s = task_summary(t, wf)
    assert (s["workflowType"], s["correlationId"], s["workflowPriority"]) == ("flow", "c", 2)
    assert s["executionTime"] == 0 and s["queueWaitTime"] == 0
    assert s["endTime"] == "1970-01-01T00:00:00.000Z"
