"""SQL for execution searches (Conductor's search endpoints): a parsed SearchQuery becomes a count and a page statement.

Field names reach SQL text only through the whitelists below and values are always bound parameters,
so no user input is ever spliced into a statement. The page statement pages over row keys in an inner
query (which an index can often answer alone) and joins the JSON bodies of just that page, so sorting
or deep offsets never drag every record's JSON through the sorter.

On SQLite, workflow free text first narrows the rows to candidates through a trigram index of the
terminal workflows' bodies (migration 0003), then checks each candidate with the same LIKE as the plain
scan, so results, order and totals are the same either way; only the rows the LIKE reads differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from podium.domain.search import SearchQuery
from podium.domain.statuses import WORKFLOW_STATUSES, WORKFLOW_TERMINAL

STR: Final = "str"
INT: Final = "int"
TIME: Final = "time"  # epoch milliseconds


@dataclass(frozen=True, slots=True)
class Field:
    """A searchable field: its value kind and its SQL expression per dialect."""

    kind: str
    sqlite: str
    postgres: str
    nullable: bool = True


def _col(column: str, kind: str = STR, nullable: bool = False) -> Field:
    return Field(kind, column, column, nullable)


# PostgreSQL keeps an ended workflow's body in ``ended_json`` and a running one's in ``json`` (migration 0010).
PG_WORKFLOW_BODY: Final = "COALESCE(json, ended_json)"


def _doc(key: str, kind: str = STR, pg_body: str = "json") -> Field:
    # SQLite stores the body as a BLOB of UTF-8 JSON; its JSON functions want TEXT.
    pg = f"({pg_body}::jsonb ->> '{key}')" + ("" if kind == STR else "::bigint")
    return Field(kind, f"json_extract(CAST(json AS TEXT), '$.{key}')", pg)


def _wf_doc(key: str, kind: str = STR) -> Field:
    return _doc(key, kind, PG_WORKFLOW_BODY)


_EXEC_TIME = "(CASE WHEN end_time > 0 THEN end_time - start_time ELSE 0 END)"

WORKFLOW_FIELDS: Final[dict[str, Field]] = {
    "workflowType": _col("name"),
    "version": _col("version", INT),
    "workflowId": _col("workflow_id"),
    "correlationId": _col("correlation_id", nullable=True),
    "status": _col("status"),
    "startTime": _col("start_time", TIME),
    "updateTime": _col("update_time", TIME),
    "endTime": _col("end_time", TIME, nullable=True),
    "parentWorkflowId": _col("parent_workflow_id", nullable=True),
    "executionTime": Field(INT, _EXEC_TIME, _EXEC_TIME, False),
    "reasonForIncompletion": _wf_doc("reasonForIncompletion"),
    "event": _wf_doc("event"),
    "priority": _wf_doc("priority", INT),
    "idempotencyKey": _wf_doc("idempotencyKey"),
    "createdBy": _wf_doc("createdBy"),
    "parentWorkflowTaskId": _wf_doc("parentWorkflowTaskId"),
    "reRunFromWorkflowId": _wf_doc("reRunFromWorkflowId"),
}

TASK_FIELDS: Final[dict[str, Field]] = {
    "taskId": _col("task_id"),
    "taskType": _col("task_type"),
    "taskDefName": _col("task_def_name", nullable=True),
    "status": _col("status"),
    "workflowId": _col("workflow_id"),
    "referenceTaskName": _col("ref_name"),
    "updateTime": _col("update_time", TIME),
    "seq": _col("seq", INT),
    "workflowType": _doc("workflowType"),
    "correlationId": _doc("correlationId"),
    "scheduledTime": _doc("scheduledTime", TIME),
    "startTime": _doc("startTime", TIME),
    "endTime": _doc("endTime", TIME),
    "workerId": _doc("workerId"),
    "domain": _doc("domain"),
    "reasonForIncompletion": _doc("reasonForIncompletion"),
    "retryCount": _doc("retryCount", INT),
    "iteration": _doc("iteration", INT),
    "workflowPriority": _doc("workflowPriority", INT),
}

# Other names clients use for the same fields.
WORKFLOW_ALIASES: Final = {"workflowName": "workflowType", "workflowVersion": "version", "createTime": "startTime"}
TASK_ALIASES: Final = {"workflowInstanceId": "workflowId", "taskRefName": "referenceTaskName"}

SEARCHABLE_WORKFLOW_FIELDS: Final = frozenset(WORKFLOW_FIELDS)
SEARCHABLE_TASK_FIELDS: Final = frozenset(TASK_FIELDS)
OPERATORS: Final = frozenset({"=", "!=", ">", "<", ">=", "<=", "IN"})


@dataclass(frozen=True, slots=True)
class _Target:
    table: str
    fields: dict[str, Field]
    default_sort: tuple[tuple[str, bool], ...]
    columns: str  # what the page statement returns, from alias w
    pg_columns: str  # the same on PostgreSQL
    pg_key: str  # primary key (SQLite uses the rowid, which every index carries)


_WORKFLOWS = _Target(
    "workflows",
    WORKFLOW_FIELDS,
    (("startTime", True),),
    "w.def_hash, w.json",
    "w.def_hash, COALESCE(w.json, w.ended_json)",
    "workflow_id",
)
_TASKS = _Target("tasks", TASK_FIELDS, (("updateTime", True),), "w.json", "w.json", "task_id")


@dataclass(frozen=True, slots=True)
class _Dialect:
    name: str
    ph: str  # parameter placeholder
    doc: str  # the body as text, for free text
    contains: str  # case-insensitive LIKE
    not_distinct: str  # null-safe "!=": {expr} IS NOT / IS DISTINCT FROM {ph}


_SQLITE = _Dialect("sqlite", "?", "CAST(json AS TEXT)", "LIKE", "IS NOT")
# The body column is TEXT already: a bare column is what the trigram index (migration 0008) is built on.
_POSTGRES = _Dialect("postgres", "%s", "json", "ILIKE", "IS DISTINCT FROM")


def _dialect(name: str) -> _Dialect:
    if name == "sqlite":
        return _SQLITE
    if name in ("postgres", "postgresql"):
        return _POSTGRES
    raise ValueError(f"unsupported SQL dialect {name!r}")


_TERM = re.compile(r'"([^"]*)"|(\S+)')


def free_text_terms(text: str) -> list[str]:
    """Split free text into terms that must all occur; '"a phrase"' stays one term, '*' means all."""
    terms: list[str] = []
    for m in _TERM.finditer(text):
        term = m.group(1) if m.group(1) is not None else m.group(2)
        if term.strip("*") and term.upper() != "AND":
            terms.append(term)
    return terms


def like_pattern(text: str, anchored: bool) -> str:
    """A LIKE pattern (escape character '\\') where '*' is the only wildcard."""
    body = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    return body if anchored else f"%{body}%"


def _sql_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


# Open workflow statuses as an SQL list (constants, never user input).
_OPEN_SQL: Final = _sql_list(WORKFLOW_STATUSES - WORKFLOW_TERMINAL)

# The trigram index finds literal runs of at least this many characters.
MIN_INDEXED_RUN: Final = 3

# SQLite free-text candidates: indexed terminal workflows whose body holds every trigram, every running or
# paused workflow (via the status index), and terminal workflows still queued for indexing. Any workflow
# the LIKE matches is in one of the three; stale index entries are harmless since the LIKE re-checks.
# The candidates drive the plan: filters on the other fields get a unary '+' so that SQLite (which has no
# statistics and takes any equality for selective) does not walk, say, every row of a type through its
# index instead. Ids keep their indexes, since they find a few rows at most.
_KEEP_INDEX: Final = frozenset({"workflowId", "correlationId", "parentWorkflowId"})
_CANDIDATES: Final = (
    "rowid IN (SELECT rowid FROM workflow_text WHERE workflow_text MATCH ?"
    f" UNION ALL SELECT rowid FROM workflows WHERE status IN {_OPEN_SQL}"
    " UNION ALL SELECT workflow_rowid FROM workflow_text_pending)"
)


def text_index_query(terms: Iterable[str]) -> str | None:
    """An FTS5 query that every body containing all ``terms`` (as LIKE reads them) matches; None if no term
    has a literal run of ``MIN_INDEXED_RUN`` characters between its '*' wildcards.

    The index keeps no positions, so each run becomes all of its trigrams, each a quoted token (a '"'
    inside is doubled, so FTS5 syntax in a term stays text) that every matching body must hold. Like LIKE,
    the trigram tokenizer ignores ASCII case; it folds other letters too, which only widens the candidates.
    """
    grams: dict[str, None] = {}
    for term in terms:
        for run in term.split("*"):
            for i in range(len(run) - MIN_INDEXED_RUN + 1):
                grams['"' + run[i : i + MIN_INDEXED_RUN].lower().replace('"', '""') + '"'] = None
    return " AND ".join(grams) or None


def _glob_pattern(text: str) -> str:
    # GLOB is case-sensitive like a keyword match; '*' stays a wildcard, '?' and '[' become literals.
    return "".join("[" + ch + "]" if ch in "?[" else ch for ch in text)


def _field(target: _Target, name: str) -> Field:
    f = target.fields.get(name)
    if f is None:
        raise ValueError(f"field {name!r} is not searchable in {target.table}")
    return f


def _wildcard(d: _Dialect, expr: str, value: str, negate: bool, args: list[Any]) -> str:
    if d is _SQLITE:
        args.append(_glob_pattern(value))
        test = f"{expr} GLOB ?"
    else:
        args.append(like_pattern(value, anchored=True))
        test = f"{expr} LIKE %s ESCAPE '\\'"
    return f"({expr} IS NULL OR NOT ({test}))" if negate else test


def _clause(d: _Dialect, f: Field, expr: str, op: str, value: Any, args: list[Any]) -> str:
    ph = d.ph
    if op == "IN":
        values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        if not values:
            return "1 = 0"
        args.extend(values)
        return f"{expr} IN ({', '.join([ph] * len(values))})"
    if op not in OPERATORS:
        raise ValueError(f"unsupported search operator {op!r}")
    if op in ("=", "!=") and isinstance(value, str) and f.kind == STR:
        if "*" in value:
            return _wildcard(d, expr, value, op == "!=", args)
        if value == "" and f.nullable:
            # A missing value searches as the empty string (e.g. parentWorkflowId of a top-level run).
            return f"({expr} IS NULL OR {expr} = '')" if op == "=" else f"({expr} IS NOT NULL AND {expr} != '')"
    args.append(value)
    if op == "!=" and f.nullable:
        return f"{expr} {d.not_distinct} {ph}"
    return f"{expr} {op} {ph}"


def _where(q: SearchQuery, target: _Target, d: _Dialect, text_index: bool) -> tuple[str, list[Any], bool]:
    """The WHERE clause, its args, and whether it scans the JSON bodies for free text."""
    parts: list[str] = []
    args: list[Any] = []
    terms = free_text_terms(q.free_text) if q.free_text else []
    match = text_index_query(terms) if text_index and d is _SQLITE and target is _WORKFLOWS else None
    for name, op, value in q.clauses:
        f = _field(target, name)
        expr = f.sqlite if d is _SQLITE else f.postgres
        if match is not None and name not in _KEEP_INDEX:
            expr = "+" + expr
        parts.append(_clause(d, f, expr, op, value, args))
    if match is not None:
        parts.append(_CANDIDATES)
        args.append(match)
    likes = [f"{d.doc} {d.contains} {d.ph}" + ("" if d is _POSTGRES else " ESCAPE '\\'") for _ in terms]
    patterns = [like_pattern(term, anchored=False) for term in terms]
    if terms and d is _POSTGRES and target is _WORKFLOWS:
        # Ended workflows through the trigram index of their bodies (ended_json, migration 0010), open ones
        # through the status index; the same ILIKE checks both (backslash is PostgreSQL's default escape).
        ended = " AND ".join(f"ended_json {d.contains} {d.ph}" for _ in terms)
        both = " AND ".join(likes)
        parts.append(f"(({ended}) OR (status IN {_OPEN_SQL} AND {both}))")
        args.extend(patterns + patterns)
    else:
        parts.extend(likes)
        args.extend(patterns)
    return (" WHERE " + " AND ".join(parts)) if parts else "", args, bool(terms)


def _sql(q: SearchQuery, target: _Target, dialect: str, text_index: bool = False) -> tuple[str, str, list[Any]]:
    d = _dialect(dialect)
    where, args, scans_text = _where(q, target, d, text_index)
    key = "rowid" if d is _SQLITE else target.pg_key
    sort: Sequence[tuple[str, bool]] = q.sort
    if not sort:
        # Unsorted free text (Conductor leaves the order open) walks SQLite's table newest-insert first:
        # a sequential scan that stops after one page, instead of one rowid seek per row via an index.
        sort = () if scans_text and d is _SQLITE else target.default_sort
    keys: list[str] = []
    inner_order: list[str] = []
    outer_order: list[str] = []
    for i, (name, desc) in enumerate(sort):
        f = _field(target, name)
        expr = f.sqlite if d is _SQLITE else f.postgres
        # Missing values sort last either way (as Elasticsearch does); SQLite and Postgres disagree
        # by default. Only nullable keys say so, which keeps NOT NULL columns index-ordered.
        direction = (" DESC" if desc else "") + (" NULLS LAST" if f.nullable else "")
        keys.append(f", {expr} AS k{i}")
        inner_order.append(expr + direction)
        outer_order.append(f"p.k{i}{direction}")
    # A unique tie-breaker makes paging stable; it follows the last key's direction so an index on
    # that key (which ends with the row key) still yields the order without a sort.
    tie = " DESC" if not sort or sort[-1][1] else ""
    inner_order.append(key + tie)
    outer_order.append("p.r" + tie)
    count = f"SELECT count(*) FROM {target.table}{where}"
    inner = (
        f"SELECT {key} AS r{''.join(keys)} FROM {target.table}{where}"
        f" ORDER BY {', '.join(inner_order)} LIMIT {d.ph} OFFSET {d.ph}"
    )
    columns = target.columns if d is _SQLITE else target.pg_columns
    page = f"SELECT {columns} FROM ({inner}) p JOIN {target.table} w ON w.{key} = p.r ORDER BY {', '.join(outer_order)}"
    return count, page, args


def search_workflows_sql(q: SearchQuery, dialect: str, *, text_index: bool = False) -> tuple[str, str, list[Any]]:
    """(count sql, page sql, args); the page sql takes two more args: size, start.

    ``text_index`` (SQLite only, needs migration 0003): narrow free text through the trigram index first.
    """
    return _sql(q, _WORKFLOWS, dialect, text_index)


def search_tasks_sql(q: SearchQuery, dialect: str) -> tuple[str, str, list[Any]]:
    """(count sql, page sql, args) for task search; the page sql returns the task JSON only."""
    return _sql(q, _TASKS, dialect)


# PostgreSQL counts matches exactly up to this many; past it, totalHits is the planner's estimate (never
# below the count reached). Counting a million rows costs a scan of them on every search, where a capped
# count stops early; Elasticsearch 7 (Conductor's usual index) tracks totals to 10,000 the same way.
EXACT_TOTAL_CAP: Final = 10_000


def capped_count_sql(count_sql: str, cap: int = EXACT_TOTAL_CAP) -> tuple[str, str]:
    """(count of at most ``cap + 1`` matches, EXPLAIN whose estimate stands for a larger total)
    from a count statement of ``_sql``; both take the count statement's args."""
    rest = count_sql.removeprefix("SELECT count(*) ")
    if rest == count_sql:
        raise ValueError("not a count statement of search_sql")
    capped = f"SELECT count(*) FROM (SELECT 1 {rest} LIMIT {cap + 1}) c"
    return capped, f"EXPLAIN (FORMAT JSON) SELECT 1 {rest}"
