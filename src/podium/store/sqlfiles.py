"""Loads named SQL blocks (``-- name: x``) and migration files shipped per dialect."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


@cache
def queries(dialect: str) -> dict[str, str]:
    """The named queries of ``sql/<dialect>/queries.sql``, loaded once."""
    text = resources.files("podium.store").joinpath("sql", dialect, "queries.sql").read_text("utf-8")
    parts = _NAME.split(text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        out[name] = body.strip()
    return out


def migrations(dialect: str) -> list[tuple[int, str]]:
    """(version, sql) of every ``NNNN_*.sql`` migration of the dialect, in order."""
    folder = resources.files("podium.store").joinpath("sql", dialect)
    found: list[tuple[int, str]] = []
    for entry in folder.iterdir():
        m = re.match(r"^(\d{4})_.*\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text("utf-8")))
    return sorted(found)
