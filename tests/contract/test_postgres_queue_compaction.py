"""PostgreSQL: the task queue table is compacted every second, so it stays a few pages long under churn."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import psycopg
import pytest
from test_free_text_sqlite import wf

from conftest import wait_until
from pg_cluster import PgCluster
from podium.runtime.sweeper import compaction_delay, queue_compaction_loop
from podium.service.container import Services
from podium.store.postgres import PostgresStore
from podium.store.postgres.store import COMPACTION_LOCK
from podium.store.protocols import QueueCompactor
from podium.store.sqlite import SqliteStore

ROUNDS, PER_ROUND = 15, 200
DML = "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    # Autovacuum off for the queue: only what the test does reclaims rows (it could come by mid-test).
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("ALTER TABLE queue SET (autovacuum_enabled = false)")
    try:
        yield s
    finally:
        s.close()


def sql(url: str, query: str, *args: Any) -> Any:
    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute(query, args).fetchone()
        return None if row is None else row[0]


def queue_pages(url: str) -> int:
    return int(sql(url, "SELECT pg_relation_size('queue') / current_setting('block_size')::int"))


def vacuum_count(url: str) -> int:
    return int(sql(url, "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'queue'"))


def churn(store: PostgresStore, compact: bool) -> None:
    """What tasks do to the queue: pushed, moved by a poll, removed by an update; round after round."""
    for r in range(ROUNDS):
        ids = [f"t{r}-{i}" for i in range(PER_ROUND)]
        with store.transaction():
            for tid in ids:
                store.queue_push("work", tid, 0, 10, 10)
        with store.transaction():
            for tid in ids:
                store.queue_set_visible("work", tid, 60_000, 20)
        with store.transaction():
            for tid in ids:
                store.queue_remove("work", tid)
        if compact:
            store.compact_queues()


def test_compaction_keeps_a_churning_queue_a_few_pages_long(store: PostgresStore, pg_url: str) -> None:
    assert isinstance(store, QueueCompactor)
    churn(store, compact=True)
    # One round's rows (200 pushed, 200 moved) fit in a few pages, which every round reuses.
    assert queue_pages(pg_url) <= 8
    with store.transaction():
        assert store.queue_size("work") == 0


def test_without_compaction_the_same_churn_grows_the_queue(store: PostgresStore, pg_url: str) -> None:
    churn(store, compact=False)
    # Every round's dead rows stay: the table is several times the size compaction keeps it at.
    assert queue_pages(pg_url) >= 24


def test_compaction_leaves_live_messages_alone(store: PostgresStore, pg_url: str) -> None:
    with store.transaction():
        for i in range(50):
            store.queue_push("work", f"keep{i}", i % 3, 10 + i, 10)
            store.queue_push("work", f"gone{i}", 0, 10, 10)
    with store.transaction():
        for i in range(50):
            store.queue_remove("work", f"gone{i}")
    store.compact_queues()
    with psycopg.connect(pg_url) as c:
        rows = c.execute("SELECT task_id, priority, visible_at FROM queue ORDER BY task_id").fetchall()
    assert rows == sorted((f"keep{i}", i % 3, 10 + i) for i in range(50))


def test_compaction_skips_while_another_vacuum_holds_the_table(store: PostgresStore, pg_url: str) -> None:
    # A vacuum elsewhere takes the lock VACUUM needs; ours returns at once instead of waiting behind it.
    with psycopg.connect(pg_url) as holder:
        holder.execute("LOCK TABLE queue IN SHARE UPDATE EXCLUSIVE MODE")
        done = threading.Event()

        def compact() -> None:
            store.compact_queues()
            done.set()

        threading.Thread(target=compact, daemon=True).start()
        wait_until(done.is_set, timeout=10, what="compaction to skip the locked table")
        holder.rollback()


def test_a_node_skips_quietly_while_another_compacts(store: PostgresStore, pg_url: str) -> None:
    before = vacuum_count(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (COMPACTION_LOCK,))  # another node, mid-pass
        assert store.compact_queues() is True
        assert vacuum_count(pg_url) == before
        # The other node is done. Unlocked here: a closed session's backend lets go only once it has
        # exited, which may be after the next line has already looked.
        other.execute("SELECT pg_advisory_unlock(%s)", (COMPACTION_LOCK,))
    store.compact_queues()
    assert vacuum_count(pg_url) == before + 1
    with psycopg.connect(pg_url, autocommit=True) as c:  # and this node let go of the lock
        assert c.execute("SELECT pg_try_advisory_lock(%s)", (COMPACTION_LOCK,)).fetchone() == (True,)


def two_passes(url: str, caplog: pytest.LogCaptureFixture) -> tuple[list[bool], list[str]]:
    """What two compaction passes of a store on ``url`` returned, and the lines they logged."""
    s = PostgresStore(url)
    try:
        with caplog.at_level(logging.INFO, logger="podium.store.postgres"):
            passes = [s.compact_queues(), s.compact_queues()]
    finally:
        s.close()
    return passes, [r.getMessage() for r in caplog.records]


def test_a_role_that_may_not_vacuum_the_queue_turns_compaction_off(
    postgres: PgCluster, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The tables belong to the role that migrated them; the server runs as another, granted DML only.
    with postgres.login_role(pg_url.rsplit("/", 1)[1], "dml", DML) as (role, url):
        before = vacuum_count(pg_url)
        passes, lines = two_passes(url, caplog)
        assert passes == [False, False]
        message = f"queue compaction off: role {role} may not vacuum table queue (make it the owner); "
        assert lines.count(message + "autovacuum alone keeps it") == 1
        s = PostgresStore(url)
        try:
            svc = cast(Services, SimpleNamespace(store=s))
            asyncio.run(asyncio.wait_for(queue_compaction_loop(svc, 10), timeout=5))  # ends: nothing to do
        finally:
            s.close()
        assert vacuum_count(pg_url) == before


def test_the_loop_compacts_every_interval(store: PostgresStore, pg_url: str) -> None:
    before = vacuum_count(pg_url)
    svc = cast(Services, SimpleNamespace(store=store))

    async def run() -> None:
        task = asyncio.create_task(queue_compaction_loop(svc, 20))
        try:
            while vacuum_count(pg_url) < before + 2:
                await asyncio.sleep(0.02)
        finally:
            task.cancel()

    asyncio.run(asyncio.wait_for(run(), timeout=20))


def test_an_interval_of_zero_leaves_the_queue_to_autovacuum(store: PostgresStore, pg_url: str) -> None:
    svc = cast(Services, SimpleNamespace(store=store))
    asyncio.run(asyncio.wait_for(queue_compaction_loop(svc, 0), timeout=5))


def test_the_loop_ends_at_once_for_a_store_that_needs_no_compaction(tmp_path: Any) -> None:
    sqlite = SqliteStore(str(tmp_path / "p.db"))
    try:
        assert not isinstance(sqlite, QueueCompactor)
        svc = cast(Services, SimpleNamespace(store=sqlite))
        asyncio.run(asyncio.wait_for(queue_compaction_loop(svc, 20), timeout=5))
    finally:
        sqlite.close()


def test_a_long_pass_is_followed_by_a_longer_pause() -> None:
    assert compaction_delay(1.0, 0.002) == 1.0  # a few pages: every second
    assert compaction_delay(1.0, 0.5) == pytest.approx(10.0)  # a pass of 0.5 s: 5 % of the time at most
    assert compaction_delay(0.05, 0.0) == 0.05


def pending_text_pages(url: str) -> int:
    """Merges the free-text index's pending list here and now; the pages it held."""
    return int(sql(url, "SELECT gin_clean_pending_list('workflows_text')"))


def end_workflows(store: PostgresStore, n: int) -> None:
    with store.transaction():
        for i in range(n):
            store.insert_workflow(wf(f"ended{i}", "COMPLETED", i, input={"note": f"searchable text {i}"}), None)


@pytest.mark.parametrize("compact", [True, False])
def test_a_pass_merges_the_free_text_index_off_the_request_path(
    store: PostgresStore, pg_url: str, compact: bool
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as c:  # nothing else merges it meanwhile
        c.execute("ALTER TABLE workflows SET (autovacuum_enabled = false)")
    end_workflows(store, 200)
    if compact:
        assert store.compact_queues() is True
    assert (pending_text_pages(pg_url) == 0) is compact


def test_a_role_that_may_vacuum_but_not_merge_the_index_says_so_once(
    postgres: PgCluster, pg_url: str, store: PostgresStore, caplog: pytest.LogCaptureFixture
) -> None:
    # The database's owner may vacuum every table, but only the index's owner may merge it.
    name = pg_url.rsplit("/", 1)[1]
    end_workflows(store, 50)
    with postgres.login_role(name, "dbo", DML) as (role, url):
        with postgres.admin() as c:
            c.execute(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
        try:
            before = vacuum_count(pg_url)
            passes, lines = two_passes(url, caplog)
            assert passes == [True, True]
            message = f"free-text index merging off: role {role} does not own index workflows_text; "
            assert lines.count(message + "writes and autovacuum merge it") == 1
            assert vacuum_count(pg_url) == before + 2  # the queue is still compacted
        finally:
            with postgres.admin() as c:
                c.execute(f'ALTER DATABASE "{name}" OWNER TO "{postgres.user}"')
