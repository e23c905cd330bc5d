"""PostgreSQL (issue #18, migration 0010): a decide's write of a running workflow is a HOT update.

HOT (heap-only tuple) updates write no index entries. PostgreSQL makes one only when no indexed column
changes and the row's page has room, so the free-text index reads ended workflows' bodies, which move
to ``ended_json`` when they end, a step keeps a stored next check that is near enough, and ``workflows`` has room on
its pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from test_free_text_sqlite import wf

from podium.domain.model import Workflow
from podium.store.postgres import PostgresStore
from podium.store.postgres.queries import Q
from podium.store.rows import workflow_row

NOW = 1_800_000_000_000
HOUR = 3_600_000


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    yield s
    s.close()


def at(wid: str, status: str, now: int, **extra: Any) -> Workflow:
    """A workflow as a decide at ``now`` writes it."""
    w = wf(wid, status, NOW - 1000, **extra)
    w["updateTime"] = now
    return w


def stored(url: str, wid: str) -> tuple[int | None, str | None, str | None]:
    """The row's next check, ``ended_json`` and ``json``."""
    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute("SELECT next_check, ended_json, json FROM workflows WHERE workflow_id = %s", (wid,)).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def updates(c: psycopg.Connection[Any]) -> tuple[int, int]:
    """Updates of ``workflows`` this session counted so far (all, and HOT)."""
    got = c.execute(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'workflows'"
    ).fetchone()
    return (int(got[0]), int(got[1])) if got else (0, 0)


@pytest.mark.parametrize("statement", ["update_workflow_quiet", "update_workflow"])
def test_the_steps_of_a_running_workflow_are_hot_updates(store: PostgresStore, pg_url: str, statement: str) -> None:
    for i in range(20):
        store.insert_workflow(at(f"w{i}", "RUNNING", NOW, input={"step": 0, "pad": "x" * 300}), NOW + HOUR)
    upd = hot = 0
    with psycopg.connect(pg_url) as c:
        for step in range(1, 11):
            for i in range(20):  # each write a transaction of its own, as the steps of one workflow are
                before = updates(c)  # the view adds the transactions whose counts are not flushed yet
                now = NOW + step * 50
                w = at(f"w{i}", "RUNNING", now, input={"step": step, "pad": "x" * 300})
                row = workflow_row(w, now + HOUR, "hash", json.dumps(w))
                row["notify"] = "n"
                c.execute(Q[statement], row)
                after = updates(c)
                upd, hot = upd + after[0] - before[0], hot + after[1] - before[1]
                c.commit()
    assert (upd, hot) == (200, 200)
    assert stored(pg_url, "w3")[0] == NOW + HOUR  # the first check stays: it is nearer and still ahead


def test_a_status_change_is_written_in_full(store: PostgresStore, pg_url: str) -> None:
    store.insert_workflow(at("w", "RUNNING", NOW), NOW + HOUR)
    ended = at("w", "COMPLETED", NOW + 10, output={"done": True})
    store.update_workflow(ended, None)
    check, ended, running = stored(pg_url, "w")
    assert check is None and running is None
    assert ended is not None and json.loads(ended)["output"] == {"done": True}
    got = store.get_workflow("w")
    assert got is not None and got["output"] == {"done": True}


@pytest.mark.parametrize(
    ("old", "new", "kept"),
    [
        (None, NOW + HOUR, False),  # nothing stored
        (NOW + HOUR, NOW + HOUR + 500, True),  # the next step of a running workflow
        (NOW + 50, NOW + 100, True),  # exactly half as far ahead
        (NOW + 49, NOW + 100, False),  # nearer than half: the sweeper's lease, say
        (NOW + HOUR, NOW + 10, False),  # an earlier check is always written
        (NOW + HOUR, None, False),  # and so is a cleared one
        (NOW - 5, NOW + HOUR, False),  # a due check
        (NOW, NOW, True),  # the same
    ],
)
def test_which_next_check_an_update_keeps(
    store: PostgresStore, pg_url: str, old: int | None, new: int | None, kept: bool
) -> None:
    store.insert_workflow(at("w", "RUNNING", NOW - 1000), old)
    store.update_workflow(at("w", "RUNNING", NOW, input={"moved": True}), new)
    assert stored(pg_url, "w")[0] == (old if kept else new)


def test_an_ended_workflow_keeps_its_body_where_free_text_looks(store: PostgresStore, pg_url: str) -> None:
    store.insert_workflow(at("born-ended", "FAILED", NOW, input={"k": 1}), None)
    _, ended, running = stored(pg_url, "born-ended")
    assert running is None and ended is not None and json.loads(ended)["input"] == {"k": 1}
    store.insert_workflow(at("w", "RUNNING", NOW), NOW + HOUR)
    assert stored(pg_url, "w")[1] is None
    for status in ("TERMINATED", "RUNNING", "TIMED_OUT", "PAUSED", "COMPLETED"):
        store.update_workflow(at("w", status, NOW + 1, input={"status": status}), None)
        _, ended, running = stored(pg_url, "w")
        body = ended if status in ("TERMINATED", "TIMED_OUT", "COMPLETED") else running
        assert body is not None and json.loads(body)["input"] == {"status": status}, status
        assert (ended, running).count(None) == 1, status  # one body, never two
        got = store.get_workflow("w")
        assert got is not None and got["input"] == {"status": status} and got["status"] == status
