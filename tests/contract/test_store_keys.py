"""The key store contract (issue #13): the same cases on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from podium.domain.auth import KeyRecord, Role
from podium.service.container import open_store
from podium.store.protocols import Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'keys.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


def key(key_id: str, role: Role = Role.WORKER, types: list[str] | None = None, at: int = 1000) -> KeyRecord:
    return KeyRecord(key_id, f"name-{key_id}", role, types or [], "scrypt$hash", at)


def test_keys_are_stored_listed_and_revoked(store: Store) -> None:
    with store.transaction():
        store.insert_key(key("a", Role.ADMIN, at=1))
        store.insert_key(key("w", Role.WORKER, ["t1", "t 2"], at=2))
    assert store.get_key("missing") is None
    assert store.get_key("w") == key("w", Role.WORKER, ["t1", "t 2"], at=2)
    assert [k.key_id for k in store.list_keys()] == ["a", "w"]
    assert store.revoked_key_ids() == set()
    with store.transaction():
        assert store.revoke_key("w", 50) is True
        assert store.revoke_key("w", 60) is False  # already revoked: the first time stays
        assert store.revoke_key("missing", 60) is False
    got = store.get_key("w")
    assert got is not None and got.revoked_time == 50
    assert store.revoked_key_ids() == {"w"}


def test_a_key_id_is_unique(store: Store) -> None:
    with store.transaction():
        store.insert_key(key("a"))
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)), store.transaction():
        store.insert_key(key("a"))
    assert len(store.list_keys()) == 1


def test_the_server_secret_is_made_once(store: Store) -> None:
    with store.transaction():
        first = store.server_secret("token_signing", "one")
    with store.transaction():
        again = store.server_secret("token_signing", "two")
    assert first == again == "one"
