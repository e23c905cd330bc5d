"""Statements that write a run of rows: ``ROWS(<tuple>)`` in the SQL stands for one tuple per row.

A list of tuples costs the client little more than one row; array parameters (``unnest``) would be
escaped element by element in Python, which costs more than the statements they save. The tuple's
parameters are named (``%(column)s``); each row is a mapping of those names, laid out positionally
here once per statement, since a name can only be bound once per statement.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]
# The most rows one statement writes (each takes up to 9 of the 65,535 parameters).
MAX_RUN = 500
# The tuple may nest parentheses two deep: a function call around a named parameter, ``lower(%(b)s)``.
_ROWS = re.compile(r"ROWS(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))")
_NAMED = re.compile(r"%\((\w+)\)s")


def _tuple(sql: str) -> re.Match[str]:
    m = _ROWS.search(sql)
    if m is None:
        raise ValueError("no ROWS(...) in the statement")
    return m


@functools.lru_cache(maxsize=64)
def row_fields(sql: str) -> tuple[str, ...]:
    """The names of the parameters of ``sql``'s ``ROWS(<tuple>)``, in order."""
    return tuple(_NAMED.findall(_tuple(sql).group(1)))


@functools.lru_cache(maxsize=1024)
def rows_sql(sql: str, n: int) -> str:
    """``sql`` with its ``ROWS(<tuple>)`` written out as ``n`` comma-separated positional tuples."""
    m = _tuple(sql)
    one = _NAMED.sub("%s", m.group(1))
    return sql[: m.start()] + ", ".join([one] * n) + sql[m.end() :]


def row_values(sql: str, rows: Sequence[Row]) -> list[Any]:
    """The parameters of ``rows_sql(sql, len(rows))`` for ``rows``."""
    fields = row_fields(sql)
    return [row[f] for row in rows for f in fields]


def send_rows(execute: Callable[[str, list[Any]], object], sql: str, rows: Sequence[Row]) -> None:
    """Execute ``sql`` for ``rows``, ``MAX_RUN`` rows per statement."""
    for i in range(0, len(rows), MAX_RUN):
        chunk = rows[i : i + MAX_RUN]
        execute(rows_sql(sql, len(chunk)), row_values(sql, chunk))
