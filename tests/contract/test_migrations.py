"""The migration runners: a database upgraded step by step ends with exactly the schema of a fresh one."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pg_cluster import PgCluster
from podium.store.postgres import PostgresStore
from podium.store.postgres.migrations import SchemaUpgradeDenied, migrate, schema_version
from podium.store.sqlfiles import migrations
from podium.store.sqlite import SqliteStore

PG_VERSIONS = [v for v, _ in migrations("postgres")]
SQLITE_VERSIONS = [v for v, _ in migrations("sqlite")]


def test_migration_files_are_numbered_without_gaps() -> None:
    for versions in (PG_VERSIONS, SQLITE_VERSIONS):
        assert versions == list(range(1, len(versions) + 1))


# -- PostgreSQL ---------------------------------------------------------------------------------
def pg_schema(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    cols = conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity"
        " FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
    ).fetchall()
    indexes = conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
    ).fetchall()
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
    ).fetchall()
    return {"columns": cols, "indexes": indexes, "constraints": constraints}


@pytest.fixture()
def empty_pg(postgres: PgCluster) -> Iterator[str]:
    name = postgres.create_database(template=None)
    try:
        yield postgres.url(name)
    finally:
        postgres.drop_database(name)


@pytest.fixture()
def fresh_pg_schema(pg_url: str) -> dict[str, Any]:
    with psycopg.connect(pg_url, autocommit=True) as c:
        return pg_schema(c)


@pytest.mark.parametrize("start", [0, *PG_VERSIONS])
def test_postgres_upgrade_from_each_version_equals_fresh(
    empty_pg: str, fresh_pg_schema: dict[str, Any], start: int
) -> None:
    with psycopg.connect(empty_pg, autocommit=True) as c:
        assert migrate(c, target=start) == start
        assert schema_version(c) == start
        if start:  # an old release's data survives the upgrade
            c.execute("INSERT INTO task_defs (name, json) VALUES ('old', '{}')")
    store = PostgresStore(empty_pg)  # what a node does at start-up
    store.close()
    with psycopg.connect(empty_pg, autocommit=True) as c:
        assert schema_version(c) == PG_VERSIONS[-1]
        assert pg_schema(c) == fresh_pg_schema
        assert [r[0] for r in c.execute("SELECT version FROM schema_version ORDER BY 1")] == PG_VERSIONS
        if start:
            assert c.execute("SELECT count(*) FROM task_defs").fetchone() == (1,)


def test_postgres_nodes_starting_together_migrate_once(empty_pg: str, fresh_pg_schema: dict[str, Any]) -> None:
    errors: list[BaseException] = []

    def start_node() -> None:
        try:
            PostgresStore(empty_pg).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=start_node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with psycopg.connect(empty_pg, autocommit=True) as c:
        assert [r[0] for r in c.execute("SELECT version FROM schema_version ORDER BY 1")] == PG_VERSIONS
        assert pg_schema(c) == fresh_pg_schema


def test_postgres_migrate_again_is_a_no_op(pg_url: str, fresh_pg_schema: dict[str, Any]) -> None:
    with psycopg.connect(pg_url, autocommit=True) as c:
        assert migrate(c) == PG_VERSIONS[-1]
        assert pg_schema(c) == fresh_pg_schema
        assert c.execute("SELECT count(*) FROM schema_version").fetchone() == (len(PG_VERSIONS),)


# -- SQLite -------------------------------------------------------------------------------------
def sqlite_schema(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as c:
        objects = c.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
        ).fetchall()
        columns = {
            name: c.execute(f"PRAGMA table_info({name})").fetchall() for _t, name, _tb, _s in objects if _t == "table"
        }
    return {"objects": objects, "columns": columns}


def sqlite_at(path: Path, version: int) -> None:
    """A database as an older release left it: migrations up to ``version`` applied."""
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for v, sql in migrations("sqlite"):
            if v <= version:
                c.executescript(sql)
                c.execute("INSERT INTO schema_version (version) VALUES (?)", (v,))


@pytest.mark.parametrize("start", [0, *SQLITE_VERSIONS])
def test_sqlite_upgrade_from_each_version_equals_fresh(tmp_path: Path, start: int) -> None:
    SqliteStore(f"sqlite:///{tmp_path / 'fresh.db'}").close()
    old = tmp_path / "old.db"
    sqlite_at(old, start)
    store = SqliteStore(f"sqlite:///{old}")
    assert store.migrate() == SQLITE_VERSIONS[-1]
    store.close()
    assert sqlite_schema(old) == sqlite_schema(tmp_path / "fresh.db")
    with sqlite3.connect(old) as c:
        assert [r[0] for r in c.execute("SELECT version FROM schema_version ORDER BY 1")] == SQLITE_VERSIONS


# -- data: workflows decided by an older release ------------------------------------------------
# (workflow_id, status, next_check) before the upgrade; a far-future check and a missing one become "now",
# an earlier one stays, an ended workflow is left alone.
OLD_CHECKS = [
    ("running-none", "RUNNING", None),
    ("running-late", "RUNNING", 2**60),
    ("running-early", "RUNNING", 5),
    ("paused-none", "PAUSED", None),
    ("done", "COMPLETED", None),
]


def _old_workflow_rows() -> list[tuple[Any, ...]]:
    return [(wid, "f", 1, status, None, None, 1, 1, None, check, "h", "{}") for wid, status, check in OLD_CHECKS]


def _upgrade_problems(checks: dict[str, int | None], before_ms: int, after_ms: int) -> list[str]:
    """What is wrong with the checks after the upgrade: every running or paused workflow must be due by
    the upgrade's "now" (at second precision), an earlier check kept, an ended workflow left alone."""
    wrong = []
    for wid in ("running-none", "running-late", "paused-none"):
        at = checks[wid]
        if at is None or not before_ms - 1000 <= at <= after_ms:
            wrong.append(f"{wid}: {at} not in [{before_ms - 1000}, {after_ms}]")
    if checks["running-early"] != 5:
        wrong.append(f"running-early: {checks['running-early']}")
    if checks["done"] is not None:
        wrong.append(f"done: {checks['done']}")
    return wrong


def test_postgres_upgrade_makes_running_workflows_due(empty_pg: str) -> None:
    """postgres 0009: workflows decided before it carry no check for their polled tasks' response
    timeouts, so the upgrade makes each running one due at once (docs/architecture.md, "Next checks")."""
    with psycopg.connect(empty_pg, autocommit=True) as c:
        migrate(c, target=8)
        c.cursor().executemany(
            "INSERT INTO workflows (workflow_id, name, version, status, correlation_id, parent_workflow_id,"
            " start_time, update_time, end_time, next_check, def_hash, json)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            _old_workflow_rows(),
        )
    before = time.time_ns() // 1_000_000
    PostgresStore(empty_pg).close()
    after = time.time_ns() // 1_000_000
    with psycopg.connect(empty_pg, autocommit=True) as c:
        checks: dict[str, int | None] = dict(c.execute("SELECT workflow_id, next_check FROM workflows").fetchall())
    assert _upgrade_problems(checks, before, after) == []


def test_sqlite_upgrade_makes_running_workflows_due(tmp_path: Path) -> None:
    """sqlite 0010: the same as postgres 0009."""
    old = tmp_path / "old.db"
    sqlite_at(old, 9)
    with sqlite3.connect(old) as c:
        c.executemany("INSERT INTO workflows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _old_workflow_rows())
    before = time.time_ns() // 1_000_000
    SqliteStore(f"sqlite:///{old}").close()
    after = time.time_ns() // 1_000_000
    with sqlite3.connect(old) as c:
        checks: dict[str, int | None] = dict(c.execute("SELECT workflow_id, next_check FROM workflows").fetchall())
    assert _upgrade_problems(checks, before, after) == []


# -- roles --------------------------------------------------------------------------------------
@pytest.fixture()
def dml_role(postgres: PgCluster, empty_pg: str) -> Iterator[str]:
    """The URL of ``empty_pg`` for a role that may read and write every table but create nothing (the
    default for a new role since PostgreSQL 15: no CREATE on schema public)."""
    with postgres.login_role(
        empty_pg.rsplit("/", 1)[1],
        "dml",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}",
        "ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ) as (_, url):
        yield url


def test_a_role_that_may_only_read_and_write_runs_a_current_schema(empty_pg: str, dml_role: str) -> None:
    PostgresStore(empty_pg).close()  # the owner migrates
    store = PostgresStore(dml_role)
    try:
        assert store.migrate() == PG_VERSIONS[-1]
        store.put_task_def({"name": "t"})
        assert store.get_task_def("t") == {"name": "t"}
    finally:
        store.close()


def test_a_role_that_may_not_upgrade_says_so_and_changes_nothing(empty_pg: str, dml_role: str) -> None:
    with psycopg.connect(empty_pg, autocommit=True) as c:
        migrate(c, target=PG_VERSIONS[-2])
        before = pg_schema(c)
    with pytest.raises(SchemaUpgradeDenied) as e:
        PostgresStore(dml_role)
    assert str(e.value).startswith(
        f"The database schema is at version {PG_VERSIONS[-2]} and this release needs version {PG_VERSIONS[-1]}, "
        f"but role {dml_role.split('//')[1].split('@')[0]} may not upgrade it ("
    )
    with psycopg.connect(empty_pg, autocommit=True) as c:
        assert schema_version(c) == PG_VERSIONS[-2]
        assert pg_schema(c) == before


def test_a_role_that_may_not_create_the_schema_says_so(empty_pg: str, dml_role: str) -> None:
    with pytest.raises(SchemaUpgradeDenied, match="at version 0 and this release needs"):
        PostgresStore(dml_role)
