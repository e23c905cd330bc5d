"""A PostgreSQL server process compacts its task queue table on its own (``PODIUM_QUEUE_COMPACT_MS``)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from conftest import ServerProcess, wait_until
from pg_cluster import PgCluster


def test_a_server_vacuums_the_queue_every_interval(postgres: PgCluster, tmp_path: Path) -> None:
    name = postgres.create_database()
    url = postgres.url(name)
    srv = ServerProcess(tmp_path / "podium.db", db_url=url, env={"PODIUM_QUEUE_COMPACT_MS": "100"}).start()
    try:

        def vacuums() -> int:
            with psycopg.connect(url) as c:
                row = c.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'queue'").fetchone()
            return int(row[0]) if row else 0

        wait_until(lambda: vacuums() >= 3, timeout=30, interval=0.05, what="the server to vacuum the queue")
    finally:
        srv.stop()
        postgres.drop_database(name)
