"""The named statements of ``sql/postgres/queries.sql``, loaded once, without comments or the final ``;``."""

from __future__ import annotations

from podium.store.sqlfiles import queries


def _clean(sql: str) -> str:
    lines = [ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


Q = {name: _clean(sql) for name, sql in queries("postgres").items()}
