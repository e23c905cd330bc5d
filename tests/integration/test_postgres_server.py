"""`podium server --db postgresql://...`: the core API, worker protocol and flow suites, run again on PostgreSQL.

The test functions are the SQLite suites' own; this module only swaps the server they talk to.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
import test_core_api
import test_flow_e2e
import test_worker_protocol

from conftest import ServerProcess
from pg_cluster import PgCluster


def _adopt(*modules: ModuleType) -> None:
    for mod in modules:
        for name, fn in vars(mod).items():
            if name.startswith("test_") and callable(fn):
                assert name not in globals(), f"duplicate test name {name}"
                globals()[name] = fn


_adopt(test_core_api, test_worker_protocol, test_flow_e2e)


@pytest.fixture(scope="module")
def server(postgres: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server on a PostgreSQL database of its own, shared by this module's tests."""
    name = postgres.create_database()
    srv = ServerProcess(tmp_path_factory.mktemp("pgsrv") / "podium.db", db_url=postgres.url(name)).start()
    try:
        yield srv
    finally:
        srv.stop()
        postgres.drop_database(name)
