"""PostgreSQL workflow search at scale (issue #18): free text through the partial trigram index of ended
workflows (migration 0008), and totals exact up to a cap, estimated past it."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from test_free_text_sqlite import TERMINAL, wf

from pg_cluster import PgCluster
from podium.service.search import parse_search, search_workflows
from podium.store.postgres import PostgresStore
from podium.store.postgres.migrations import migrate
from podium.store.search_sql import EXACT_TOTAL_CAP, capped_count_sql, like_pattern, search_workflows_sql


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    yield s
    s.close()


def ids(store: PostgresStore, text: str, query: str | None = None, size: int = 100) -> tuple[int, list[str]]:
    out = search_workflows(store, parse_search(0, size, None, text, query), summaries=False)
    return out["totalHits"], [r["workflowId"] for r in out["results"]]


def test_migration_makes_a_partial_trigram_index_of_ended_workflows(pg_url: str) -> None:
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url) as c:
        row = c.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'workflows_text'").fetchone()
    assert row is not None
    # On the copy of ended workflows' bodies (migration 0010), so a running workflow's writes stay HOT.
    assert "gin (ended_json gin_trgm_ops) WHERE (ended_json IS NOT NULL)" in row[0]


def test_the_upgrade_copies_the_bodies_of_ended_workflows(postgres: PgCluster) -> None:
    name = postgres.create_database(template=None)
    try:
        with psycopg.connect(postgres.url(name), autocommit=True) as c:
            migrate(c, target=9)
            for w in (
                wf("open", "RUNNING", 1, input={"note": "needle-a"}),
                wf("ended", "COMPLETED", 2, input={"note": "needle-b"}),
            ):
                c.execute(  # a row as an older release wrote it: no copy
                    "INSERT INTO workflows (workflow_id, name, version, status, start_time, update_time, def_hash,"
                    " json) VALUES (%s, 'flow', 1, %s, %s, %s, '', %s)",
                    (w["workflowId"], w["status"], w["startTime"], w["updateTime"], json.dumps(w)),
                )
        s = PostgresStore(postgres.url(name))
        try:
            assert ids(s, "needle")[1] == ["ended", "open"]
        finally:
            s.close()
        with psycopg.connect(postgres.url(name)) as c:
            rows = c.execute("SELECT workflow_id, json IS NULL, ended_json IS NULL FROM workflows ORDER BY 1")
            assert rows.fetchall() == [("ended", True, False), ("open", False, True)]  # ended bodies moved
            options = c.execute("SELECT reloptions FROM pg_class WHERE relname = 'workflows'").fetchone()
            assert options == (["fillfactor=70"],)
    finally:
        postgres.drop_database(name)


def test_without_pg_trgm_the_migration_applies_and_free_text_scans(postgres: PgCluster) -> None:
    # A role that may not create extensions (no CREATE on the database) stands for a server without pg_trgm.
    name = postgres.create_database(template=None)
    try:
        with postgres.login_role(name, "r", "GRANT CREATE ON SCHEMA public TO {role}") as (_, url):
            s = PostgresStore(url)
            try:
                s.insert_workflow(wf("open", "RUNNING", 1, input={"note": "needle-a"}), None)
                s.insert_workflow(wf("ended", "COMPLETED", 2, input={"note": "needle-b"}), None)
                assert ids(s, "needle")[1] == ["ended", "open"]
            finally:
                s.close()
            with psycopg.connect(postgres.url(name)) as c:
                assert c.execute("SELECT 1 FROM schema_version WHERE version = 8").fetchone() == (1,)
                assert c.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'workflows_text'").fetchone() is None
    finally:
        postgres.drop_database(name)


def test_same_results_as_a_plain_ilike_over_every_body(store: PostgresStore, pg_url: str) -> None:
    rng = random.Random(18)
    words = ["alpha", "Beta", "gamma", "order-1", "order-12", "order-123", "x_y", "50%", 'q"uote', "zé", "a\\b"]
    statuses = ["RUNNING", "PAUSED", *TERMINAL]
    live: list[str] = []
    for i in range(200):
        text = " ".join(rng.choice(words) for _ in range(3))
        w = wf(f"w{i:03d}", rng.choice(statuses), 1000 + i, input={"text": text, "n": i})
        store.insert_workflow(w, None)
        live.append(w["workflowId"])
    for wid in live[:40:3]:  # re-opened or ended again, with new text
        store.update_workflow(wf(wid, rng.choice(statuses), 1000, input={"text": f"changed {rng.choice(words)}"}), None)
    for wid in live[40:60:4]:
        store.delete_workflow(wid)
    with psycopg.connect(pg_url) as c:
        for term in [*words, "changed", "ORDER-12", "order-1*3", "zz-none", "ab"]:
            pattern = like_pattern(term, anchored=False)
            want = [
                r[0]
                for r in c.execute(
                    "SELECT workflow_id FROM workflows WHERE COALESCE(json, ended_json) ILIKE %s", (pattern,)
                )
            ]
            total, got = ids(store, term, size=500)
            assert sorted(got) == sorted(want), term
            assert total == len(want), term
        both = ids(store, "alpha Beta", size=500)[1]
        want_both = {
            r[0]
            for r in c.execute("SELECT workflow_id FROM workflows WHERE COALESCE(json, ended_json) ILIKE '%alpha%'")
        }
        want_both &= {
            r[0] for r in c.execute("SELECT workflow_id FROM workflows WHERE COALESCE(json, ended_json) ILIKE '%beta%'")
        }
        assert set(both) == want_both


def test_running_workflows_are_found_without_the_index(store: PostgresStore) -> None:
    store.insert_workflow(wf("open", "RUNNING", 1, input={"note": "needle-in-open"}), None)
    store.insert_workflow(wf("ended", "COMPLETED", 2, input={"note": "needle-in-ended"}), None)
    assert ids(store, "needle-in")[1] == ["ended", "open"]
    store.update_workflow(wf("open", "COMPLETED", 1, input={"note": "other words"}), None)
    store.update_workflow(wf("ended", "RUNNING", 2, input={"note": "needle-in-ended"}), None)
    assert ids(store, "needle-in")[1] == ["ended"]
    assert ids(store, "other words")[1] == ["open"]


def plan(pg_url: str, sql: str, args: list[Any]) -> str:
    with psycopg.connect(pg_url) as c:
        # A small table: show what the planner can use (bitmap scans only), not what it likes best.
        c.execute("SET enable_seqscan = off")
        c.execute("SET enable_indexscan = off")
        return "\n".join(r[0] for r in c.execute("EXPLAIN " + sql, args))


@pytest.mark.parametrize("query", [None, "workflowType = flow", "status IN (COMPLETED, RUNNING)"])
def test_free_text_can_use_the_trigram_index(store: PostgresStore, pg_url: str, query: str | None) -> None:
    with store.transaction():
        for i in range(2000):
            status = "RUNNING" if i % 100 == 0 else "COMPLETED"
            store.insert_workflow(wf(f"w{i}", status, i, input={"n": f"item-{i}"}), None)
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("VACUUM ANALYZE workflows")  # as autovacuum would: the index's pending list merged
    count, page, args = search_workflows_sql(parse_search(0, 10, None, "item-1234", query), "postgres")
    for sql, a in ((page, [*args, 10, 0]), (count, args)):
        text = plan(pg_url, sql, a)
        assert "workflows_text" in text, text
        assert "Seq Scan" not in text, text


def test_totals_exact_up_to_the_cap_then_estimated(store: PostgresStore, pg_url: str) -> None:
    for i in range(30):
        store.insert_workflow(wf(f"w{i:02d}", "COMPLETED", i, input={"tag": "many" if i < 25 else "few"}), None)
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("ANALYZE workflows")
    assert ids(store, "many", size=10)[0] == 25  # counted
    assert ids(store, "few", size=10)[0] == 5  # the page tells it
    store.exact_total_cap = 8
    total, page = ids(store, "many", size=5)
    assert len(page) == 5 and total >= 9  # past the cap: the planner's estimate, never below the count reached
    total, page = ids(store, "*", "status = COMPLETED", size=5)
    assert total == 30  # ANALYZE's row count for the whole table is exact here
    assert ids(store, "few", size=10)[0] == 5


def test_capped_count_statement() -> None:
    count, _, _ = search_workflows_sql(parse_search(0, 10, None, "*", "status = RUNNING"), "postgres")
    capped, explain = capped_count_sql(count)
    assert capped == f"SELECT count(*) FROM (SELECT 1 FROM workflows WHERE status = %s LIMIT {EXACT_TOTAL_CAP + 1}) c"
    assert explain == "EXPLAIN (FORMAT JSON) SELECT 1 FROM workflows WHERE status = %s"
    with pytest.raises(ValueError):
        capped_count_sql("SELECT 1")
