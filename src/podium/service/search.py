"""Workflow and task search (Conductor's search endpoints): query parsing and SearchResult shaping.

Query grammar: clauses joined by ``AND`` (parentheses allowed, they only group):
``field op value`` with ops ``= != <> > < >= <=``, ``field IN (a, b)``, ``field BETWEEN a AND b``.
Values may be quoted with ' or "; ``*`` inside an ``=`` / ``!=`` value is a wildcard; time fields take
epoch milliseconds or an ISO-8601 date. Parsed queries are cached, so a polling UI parses once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, cast

import orjson

from podium.domain.errors import InvalidArgument
from podium.domain.model import Task, Workflow, public_workflow
from podium.domain.search import SearchQuery
from podium.store import search_sql as sql
from podium.store.protocols import SearchStore

MAX_SIZE = 1000

Clause = tuple[str, str, Any]


class SearchBackend(SearchStore, Protocol):
    """What search needs from the store."""

    def get_workflow(self, workflow_id: str) -> Workflow | None: ...


# -- field lookup -------------------------------------------------------------------------------
def _names(fields: dict[str, sql.Field], aliases: dict[str, str]) -> dict[str, str]:
    """Every accepted spelling (exact, alias, lower-case) → canonical field name."""
    out = {n.lower(): n for n in fields} | {a.lower(): n for a, n in aliases.items()}
    return out | {n: n for n in fields} | dict(aliases)


_KINDS = {False: sql.WORKFLOW_FIELDS, True: sql.TASK_FIELDS}
_NAMES = {False: _names(sql.WORKFLOW_FIELDS, sql.WORKFLOW_ALIASES), True: _names(sql.TASK_FIELDS, sql.TASK_ALIASES)}


def _resolve(name: str, tasks: bool) -> str:
    names = _NAMES[tasks]
    canonical = names.get(name) or names.get(name.lower())
    if canonical is None:
        kind = "task" if tasks else "workflow"
        known = ", ".join(sorted(_KINDS[tasks]))
        raise InvalidArgument(f"Unknown {kind} search field '{name}'. Searchable fields: {known}")
    return canonical


# -- query parsing ------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<q>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>>=|<=|!=|<>|=|>|<)
      | (?P<p>[(),])
      | (?P<w>[^\s()<>=!,'"]+)""",
    re.X | re.S,
)
_UNESCAPE = re.compile(r"\\(.)", re.S)
_INTEGER = re.compile(r"[+-]?\d+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class _Tok(NamedTuple):
    kind: str  # "q" quoted value, "op", "p" punctuation, "w" bare word
    text: str
    pos: int

    def word(self, *keywords: str) -> bool:
        return self.kind == "w" and self.text.upper() in keywords

    def punct(self, text: str) -> bool:
        return self.kind == "p" and self.text == text


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            what = "an unterminated quoted value" if text[pos] in "'\"" else f"unexpected '{text[pos]}'"
            raise InvalidArgument(f"Invalid search query: {what} at position {pos}")
        kind = cast(str, m.lastgroup)
        if kind == "q":
            toks.append(_Tok("q", _UNESCAPE.sub(r"\1", m.group()[1:-1]), pos))
        elif kind != "ws":
            toks.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    return toks


class _Parser:
    def __init__(self, text: str, tasks: bool) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.tasks = tasks
        self.out: list[Clause] = []

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str, ok: Callable[[_Tok], bool]) -> _Tok:
        """The next token if `ok` accepts it, else InvalidArgument naming what was expected."""
        tok = self.peek()
        if tok is None:
            raise InvalidArgument(f"Invalid search query: expected {expected} at the end")
        if not ok(tok):
            raise InvalidArgument(f"Invalid search query: expected {expected} at position {tok.pos}, got '{tok.text}'")
        self.i += 1
        return tok

    def parse(self) -> tuple[Clause, ...]:
        if self.toks:
            self.conjunction()
            if self.peek() is not None:
                self.take("AND", lambda t: False)
        return tuple(self.out)

    def conjunction(self) -> None:
        while True:
            self.term()
            tok = self.peek()
            if tok is None or tok.punct(")"):
                return
            if tok.word("OR"):
                raise InvalidArgument("Invalid search query: OR is not supported; use field IN (a, b)")
            self.take("AND", lambda t: t.word("AND"))

    def term(self) -> None:
        tok = self.take("a field name", lambda t: t.kind == "w" or t.punct("("))
        if tok.kind == "p":
            self.conjunction()
            self.take("')'", lambda t: t.punct(")"))
            return
        name = _resolve(tok.text, self.tasks)
        field = _KINDS[self.tasks][name]
        ops = "an operator (=, !=, >, <, >=, <=, IN, BETWEEN)"
        op = self.take(ops, lambda t: t.kind == "op" or t.word("IN", "BETWEEN"))
        if op.kind == "op":
            self.out.append((name, "!=" if op.text == "<>" else op.text, self.value(name, field, op.text)))
        elif op.word("IN"):
            self.take("'('", lambda t: t.punct("("))
            values = [self.value(name, field, "IN")]
            while (nxt := self.peek()) is not None and nxt.punct(","):
                self.i += 1
                values.append(self.value(name, field, "IN"))
            self.take("')'", lambda t: t.punct(")"))
            self.out.append((name, "IN", tuple(values)))
        else:  # BETWEEN low AND high
            self.out.append((name, ">=", self.value(name, field, ">=")))
            self.take("AND", lambda t: t.word("AND"))
            self.out.append((name, "<=", self.value(name, field, "<=")))

    def value(self, name: str, field: sql.Field, op: str) -> Any:
        text = self.take("a value", lambda t: t.kind in ("w", "q")).text
        if field.kind == sql.STR:
            if "*" in text and op not in ("=", "!="):
                raise InvalidArgument(f"Invalid search query: wildcards work only with = and != (field {name})")
            return text
        if field.kind == sql.INT:
            if _INTEGER.fullmatch(text):
                return int(text)
            raise InvalidArgument(f"Invalid search query: {name} expects a number, got '{text}'")
        return _epoch_ms(name, text)


def _epoch_ms(name: str, text: str) -> int:
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(
            f"Invalid search query: {name} expects epoch milliseconds or an ISO-8601 date, got '{text}'"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _MS


@lru_cache(maxsize=512)
def _parse_query(query: str, tasks: bool) -> tuple[Clause, ...]:
    return _Parser(query, tasks).parse()


_SORT_SPLIT = re.compile(r"[;,]")
_SORT_ITEM = re.compile(r"\s*([^\s:]+)\s*(?:[:\s]\s*(\w+))?\s*")


@lru_cache(maxsize=256)
def _parse_sort(sort: str, tasks: bool) -> tuple[tuple[str, bool], ...]:
    out: list[tuple[str, bool]] = []
    for item in _SORT_SPLIT.split(sort):
        if not item.strip():
            continue
        m = _SORT_ITEM.fullmatch(item)
        if m is None:
            raise InvalidArgument(f"Invalid sort '{item.strip()}': expected field:ASC or field:DESC")
        direction = (m.group(2) or "ASC").upper()
        if direction not in ("ASC", "DESC"):
            raise InvalidArgument(f"Invalid sort direction '{m.group(2)}': expected ASC or DESC")
        out.append((_resolve(m.group(1), tasks), direction == "DESC"))
    return tuple(out)


def parse_search(
    start: int,
    size: int,
    sort: str | Sequence[str] | None,
    free_text: str | None,
    query: str | None,
    *,
    tasks: bool = False,
    top_level_only: bool = False,
) -> SearchQuery:
    """Validate and parse search parameters; InvalidArgument (400) on any mistake."""
    if start < 0:
        raise InvalidArgument(f"start must be >= 0, got {start}")
    if size < 0 or size > MAX_SIZE:
        raise InvalidArgument(f"size must be between 0 and {MAX_SIZE}, got {size}")
    clauses = list(_parse_query(query.strip(), tasks)) if query and query.strip() else []
    if top_level_only and not tasks:
        clauses.append(("parentWorkflowId", "=", ""))
    order: list[tuple[str, bool]] = []
    if isinstance(sort, str):
        order.extend(_parse_sort(sort, tasks))
    elif sort:
        for item in sort:
            order.extend(_parse_sort(item, tasks))
    text = (free_text or "").strip() or "*"
    return SearchQuery(start=start, size=size, clauses=clauses, free_text=text, sort=order)


# -- result shaping -----------------------------------------------------------------------------
def _iso(ms: int) -> str:
    """Epoch ms → 'yyyy-MM-ddTHH:mm:ss.SSSZ' (UTC), as Conductor formats summary times."""
    sec, milli = divmod(int(ms), 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(sec))}.{milli:03d}Z"


def _json_str(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def workflow_summary(wf: Workflow) -> dict[str, Any]:
    """Conductor's WorkflowSummary of a workflow execution."""
    start = wf.get("startTime") or wf.get("createTime") or 0
    end = wf.get("endTime") or 0
    s: dict[str, Any] = {
        "workflowType": wf.get("workflowName") or wf.get("workflowDefinition", {}).get("name", ""),
        "version": wf.get("workflowVersion") or wf.get("workflowDefinition", {}).get("version", 1),
        "workflowId": wf["workflowId"],
    }
    if wf.get("correlationId") is not None:
        s["correlationId"] = wf["correlationId"]
    created = wf.get("createTime") or start
    if created:
        s["startTime"] = _iso(created)
    if wf.get("updateTime") is not None:
        s["updateTime"] = _iso(wf["updateTime"])
    if end > 0:
        s["endTime"] = _iso(end)
    s["status"] = wf["status"]
    s["input"] = _json_str(wf.get("input") or {})
    s["output"] = _json_str(wf.get("output") or {})
    if wf.get("reasonForIncompletion") is not None:
        s["reasonForIncompletion"] = wf["reasonForIncompletion"]
    s["executionTime"] = end - start if end > 0 else 0
    if wf.get("event") is not None:
        s["event"] = wf["event"]
    s["failedReferenceTaskNames"] = ",".join(wf.get("failedReferenceTaskNames") or ())
    for key in ("externalInputPayloadStoragePath", "externalOutputPayloadStoragePath"):
        if wf.get(key) is not None:
            s[key] = wf[key]
    s["priority"] = wf.get("priority") or 0
    s["failedTaskNames"] = list(wf.get("failedTaskNames") or ())
    if wf.get("createdBy") is not None:
        s["createdBy"] = wf["createdBy"]
    s["taskToDomain"] = wf.get("taskToDomain") or {}
    if wf.get("idempotencyKey") is not None:
        s["idempotencyKey"] = wf["idempotencyKey"]
    s["parentWorkflowId"] = wf.get("parentWorkflowId") or ""
    return s


def _queue_wait(t: Task) -> int:
    start = t.get("startTime") or 0
    scheduled = t.get("scheduledTime") or 0
    return max(0, start - scheduled) if start and scheduled else 0


def task_summary(t: Task, wf: Workflow | None = None) -> dict[str, Any]:
    """Conductor's TaskSummary; `wf` fills workflowType/correlationId when the task lacks them."""
    start = t.get("startTime") or 0
    end = t.get("endTime") or 0
    s: dict[str, Any] = {
        "workflowId": t.get("workflowInstanceId", ""),
        "workflowType": t.get("workflowType") or (wf.get("workflowName", "") if wf else ""),
    }
    cid = t.get("correlationId") or (wf.get("correlationId") if wf else None)
    if cid is not None:
        s["correlationId"] = cid
    s["scheduledTime"] = _iso(t.get("scheduledTime") or 0)
    s["startTime"] = _iso(start)
    s["updateTime"] = _iso(t.get("updateTime") or 0)
    s["endTime"] = _iso(end)
    s["status"] = t["status"]
    if t.get("reasonForIncompletion") is not None:
        s["reasonForIncompletion"] = t["reasonForIncompletion"]
    s["executionTime"] = end - start if end > 0 else 0
    s["queueWaitTime"] = _queue_wait(t)
    if t.get("taskDefName") is not None:
        s["taskDefName"] = t["taskDefName"]
    s["taskType"] = t["taskType"]
    s["input"] = _json_str(t.get("inputData") or {})
    s["output"] = _json_str(t.get("outputData") or {})
    s["taskId"] = t["taskId"]
    for key in ("externalInputPayloadStoragePath", "externalOutputPayloadStoragePath"):
        if t.get(key) is not None:
            s[key] = t[key]
    s["workflowPriority"] = t.get("workflowPriority") or (wf.get("priority", 0) if wf else 0)
    if t.get("domain") is not None:
        s["domain"] = t["domain"]
    return s


# -- searches -----------------------------------------------------------------------------------
def search_workflows(store: SearchBackend, q: SearchQuery, *, summaries: bool = True) -> dict[str, Any]:
    """SearchResult<WorkflowSummary>, or SearchResult<Workflow> (without tasks) when not summaries."""
    total, wfs = store.search_workflows(q)
    results: list[Any]
    if summaries:
        results = [workflow_summary(wf) for wf in wfs]
    else:
        for wf in wfs:
            wf.setdefault("tasks", [])
        results = [public_workflow(wf) for wf in wfs]
    return {"totalHits": total, "results": results}


def search_tasks(store: SearchBackend, q: SearchQuery, *, summaries: bool = True) -> dict[str, Any]:
    """SearchResult<TaskSummary>, or SearchResult<Task> when not summaries."""
    total, tasks = store.search_tasks(q)
    results: list[Any]
    if summaries:
        owners: dict[str, Workflow | None] = {}
        results = []
        for t in tasks:
            wf = None
            if not t.get("workflowType"):  # older records: look the owner up once per workflow
                wid = t.get("workflowInstanceId", "")
                if wid not in owners:
                    owners[wid] = store.get_workflow(wid)
                wf = owners[wid]
            results.append(task_summary(t, wf))
    else:
        for t in tasks:
            t["queueWaitTime"] = _queue_wait(t)
            t["loopOverTask"] = (t.get("iteration") or 0) > 0
        results = list(tasks)
    return {"totalHits": total, "results": results}


def search_workflows_by_tasks(store: SearchBackend, q: SearchQuery, *, summaries: bool = True) -> dict[str, Any]:
    """Workflows owning the tasks that match a task query (Conductor's /search-by-tasks).

    As in Conductor, paging applies to the matching tasks; a page's duplicate or vanished
    workflows are dropped and subtracted from totalHits.
    """
    total, tasks = store.search_tasks(q)
    seen: set[str] = set()
    results: list[Any] = []
    for t in tasks:
        wid = t.get("workflowInstanceId", "")
        if wid in seen:
            continue
        seen.add(wid)
        wf = store.get_workflow(wid)
        if wf is None:
            continue
        if summaries:
            results.append(workflow_summary(wf))
        else:
            wf.setdefault("tasks", [])
            results.append(wf)
    return {"totalHits": max(0, total - (len(tasks) - len(results))), "results": results}


class SearchService:
    """Search bound to a store, for the API and the UI."""

    def __init__(self, store: SearchBackend) -> None:
        self.store = store

    def workflows(self, q: SearchQuery, *, summaries: bool = True) -> dict[str, Any]:
        return search_workflows(self.store, q, summaries=summaries)

    def workflows_by_tasks(self, q: SearchQuery, *, summaries: bool = True) -> dict[str, Any]:
        return search_workflows_by_tasks(self.store, q, summaries=summaries)

    def tasks(self, q: SearchQuery, *, summaries: bool = True) -> dict[str, Any]:
        return search_tasks(self.store, q, summaries=summaries)
