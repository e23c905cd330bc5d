"""The named statements of ``sql/postgres/queries.sql``, loaded once, without comments or the final ``;``."""

from __future__ import annotations

from podium.store.sqlfiles import queries


def _clean(sql: str) -> str:
    lines = [ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


Q = {name: _clean(sql) for name, sql in queries("postgres").items()}
# A workflow's update that also wakes whoever waits on it on another node: the quiet one, wrapped.
Q["update_workflow"] = f"WITH updated AS (\n{Q['update_workflow_quiet']})\nSELECT pg_notify('podium_queue', %(notify)s)"
