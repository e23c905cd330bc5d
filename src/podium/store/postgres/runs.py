"""Statements that write a run of rows: ``ROWS(<tuple>)`` in the SQL stands for one tuple per row.

A list of tuples costs the client little more than one row; array parameters (``unnest``) would be
escaped element by element in Python, which costs more than the statements they save.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import psycopg

# The most rows one statement writes (each takes up to 9 of the 65,535 parameters).
MAX_RUN = 500
_ROWS = re.compile(r"ROWS(\((?:[^()]|\([^()]*\))*\))")


@functools.lru_cache(maxsize=1024)
def rows_sql(sql: str, n: int) -> str:
    """``sql`` with its ``ROWS(<tuple>)`` written out as ``n`` comma-separated tuples."""
    m = _ROWS.search(sql)
    if m is None:
        raise ValueError("no ROWS(...) in the statement")
    return sql[: m.start()] + ", ".join([m.group(1)] * n) + sql[m.end() :]


def send_rows(cur: psycopg.Cursor[Any], sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Execute ``sql`` for ``rows`` (argument tuples), ``MAX_RUN`` rows per statement."""
    for i in range(0, len(rows), MAX_RUN):
        chunk = rows[i : i + MAX_RUN]
        cur.execute(rows_sql(sql, len(chunk)), [a for row in chunk for a in row])
