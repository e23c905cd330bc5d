"""Schema migrations for PostgreSQL: numbered files applied in order, recorded in ``schema_version``.

Every node runs this at start-up; a transaction-scoped advisory lock makes concurrent starts apply
each migration once, and DDL being transactional means a failed upgrade leaves the old schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.errors

from podium.store.postgres.queries import Q
from podium.store.sqlfiles import migrations

# An arbitrary constant naming Podium's migration lock ("podium" in ASCII).
MIGRATION_LOCK = 0x706F6469756D


def migrate(conn: psycopg.Connection[Any], target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: all) in one transaction; returns the version."""
    with conn.transaction():
        conn.execute(Q["migration_lock"], (MIGRATION_LOCK,))
        exists = conn.execute(Q["schema_version_exists"]).fetchone()
        if not (exists and exists[0]):  # asked only then: a role without CREATE may run a current schema
            with _upgrading(conn, 0):
                conn.execute(Q["schema_version_table"])
        row = conn.execute(Q["schema_version"]).fetchone()
        current = int(row[0] or 0) if row else 0
        for version, sql in migrations("postgres"):
            if version <= current or (target is not None and version > target):
                continue
            with _upgrading(conn, current):
                conn.execute(sql.encode(), prepare=False)  # a whole file: the simple protocol runs it all
            conn.execute(Q["schema_version_add"], (version,))
            current = version
    return current


class SchemaUpgradeDenied(RuntimeError):
    """The schema needs migrations that this connection's role may not apply."""


@contextmanager
def _upgrading(conn: psycopg.Connection[Any], current: int) -> Iterator[None]:
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as e:
        latest = max(v for v, _ in migrations("postgres"))
        raise SchemaUpgradeDenied(
            f"The database schema is at version {current} and this release needs version {latest}, but role "
            f"{conn.info.user} may not upgrade it ({e.diag.message_primary}). Start one node with a role that "
            "owns the tables (or may create them in schema public) first; nodes then need only read and write."
        ) from None


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The applied version (0 for an empty database)."""
    row = conn.execute(Q["schema_version_exists"]).fetchone()
    if not row or not row[0]:
        return 0
    got = conn.execute(Q["schema_version"]).fetchone()
    return int(got[0] or 0) if got else 0
