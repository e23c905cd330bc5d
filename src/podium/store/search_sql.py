"""SQL for searches: a parsed SearchQuery becomes a WHERE clause over whitelisted columns.

Field names never reach SQL text unless they are in the whitelist; values are always parameters.
"""

from __future__ import annotations

from typing import Any

from podium.store.protocols import SearchQuery

_WF_COLUMNS = {
    "workflowType": "name",
    "workflowId": "workflow_id",
    "correlationId": "correlation_id",
    "status": "status",
    "startTime": "start_time",
    "endTime": "end_time",
    "updateTime": "update_time",
    "parentWorkflowId": "parent_workflow_id",
    "version": "version",
}
_TASK_COLUMNS = {
    "taskType": "t.task_type",
    "taskDefName": "t.task_def_name",
    "taskId": "t.task_id",
    "status": "t.status",
    "workflowId": "t.workflow_id",
    "updateTime": "t.update_time",
    "referenceTaskName": "t.ref_name",
    "workflowType": "w.name",
    "correlationId": "w.correlation_id",
    "startTime": "w.start_time",
}

SEARCHABLE_WORKFLOW_FIELDS = frozenset(_WF_COLUMNS)
SEARCHABLE_TASK_FIELDS = frozenset(_TASK_COLUMNS)


def _where(q: SearchQuery, columns: dict[str, str], json_col: str, dialect: str) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    ph = "?" if dialect == "sqlite" else "%s"
    for field, op, value in q.clauses:
        col = columns[field]
        if op == "IN":
            values = list(value)
            parts.append(f"{col} IN ({', '.join([ph] * len(values))})")
            args.extend(values)
        elif op == "=" and isinstance(value, str) and "*" in value:
            parts.append(f"{col} LIKE {ph}")
            args.append(value.replace("%", r"\%").replace("*", "%"))
        elif op in ("=", ">", "<", ">=", "<=", "!="):
            parts.append(f"{col} {op} {ph}")
            args.append(value)
    text = q.free_text.strip()
    if text and text != "*":
        parts.append(f"{json_col} LIKE {ph}")
        args.append("%" + text.replace("*", "%") + "%")
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


def _order(q: SearchQuery, columns: dict[str, str], default: str) -> str:
    items = [f"{columns[f]} {'DESC' if desc else 'ASC'}" for f, desc in q.sort if f in columns]
    return " ORDER BY " + ", ".join(items or [default])


def _limit(dialect: str) -> str:
    return " LIMIT ? OFFSET ?" if dialect == "sqlite" else " LIMIT %s OFFSET %s"


def search_workflows_sql(q: SearchQuery, dialect: str) -> tuple[str, str, list[Any]]:
    """(count sql, page sql, args); the page sql takes two more args: size, start."""
    where, args = _where(q, _WF_COLUMNS, "json", dialect)
    count = "SELECT count(*) FROM workflows" + where
    rows = "SELECT def_hash, json FROM workflows" + where + _order(q, _WF_COLUMNS, "start_time DESC")
    return count, rows + _limit(dialect), args


def search_tasks_sql(q: SearchQuery, dialect: str) -> tuple[str, str, list[Any]]:
    """(count sql, page sql, args) for task search; joins the workflow for its fields."""
    where, args = _where(q, _TASK_COLUMNS, "t.json", dialect)
    base = " FROM tasks t JOIN workflows w ON w.workflow_id = t.workflow_id"
    count = "SELECT count(*)" + base + where
    rows = "SELECT t.json" + base + where + _order(q, _TASK_COLUMNS, "t.update_time DESC")
    return count, rows + _limit(dialect), args
