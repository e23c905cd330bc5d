"""The PostgreSQL store's pipeline below psycopg's cursors (``postgres.wire``), on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors as pgerr

from pg_cluster import PgCluster
from podium.store.postgres.session import connect
from podium.store.postgres.wire import Wire, convert


def test_placeholders_become_numbered_once_per_name() -> None:
    assert convert("SELECT %s, %s WHERE a LIKE 'x%%'") == (b"SELECT $1, $2 WHERE a LIKE 'x%'", None)
    assert convert("UPDATE t SET a = %(a)s WHERE b = %(b)s OR a = %(a)s") == (
        b"UPDATE t SET a = $1 WHERE b = $2 OR a = $1",
        ("a", "b"),
    )
    with pytest.raises(ValueError):
        convert("SELECT %s, %(a)s")


@pytest.fixture()
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(pg_url)
    try:
        c.execute("CREATE TEMP TABLE w (id text PRIMARY KEY, n bigint, f float8, b boolean, j text, tags text[])")
        yield c
    finally:
        c.close()


def _transaction(wire: Wire) -> None:
    wire.open()
    wire.control(b"BEGIN")


def test_values_round_trip_as_psycopg_would_send_and_read_them(conn: psycopg.Connection[Any]) -> None:
    wire = Wire(conn)
    _transaction(wire)
    sql = "INSERT INTO w VALUES (%(id)s, %(n)s, %(f)s, %(b)s, %(j)s, %(tags)s)"
    wire.execute(sql, {"id": "a", "n": 2**40, "f": 1.5, "b": True, "j": b'{"x": "\\u00e9"}', "tags": ['q"u', "b\\s"]})
    wire.execute(sql, {"id": "b", "n": None, "f": None, "b": False, "j": None, "tags": []})
    got = wire.rows(wire.query("SELECT id, n, f, b, j, tags FROM w ORDER BY id"))
    wire.control(b"COMMIT")
    wire.sync()
    wire.close()
    assert got == [("a", 2**40, 1.5, True, '{"x": "\\u00e9"}', ['q"u', "b\\s"]), ("b", None, None, False, None, [])]
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (2,)  # psycopg has the connection back


def test_a_statement_seen_twice_is_prepared_and_reused(conn: psycopg.Connection[Any]) -> None:
    wire = Wire(conn)
    _transaction(wire)
    for i in range(4):
        wire.execute("INSERT INTO w (id, n) VALUES (%s, %s)", (f"k{i}", i))
    wire.control(b"COMMIT")
    wire.sync()
    wire.close()
    prepared = conn.execute("SELECT name FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO w%'").fetchall()
    assert prepared == [("_pw0",)]


def test_an_error_fails_what_follows_until_a_sync_and_keeps_its_class(conn: psycopg.Connection[Any]) -> None:
    wire = Wire(conn)
    _transaction(wire)
    wire.control(b"SAVEPOINT s1")
    wire.execute("INSERT INTO w (id) VALUES (%s)", ("dup",))
    wire.execute("INSERT INTO w (id) VALUES (%s)", ("dup",))
    later = wire.query("SELECT 1")
    with pytest.raises(pgerr.UniqueViolation):
        wire.rows(later)
    with pytest.raises(pgerr.UniqueViolation):  # sending after a known error raises it too
        wire.execute("SELECT 2")
    with pytest.raises(pgerr.UniqueViolation):
        wire.sync()
    wire.control(b"ROLLBACK TO s1")  # the sync cleared the error: the transaction carries on
    assert wire.rows(wire.query("SELECT count(*) FROM w")) == [(0,)]
    wire.control(b"ROLLBACK")
    wire.sync()
    wire.close()


def test_leaving_a_transaction_unfinished_still_tells_libpq_its_state(conn: psycopg.Connection[Any]) -> None:
    """Closing syncs, so a rollback after it sees the transaction open (and nothing leaks into the next)."""
    wire = Wire(conn)
    _transaction(wire)
    assert wire.rows(wire.query("INSERT INTO w (id) VALUES ('kept?') RETURNING id")) == [("kept?",)]
    wire.close()
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (0,)


def test_a_terminated_backend_closes_the_connection(postgres: PgCluster, conn: psycopg.Connection[Any]) -> None:
    wire = Wire(conn)
    _transaction(wire)
    with postgres.admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError):
        wire.rows(wire.query("SELECT 1"))
    assert conn.closed and not wire.active


def test_statements_seen_once_are_forgotten_past_a_bound(conn: psycopg.Connection[Any], monkeypatch: Any) -> None:
    """A server builds many one-off statement texts (searches): counting them must not grow without end."""
    import podium.store.postgres.wire as wire_module

    monkeypatch.setattr(wire_module, "_SEEN_MAX", 8)
    wire = Wire(conn)
    _transaction(wire)
    for i in range(20):
        wire.rows(wire.query(f"SELECT {i}"))
    assert len(wire.seen) <= 8
    wire.control(b"ROLLBACK")
    wire.sync()
    wire.close()
