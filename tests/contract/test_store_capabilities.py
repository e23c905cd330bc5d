"""Both stores offer the capabilities the server wires by ``isinstance`` (store/protocols.py), and only those."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import wait_until
from podium.service.container import open_store
from podium.store.postgres import PostgresStore
from podium.store.protocols import FreeTextIndexer, GroupCommit, PeerNotification, SingleWriter, Store
from podium.store.sqlite import SqliteStore

CAPABILITIES = (GroupCommit, PeerNotification, SingleWriter, FreeTextIndexer)
EXPECTED = {
    # One process owns the file: its cache is the truth, and nobody else listens.
    "sqlite": {GroupCommit, SingleWriter, FreeTextIndexer},
    # Shared by nodes: others' writes arrive by notification, and what this node wrote may be stale.
    "postgres": {GroupCommit, PeerNotification},
}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Store]]:
    url = f"sqlite:///{tmp_path / 'caps.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = open_store(url)
    try:
        yield request.param, s
    finally:
        s.close()


def test_each_store_offers_exactly_its_capabilities(backend: tuple[str, Store]) -> None:
    name, store = backend
    assert isinstance(store, SqliteStore if name == "sqlite" else PostgresStore)
    offered = {cap for cap in CAPABILITIES if isinstance(store, cap)}
    assert offered == EXPECTED[name]


def test_group_commit_holds_units_until_commit(backend: tuple[str, Store]) -> None:
    """The one group-commit interface works the same on both dialects."""
    _, store = backend
    assert isinstance(store, GroupCommit)
    if isinstance(store, PostgresStore):
        # PostgreSQL shares a COMMIT only while this node knows it is alone on the database.
        store.subscribe(lambda queue, delay: None, lambda: None)
        wait_until(lambda: not store.notify_peers, what="the listener to find no other node")
    pending: list[int] = []
    store.enable_group_commit(lambda: pending.append(1))
    assert not store.uncommitted
    with store.transaction():
        store.put_poll_data([{"queueName": "q", "workerId": "w", "lastPollTime": 7}])
    assert pending and store.uncommitted
    store.commit()
    assert not store.uncommitted
    assert [p["lastPollTime"] for p in store.list_poll_data()] == [7]
