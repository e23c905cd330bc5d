"""Free-text workflow search through the SQLite trigram index (migration 0003): same results as the LIKE scan."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from podium.domain.model import TaskDef, Workflow, WorkflowDef
from podium.domain.search import SearchQuery
from podium.domain.statuses import WORKFLOW_TERMINAL
from podium.runtime import sweeper
from podium.service.container import Services
from podium.service.reruns import retry
from podium.service.search import parse_search, search_workflows
from podium.store.search_sql import search_workflows_sql, text_index_query
from podium.store.sqlfiles import migrations, queries
from podium.store.sqlite import SqliteStore
from podium.testing import WorkflowEnvironment

TERMINAL = ("COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED")


def wf(wid: str, status: str, start: int, name: str = "flow", **extra: Any) -> Workflow:
    body: dict[str, Any] = {
        "workflowId": wid,
        "workflowName": name,
        "workflowVersion": 1,
        "status": status,
        "createTime": start,
        "startTime": start,
        "updateTime": start + 1,
        "workflowDefinition": {"name": name, "version": 1, "tasks": []},
        "input": {},
        "output": {},
        **extra,
    }
    if status in TERMINAL:
        body["endTime"] = start + 2
    return cast(Workflow, body)


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "p.db"


@pytest.fixture()
def store(path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(f"sqlite:///{path}")
    yield s
    s.close()


def ids(store: SqliteStore, text: str, query: str | None = None, sort: Any = None) -> tuple[int, list[str]]:
    out = search_workflows(store, parse_search(0, 100, sort, text, query), summaries=False)
    return out["totalHits"], [r["workflowId"] for r in out["results"]]


def run_sql(path: Path, q: SearchQuery, text_index: bool) -> tuple[int, list[str]]:
    """Total and page ids of the SQL itself (index path or plain LIKE scan), on a separate connection."""
    count, page, args = search_workflows_sql(q, "sqlite", text_index=text_index)
    with sqlite3.connect(path) as c:
        total = c.execute(count, args).fetchone()[0]
        rows = c.execute(
            f"SELECT json_extract(CAST(json AS TEXT), '$.workflowId') FROM ({page})", [*args, q.size, q.start]
        )
        found = [r[0] for r in rows]
    c.close()
    return total, found


def raw_index_hits(path: Path, text: str) -> list[int]:
    """Rowids the trigram index alone returns for ``text`` (stale entries included)."""
    match = text_index_query([text])
    with sqlite3.connect(path) as c:
        rows = c.execute("SELECT rowid FROM workflow_text WHERE workflow_text MATCH ?", (match,)).fetchall()
    c.close()
    return [r[0] for r in rows]


def queued(path: Path) -> int:
    with sqlite3.connect(path) as c:
        n = int(c.execute("SELECT count(*) FROM workflow_text_pending").fetchone()[0])
    c.close()
    return n


def index_all(store: SqliteStore) -> int:
    total = 0
    while n := store.index_free_text(500):
        total += n
    return total


# -- the FTS query ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["order-33"], '"ord" AND "rde" AND "der" AND "er-" AND "r-3" AND "-33"'),
        (["ab"], None),
        (["Al*ce"], None),
        (["*"], None),
        (["ORD*77"], '"ord"'),
        (["abc*defg*hi"], '"abc" AND "def" AND "efg"'),
        (["abc", "xy", "abc"], '"abc"'),
        (['"a":"b'], '"""a""" AND "a"":" AND """:""" AND ":""b"'),
        (["a OR b"], '"a o" AND " or" AND "or " AND "r b"'),
    ],
)
def test_text_index_query_asks_for_every_trigram_of_each_literal_run(terms: list[str], expected: str | None) -> None:
    assert text_index_query(terms) == expected


def test_index_path_only_for_sqlite_workflows_with_an_indexable_term() -> None:
    evil = "x'); DROP TABLE workflows; --"
    q = SearchQuery(clauses=[("workflowType", "=", "a")], free_text=evil)
    count, page, args = search_workflows_sql(q, "sqlite", text_index=True)
    assert "workflow_text MATCH ?" in count and "DROP" not in count + page
    assert count.count("?") == len(args) and page.count("?") == len(args) + 2
    assert "+name = ?" in count  # the candidates drive the plan, not the name index
    for q2, dialect in [(SearchQuery(free_text="ab"), "sqlite"), (SearchQuery(free_text="Hello"), "postgres")]:
        count, page, _ = search_workflows_sql(q2, dialect, text_index=True)
        assert "workflow_text" not in count + page and "+" not in count
    plain, _, _ = search_workflows_sql(q, "sqlite")
    assert "workflow_text" not in plain and "+name" not in plain


# -- indexing -----------------------------------------------------------------------------------
def test_indexer_sql_names_exactly_the_terminal_statuses() -> None:
    """The SQL spells the terminal statuses out; they must stay the domain's."""
    for sql in (queries("sqlite")["free_text_index_queued"], migrations("sqlite")[2][1]):
        assert set(re.findall(r"'([A-Z_]+)'", sql.split("status IN", 1)[1].split(")")[0])) == WORKFLOW_TERMINAL


def test_found_before_and_after_indexing(store: SqliteStore, path: Path) -> None:
    store.insert_workflow(wf("done", "COMPLETED", 1000, input={"orderId": "order-77"}), None)
    store.insert_workflow(wf("live", "RUNNING", 2000, input={"orderId": "order-78"}), None)
    assert queued(path) == 1  # only the terminal one waits for indexing
    assert ids(store, "order-77") == (1, ["done"])
    assert ids(store, "ORDER-7") == (2, ["live", "done"])
    assert store.index_free_text(500) == 1
    assert queued(path) == 0 and store.index_free_text(500) == 0
    assert raw_index_hits(path, "order-77") == [1]
    assert ids(store, "order-77") == (1, ["done"])
    assert ids(store, "ORDER-7") == (2, ["live", "done"])
    assert ids(store, "order-78") == (1, ["live"])  # running: found through the status index


def test_indexes_in_batches_of_the_limit(store: SqliteStore, path: Path) -> None:
    with store.transaction():
        for i in range(250):
            store.insert_workflow(wf(f"w{i}", TERMINAL[i % 4], 1000 + i, input={"n": f"item-{i:04d}"}), None)
    assert store.index_free_text(0) == 0
    assert [store.index_free_text(100) for _ in range(4)] == [100, 100, 50, 0]
    assert queued(path) == 0
    assert ids(store, "item-0042") == (1, ["w42"])


def test_reopened_then_completed_again_is_found_by_its_new_body_only(store: SqliteStore, path: Path) -> None:
    first = wf("w", "FAILED", 1000, input={"v": "alpha-old shared-word"})
    store.insert_workflow(first, None)
    assert store.index_free_text(500) == 1
    assert ids(store, "alpha-old") == (1, ["w"])
    # A retry makes it RUNNING again, with a new body: not queued, found through the status index.
    store.update_workflow(wf("w", "RUNNING", 1000, input={"v": "beta-new shared-word"}), None)
    assert queued(path) == 0
    assert ids(store, "beta-new") == (1, ["w"])
    assert ids(store, "alpha-old") == (0, [])
    # It ends again: queued, found before and after it is indexed again.
    store.update_workflow(wf("w", "COMPLETED", 1000, input={"v": "gamma-final shared-word"}), None)
    assert queued(path) == 1
    for _ in range(2):
        assert ids(store, "gamma-final") == (1, ["w"])
        assert ids(store, "shared-word") == (1, ["w"])  # in the stale entry, the queue and the body: once
        assert ids(store, "alpha-old") == (0, []) and ids(store, "beta-new") == (0, [])
        store.index_free_text(500)
    # The index still holds the first body's text; only the LIKE re-check keeps it out of results.
    assert raw_index_hits(path, "alpha-old") == [1]
    assert queued(path) == 0


def test_an_ended_workflow_written_again_is_queued_again(store: SqliteStore, path: Path) -> None:
    store.insert_workflow(wf("w", "COMPLETED", 1000, input={"v": "before-edit"}), None)
    store.index_free_text(500)
    assert queued(path) == 0
    store.update_workflow(wf("w", "COMPLETED", 1000, input={"v": "after-edit"}), None)  # same status, new body
    assert queued(path) == 1
    assert ids(store, "after-edit") == (1, ["w"]) and ids(store, "before-edit") == (0, [])
    assert store.index_free_text(500) == 1
    assert ids(store, "after-edit") == (1, ["w"]) and raw_index_hits(path, "after-edit") == [1]
    store.set_next_check("w", 5)  # neither status nor body: nothing to index again
    assert queued(path) == 0


def test_engine_retry_then_completion_is_indexed_again() -> None:
    with WorkflowEnvironment() as env:  # the real engine on SQLite
        env.register_task_defs(cast(TaskDef, {"name": "manual", "retryCount": 0}))
        env.register_workflow(cast(WorkflowDef, {
            "name": "wf", "version": 1, "outputParameters": {"result": "${m.output.result}"},
            "tasks": [{"name": "manual", "taskReferenceName": "m", "type": "SIMPLE"}],
        }))  # fmt: skip
        wid = env.start("wf", {"k": 1})
        env.complete_task(wid, "m", {"result": "first-attempt-out"}, status="FAILED")
        assert env.store.index_free_text(500) == 1
        assert ids(env.store, "first-attempt-out") == (1, [wid])
        retry(env.services.engine, wid)
        assert env.workflow(wid)["status"] == "RUNNING" and env.store.index_free_text(500) == 0
        env.complete_task(wid, "m", {"result": "second-attempt-out"})
        assert env.workflow(wid)["status"] == "COMPLETED"
        for _ in range(2):  # before and after indexing the new body
            assert ids(env.store, "second-attempt-out") == (1, [wid])
            assert ids(env.store, "first-attempt-out") == (0, [])
            env.store.index_free_text(500)


def test_reopened_before_indexing_is_dropped_from_the_queue(store: SqliteStore, path: Path) -> None:
    store.insert_workflow(wf("w", "TERMINATED", 1000, input={"v": "some-text"}), None)
    store.update_workflow(wf("w", "RUNNING", 1000, input={"v": "some-text"}), None)
    assert queued(path) == 1
    assert store.index_free_text(500) == 0
    assert queued(path) == 0 and raw_index_hits(path, "some-text") == []
    assert ids(store, "some-text") == (1, ["w"])


def test_deleted_workflow_not_returned(store: SqliteStore, path: Path) -> None:
    store.insert_workflow(wf("gone", "COMPLETED", 1000, input={"v": "to-be-removed"}), None)
    store.insert_workflow(wf("gone2", "COMPLETED", 1001, input={"v": "to-be-removed"}), None)
    store.insert_workflow(wf("kept", "COMPLETED", 1002, input={"v": "to-be-kept"}), None)
    store.delete_workflow("gone2")  # queued, then deleted: dequeued with it
    assert ids(store, "to-be-removed") == (1, ["gone"])
    assert store.index_free_text(500) == 2
    store.delete_workflow("gone")  # indexed, then deleted: its entry goes too (issue #16, retention)
    assert raw_index_hits(path, "to-be-removed") == []
    assert ids(store, "to-be-removed") == (0, [])
    assert ids(store, "to-be") == (1, ["kept"])


def test_short_terms_and_wildcards(store: SqliteStore, path: Path) -> None:
    store.insert_workflow(wf("a", "COMPLETED", 1000, input={"who": "Alice", "code": "ord-77"}), None)
    store.insert_workflow(wf("b", "RUNNING", 2000, input={"who": "bob", "code": "ord-78"}), None)
    store.insert_workflow(wf("c", "FAILED", 3000, input={"who": "Carol", "code": "100%_sure"}), None)
    for indexed in (False, True):
        if indexed:
            assert store.index_free_text(500) == 2
        assert ids(store, "Al*ce") == (1, ["a"])  # no 3-character run: plain scan
        assert ids(store, "bo") == (1, ["b"])
        assert ids(store, "ord*77") == (1, ["a"])  # "ord" through the index, the rest by LIKE
        assert ids(store, "ORD*7*") == (2, ["b", "a"])
        assert ids(store, "alice ord") == (1, ["a"])
        assert ids(store, "al ord-7") == (1, ["a"])  # one indexable term is enough to narrow
        assert ids(store, "100%_") == (1, ["c"])
        assert ids(store, "100_") == (0, [])
        assert ids(store, '"who":"bob"') == (1, ["b"])
        assert ids(store, '"who":"carol"') == (1, ["c"])
        assert ids(store, "NEAR(alice)") == (0, [])


def test_terms_with_non_ascii_letters_match_as_like_does(store: SqliteStore) -> None:
    store.insert_workflow(wf("e", "COMPLETED", 1000, input={"city": "Zürich", "name": "ÉCOLE"}), None)
    store.index_free_text(500)
    assert ids(store, "zürich") == (1, ["e"])
    assert ids(store, "ZüRICH") == (1, ["e"])
    # LIKE folds ASCII letters only; the index folds more, and the re-check keeps LIKE's answer.
    assert ids(store, "ZÜRICH") == (0, [])
    assert ids(store, "école") == (0, [])
    assert ids(store, "ÉCOLE") == (1, ["e"])


def like_reference(bodies: dict[str, bytes], terms: list[str]) -> set[str]:
    """Which workflows hold every term, as SQLite's LIKE reads them (ASCII case folded, '*' any run)."""
    pats = [re.compile(b".*".join(re.escape(p) for p in t.encode().lower().split(b"*")), re.DOTALL) for t in terms]
    return {wid for wid, body in bodies.items() if all(p.search(body.lower()) for p in pats)}


def test_same_results_and_totals_as_the_like_scan(store: SqliteStore, path: Path) -> None:
    rng = random.Random(7)
    words = ["alpha", "Beta", "gamma", "DELTA", "order-1", "order-12", "order-123", "x_y", "50%", 'q"uote', "zé"]
    statuses = ["RUNNING", "PAUSED", *TERMINAL]
    live: list[str] = []
    for i in range(300):
        text = " ".join(rng.choice(words) for _ in range(3))
        w = wf(f"w{i:03d}", rng.choice(statuses), 1000 + rng.randrange(50), name=rng.choice(["f1", "f2"]),
               input={"text": text, "n": i})  # fmt: skip
        store.insert_workflow(w, None)
        live.append(w["workflowId"])
        if i == 150:
            store.index_free_text(120)  # part indexed, part queued
    for wid in live[:40:3]:  # re-opened or ended again after indexing, with new text
        st = rng.choice(statuses)
        store.update_workflow(wf(wid, st, 1000, input={"text": f"changed {rng.choice(words)}"}), None)
    for wid in live[40:60:4]:
        store.delete_workflow(wid)
    texts = ["alpha", "ALPHA beta", "order-12", "order-1*3", "rder-1 gam", "x_y", "x_", "50%", 'q"uote', "ZÉ",
             "zé", "changed", "changed DELTA", "al*ha", "*a*", "nothing-like-this"]  # fmt: skip
    with sqlite3.connect(path) as c:
        bodies = {r[0]: bytes(r[1]) for r in c.execute("SELECT workflow_id, json FROM workflows")}
    c.close()
    for phase in ("partly indexed", "fully indexed"):
        for text in texts:
            terms = text.split()
            expected = like_reference(bodies, terms)
            for query, sort, start, size in [
                (None, None, 0, 100),
                (None, "startTime:DESC", 0, 7),
                ("status IN (COMPLETED, RUNNING)", "workflowId:ASC", 3, 10),
                ("workflowType = f2", None, 0, 1000),
                ("workflowType = f1 AND startTime > 1020", "startTime:ASC", 0, 5),
            ]:
                q = parse_search(start, size, sort, text, query)
                plain = run_sql(path, q, text_index=False)
                assert run_sql(path, q, text_index=True) == plain, (phase, text, query, sort)
                assert ids_page(store, q) == plain, (phase, text, query, sort)
                if query is None:
                    assert plain[0] == len(expected), (phase, text)
        index_all(store)
        assert queued(path) == 0


def ids_page(store: SqliteStore, q: SearchQuery) -> tuple[int, list[str]]:
    total, wfs = store.search_workflows(q)
    return total, [w["workflowId"] for w in wfs]


# -- query plans --------------------------------------------------------------------------------
def plan(path: Path, q: SearchQuery) -> str:
    count, page, args = search_workflows_sql(q, "sqlite", text_index=True)
    with sqlite3.connect(path) as c:
        out = " | ".join(
            str(r[3]) for sql, a in ((page, [*args, q.size, q.start]), (count, args))
            for r in c.execute("EXPLAIN QUERY PLAN " + sql, a)
        )  # fmt: skip
    c.close()
    return out


@pytest.mark.parametrize(
    ("query", "sort"),
    [
        (None, None),
        (None, "startTime:DESC"),
        ("workflowType = flow", None),
        ("workflowType IN (flow) AND status IN (COMPLETED)", "startTime:DESC"),
        ("status = COMPLETED", "endTime:ASC"),
        ("startTime > 5 AND startTime < 10", None),
    ],
)
def test_plan_reads_the_index_and_the_status_index_not_every_row(store: SqliteStore, path: Path, query: str | None,
                                                                  sort: str | None) -> None:  # fmt: skip
    p = plan(path, parse_search(0, 100, sort, "order-33333", query))
    assert "SCAN workflow_text VIRTUAL TABLE" in p
    assert "SEARCH workflows USING COVERING INDEX workflows_by_status (status=?)" in p
    assert "SEARCH workflows USING INTEGER PRIMARY KEY (rowid=?)" in p
    assert "SCAN workflows" not in p  # no full scan of the table or of any of its indexes
    assert "workflows_by_name" not in p and "workflows_by_start" not in p


def test_plan_keeps_the_id_indexes(store: SqliteStore, path: Path) -> None:
    assert "sqlite_autoindex_workflows_1 (workflow_id=?)" in plan(
        path, parse_search(0, 10, None, "abc", "workflowId = x")
    )
    assert "workflows_by_correlation (correlation_id=?" in plan(
        path, parse_search(0, 10, None, "abc", "correlationId = x")
    )


def test_plain_scan_while_most_workflows_wait_for_indexing(store: SqliteStore, path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import podium.store.sqlite.search as sqlite_module

    monkeypatch.setattr(sqlite_module, "_PROBE_MIN", 10)
    with store.transaction():
        for i in range(60):
            store.insert_workflow(
                wf(f"w{i}", "COMPLETED", 1000 + i, input={"v": "common-word", "i": f"id-{i:03d}"}), None
            )
    used: list[bool] = []
    real = sqlite_module.search_workflows_sql

    def spy(q: SearchQuery, dialect: str, *, text_index: bool = False) -> tuple[str, str, list[Any]]:
        used.append(text_index)
        return real(q, dialect, text_index=text_index)

    monkeypatch.setattr(sqlite_module, "search_workflows_sql", spy)
    assert ids(store, "id-007") == (1, ["w7"])  # 60 queued of 60: scan
    index_all(store)
    assert ids(store, "id-007") == (1, ["w7"])  # 1 candidate: index
    assert ids(store, "common-word")[0] == 60  # in every body: scan
    assert ids(store, "co")[0] == 60  # nothing to look up
    assert used == [False, True, False, False]


# -- transactions, migration, sweeper -----------------------------------------------------------
def test_indexing_in_group_commit_mode(store: SqliteStore, path: Path) -> None:
    pending: list[int] = []
    store.enable_group_commit(lambda: pending.append(1))
    with store.transaction():
        store.insert_workflow(wf("w", "COMPLETED", 1000, input={"v": "grouped-text"}), None)
    assert store.index_free_text(500) == 1 and pending == [1, 1]
    store.commit()
    assert raw_index_hits(path, "grouped-text") == [1] and queued(path) == 0


def test_upgrade_queues_the_workflows_that_already_ended(path: Path) -> None:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for v, sql in migrations("sqlite"):
            if v <= 2:
                c.executescript(sql)
                c.execute("INSERT INTO schema_version (version) VALUES (?)", (v,))
        c.execute("INSERT INTO workflow_snapshots (def_hash, json) VALUES ('h', '{\"name\":\"flow\"}')")
        for i, status in enumerate(["COMPLETED", "RUNNING", "TIMED_OUT"]):
            body = f'{{"workflowId":"old{i}","status":"{status}","input":{{"v":"old-body-{i}"}}}}'.encode()
            c.execute(
                "INSERT INTO workflows (workflow_id, name, version, status, start_time, update_time, def_hash, json)"
                " VALUES (?, 'flow', 1, ?, ?, ?, 'h', ?)",
                (f"old{i}", status, 1000 + i, 1000 + i, body),
            )
    c.close()
    store = SqliteStore(f"sqlite:///{path}")
    try:
        assert store.migrate() >= 3
        assert queued(path) == 2
        assert ids(store, "old-body") == (3, ["old2", "old1", "old0"])
        assert index_all(store) == 2
        assert ids(store, "old-body-2") == (1, ["old2"])
        assert store.get_workflow("old0") is not None
    finally:
        store.close()


def test_sweeper_indexes_in_short_batches_up_to_a_cap(store: SqliteStore, path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    with store.transaction():
        for i in range(250):
            store.insert_workflow(wf(f"w{i}", "COMPLETED", 1000 + i), None)
    monkeypatch.setattr(sweeper, "INDEX_BATCH", 40)
    monkeypatch.setattr(sweeper, "INDEX_PER_PASS", 200)
    svc = cast(Services, SimpleNamespace(store=store))
    assert asyncio.run(sweeper.index_free_text(svc)) == 200
    assert asyncio.run(sweeper.index_free_text(svc)) == 50
    assert asyncio.run(sweeper.index_free_text(svc)) == 0
    assert queued(path) == 0
    no_index = cast(Services, SimpleNamespace(store=object()))  # e.g. PostgreSQL: nothing to do
    assert asyncio.run(sweeper.index_free_text(no_index)) == 0
