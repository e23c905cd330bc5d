"""The search suite again, on PostgreSQL: the same cases over the same records, the Postgres dialect."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
import test_search_sqlite as suite

from pg_cluster import PgCluster
from podium.store.postgres import PostgresStore

# Every case of the SQLite suite except those about SQLite's own query plans.
for _name, _fn in vars(suite).items():
    if _name.startswith("test_") and callable(_fn) and "big" not in inspect.signature(_fn).parameters:
        globals()[_name] = _fn


@pytest.fixture(scope="module")
def store(postgres: PgCluster) -> Iterator[PostgresStore]:
    name = postgres.create_database()
    s = PostgresStore(postgres.url(name))
    for w in suite.WORKFLOWS:
        s.insert_workflow(w, None)
    s.upsert_tasks(suite.TASKS)
    try:
        yield s
    finally:
        s.close()
        postgres.drop_database(name)
