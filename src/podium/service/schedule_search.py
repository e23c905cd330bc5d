"""Searching schedules and their executions (docs/scheduler.md): sorting rows and the small query language of
``GET /api/scheduler/search/executions``."""

from __future__ import annotations

import re
from typing import Any

from podium.domain.errors import FieldError, ValidationFailed


def sort_rows(rows: list[dict[str, Any]], sort: str | None, default: str) -> list[dict[str, Any]]:
    """Rows sorted by ``field[:ASC|DESC]`` (numbers before text, missing values last)."""
    field, _, order = (sort or default).partition(":")
    field = field.strip() or default

    def key(row: dict[str, Any]) -> tuple[int, float, str]:
        v = row.get(field)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1 if v is not None else 2, 0.0, str(v or ""))

    return sorted(rows, key=key, reverse=order.strip().upper() == "DESC")


_QUERY_FIELDS = {"schedulename": "scheduleName", "workflowname": "workflowName", "workflowid": "workflowId",
                 "executionid": "executionId", "state": "state", "status": "state"}  # fmt: skip


_IN = re.compile(r"\s+IN\s*\(", re.IGNORECASE)
MAX_QUERY = 4096


def parse_query(query: str) -> dict[str, set[str]]:
    """``a = x AND b IN (y, z)`` → {a: {x}, b: {y, z}}; a 400 naming what is not understood."""
    out: dict[str, set[str]] = {}
    text = query.strip()
    if not text or text == "*":
        return out
    if len(text) > MAX_QUERY:
        raise ValidationFailed([FieldError("query", f"query is longer than {MAX_QUERY} characters", None)])
    for clause in re.split(r"\s+AND\s+", text, flags=re.IGNORECASE):
        clause = clause.strip().removeprefix("(").removesuffix(")").strip()
        name, sep, values = clause.partition("=")
        listed = False
        if not sep:
            m = _IN.search(clause)
            if m is not None:
                name, values, listed = clause[: m.start()], clause[m.end() :], True
        field = _QUERY_FIELDS.get(name.strip().lower()) if (sep or listed) else None
        if field is None:
            known = "scheduleName, workflowName, workflowId, executionId, state"
            raise ValidationFailed([FieldError("query", f"Cannot search by '{clause}' (fields: {known})")])
        values = values.strip().strip("()")
        if listed:
            parts = {v.strip().strip("'\"") for v in values.split(",")}
        else:
            parts = {values.strip().strip("'\"")}
        out[field] = out[field] & parts if field in out else parts
    return out
