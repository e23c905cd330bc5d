"""Schema migrations for PostgreSQL: numbered files applied in order, recorded in ``schema_version``.

Every node runs this at start-up; a transaction-scoped advisory lock makes concurrent starts apply
each migration once, and DDL being transactional means a failed upgrade leaves the old schema.
"""

from __future__ import annotations

from typing import Any

import psycopg

from podium.store.postgres.queries import Q
from podium.store.sqlfiles import migrations

# An arbitrary constant naming Podium's migration lock ("podium" in ASCII).
MIGRATION_LOCK = 0x706F6469756D


def migrate(conn: psycopg.Connection[Any], target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: all) in one transaction; returns the version."""
    with conn.transaction():
        conn.execute(Q["migration_lock"], (MIGRATION_LOCK,))
        conn.execute(Q["schema_version_table"])
        row = conn.execute(Q["schema_version"]).fetchone()
        current = int(row[0] or 0) if row else 0
        for version, sql in migrations("postgres"):
            if version <= current or (target is not None and version > target):
                continue
            conn.execute(sql.encode(), prepare=False)  # a whole file: the simple protocol runs it all
            conn.execute(Q["schema_version_add"], (version,))
            current = version
    return current


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The applied version (0 for an empty database)."""
    row = conn.execute(Q["schema_version_exists"]).fetchone()
    if not row or not row[0]:
        return 0
    got = conn.execute(Q["schema_version"]).fetchone()
    return int(got[0] or 0) if got else 0
