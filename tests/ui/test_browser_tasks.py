"""Task search and the executions search over thousands of executions, in a real browser (issue #17)."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from ui_browser import artifacts, browser, console, needs_browser, page  # noqa: F401
from ui_seed import Seed, simple, start_many
from ui_widths import shots_at_widths

from conftest import ServerProcess

pytestmark = needs_browser

MANY = 3000


@dataclass
class Crowd:
    seed: Seed
    many: list[str]  # MANY completed executions of seed.child, correlation ids {p}-{i}
    done: list[str]  # job executions whose task worker-a completed
    failed: list[str]  # job executions whose task worker-b failed
    waiting: list[str]  # job executions whose task nobody polled yet
    job: str  # the job workflow's name
    task: str  # its SIMPLE task type


@pytest.fixture(scope="module")
def crowd(server: ServerProcess) -> Iterator[Crowd]:
    with httpx.Client(base_url=server.url + "/api", timeout=60) as api:
        seed = Seed(api, f"crowd{os.getpid()}")
        seed.register()
        task, job = f"{seed.p}_job", f"{seed.p}_work"
        assert api.post("/metadata/taskdefs", json=[{"name": task, "retryCount": 0}]).status_code == 200
        wf = {"name": job, "version": 1, "tasks": [simple(task, "job")]}
        assert api.post("/metadata/workflow", params={"overwrite": "true"}, json=wf).status_code == 200
        many = start_many(api, seed.child, MANY, seed.p)
        jobs = [seed.start(job, correlation_id=f"{seed.p}-job{i}", i=i) for i in range(9)]
        polled_by: dict[str, list[str]] = {"worker-a": [], "worker-b": []}
        for worker, count, status in (("worker-a", 4, "COMPLETED"), ("worker-b", 2, "FAILED")):
            for _ in range(count):
                polled = api.get(f"/tasks/poll/batch/{task}", params={"count": 1, "timeout": 2000, "workerid": worker})
                t = polled.json()[0]
                body = {
                    "workflowInstanceId": t["workflowInstanceId"],
                    "taskId": t["taskId"],
                    "status": status,
                    "outputData": {"by": worker},
                    "reasonForIncompletion": "card declined" if status == "FAILED" else None,
                }
                assert api.post("/tasks", json=body).status_code == 200
                polled_by[worker].append(t["workflowInstanceId"])
        done, failed = polled_by["worker-a"], polled_by["worker-b"]
        waiting = [w for w in jobs if w not in done + failed]
        yield Crowd(seed, many, done, failed, waiting, job, task)


def loaded(page: Any, table: str) -> list[Any]:
    """The result rows once the search for the current URL has finished."""
    search = urlparse(page.url).query
    page.locator(f'table.{table}[data-loaded="?{search}"]').wait_for(state="attached")
    return page.locator(f"table.{table} tbody tr").all()


def test_task_search_by_type_status_worker_and_text(page: Any, crowd: Crowd, artifacts: Path) -> None:
    page.goto("/tasks")
    page.locator("#t-type").fill(crowd.task)
    page.locator("#t-type").press("Enter")
    rows = loaded(page, "tasks-found")
    assert {r.get_attribute("data-wid") for r in rows} == set(crowd.done + crowd.failed + crowd.waiting)
    assert parse_qs(urlparse(page.url).query)["type"] == [crowd.task]

    page.locator(".chip[data-status=FAILED]").click()
    page.wait_for_url(re.compile("status=FAILED"))
    assert {r.get_attribute("data-wid") for r in loaded(page, "tasks-found")} == set(crowd.failed)
    counts = {
        s: page.locator(f".chip[data-status={s}] .chip-count").inner_text()
        for s in ("FAILED", "COMPLETED", "SCHEDULED")
    }
    assert counts == {"FAILED": "2", "COMPLETED": "4", "SCHEDULED": "3"}  # each under the other filters

    page.locator(".chip[data-status=FAILED]").click()  # off again
    page.locator(".chip[data-status=COMPLETED]").click()
    page.locator("#t-worker").fill("worker-a")
    page.locator("#t-worker").press("Enter")
    page.wait_for_url(re.compile("worker=worker-a"))
    rows = loaded(page, "tasks-found")
    assert {r.get_attribute("data-wid") for r in rows} == set(crowd.done)
    assert all(r.locator("td").nth(5).inner_text() == "worker-a" for r in rows)
    shots_at_widths(page, artifacts, "40-task-search")

    page.goto(f"/tasks?type={crowd.task}")
    loaded(page, "tasks-found")
    page.locator("#t-text").fill("card declined")
    page.locator("#t-text").press("Enter")
    page.wait_for_url(re.compile("q=card"))
    assert {r.get_attribute("data-wid") for r in loaded(page, "tasks-found")} == set(crowd.failed)

    page.goto(f"/tasks?type={crowd.task}&range=15m")  # all of them ran within the last minutes
    assert len(loaded(page, "tasks-found")) == 9
    page.goto(f"/tasks?type={crowd.task}&from=2000-01-01T00:00&to=2000-01-02T00:00")
    assert loaded(page, "tasks-found") == []
    assert page.locator("#t-range").input_value() == "custom"

    page.goto(f"/tasks?type={crowd.task}&worker=worker-b")
    link = loaded(page, "tasks-found")[0].locator("a").first
    wid = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(f"/execution/{wid}\\?task=job"))
    page.locator(".panel-title").wait_for()


def test_task_search_pages_through_thousands(page: Any, crowd: Crowd) -> None:
    page.goto(f"/tasks?type=INLINE&q={crowd.seed.p}&size=100")  # the child's one task, once per execution
    rows = loaded(page, "tasks-found")
    assert len(rows) == 100
    summary = page.locator("p[role=status]").inner_text()
    assert summary == f"Showing 1\N{EN DASH}100 of {MANY} tasks"
    page.locator("[data-page=last]").click()
    page.wait_for_url(re.compile(f"page={MANY // 100}"))
    assert len(loaded(page, "tasks-found")) == 100
    assert page.locator("[data-page=next]").is_disabled()
    page.locator("#t-size-jump").fill("7")
    page.locator("#t-size-jump").press("Enter")
    page.wait_for_url(re.compile("page=7"))
    loaded(page, "tasks-found")
    assert page.locator("p[role=status]").inner_text() == f"Showing 601\N{EN DASH}700 of {MANY} tasks"


def ids(page: Any) -> list[str]:
    return [r.get_attribute("data-id") for r in loaded(page, "executions")]


def test_executions_search_by_workflow_id_and_first_last_jump(page: Any, crowd: Crowd, artifacts: Path) -> None:
    page.goto(f"/?name={crowd.seed.child}&cid={crowd.seed.p}-*&size=50")
    first = ids(page)
    assert len(first) == 50
    assert page.locator("p[role=status]").inner_text() == f"Showing 1\N{EN DASH}50 of {MANY} executions"
    page.locator("[data-page=last]").click()
    page.wait_for_url(re.compile(f"page={MANY // 50}"))
    assert len(ids(page)) == 50 and page.locator("[data-page=last]").is_disabled()
    page.locator("#f-size-jump").fill("30")
    page.locator("#f-size-jump").press("Enter")
    page.wait_for_url(re.compile("page=30"))
    ids(page)
    assert page.locator("p[role=status]").inner_text() == f"Showing 1451\N{EN DASH}1500 of {MANY} executions"
    page.locator("[data-page=first]").click()
    page.wait_for_url(lambda u: "page=" not in u)
    assert ids(page) == first
    shots_at_widths(page, artifacts, "41-executions-thousands")

    target = crowd.many[1234]
    page.goto("/")
    ids(page)
    page.locator("#f-wid").fill(target)
    page.locator("#f-wid").press("Enter")
    page.wait_for_url(re.compile("wid="))
    assert ids(page) == [target]
    page.reload()
    assert ids(page) == [target] and page.locator("#f-wid").input_value() == target


def test_executions_sort_by_status_and_duration(page: Any, crowd: Crowd) -> None:
    page.goto(f"/?name={crowd.job}&size=10")
    ids(page)
    page.locator(".th-sort", has_text="Status").click()
    page.wait_for_url(re.compile("sort=status"))
    statuses = [r.locator(".badge").inner_text() for r in loaded(page, "executions")]
    assert statuses == sorted(statuses, reverse=True)
    page.locator(".th-sort", has_text="Status").click()
    page.wait_for_url(re.compile("sort=status%3AASC|sort=status:ASC"))
    statuses = [r.locator(".badge").inner_text() for r in loaded(page, "executions")]
    assert statuses == sorted(statuses) and statuses[0] == "COMPLETED" and statuses[-1] == "RUNNING"

    page.goto(f"/?name={crowd.job}&status=COMPLETED,FAILED")
    ids(page)
    page.locator(".th-sort", has_text="Duration").click()
    page.wait_for_url(re.compile("sort=executionTime"))
    rows = loaded(page, "executions")
    ms = [int(r.locator("td[data-ms]").get_attribute("data-ms")) for r in rows]
    assert len(ms) == 6 and ms == sorted(ms, reverse=True)


def test_column_chooser_is_remembered_and_auto_refresh_shows_new_runs(page: Any, crowd: Crowd, artifacts: Path) -> None:
    page.goto(f"/?name={crowd.job}")
    ids(page)
    assert page.locator("table.executions th", has_text="Correlation id").count() == 1
    page.locator(".col-chooser summary").click()
    page.locator("#col-cid").uncheck()
    page.locator("#col-reason").uncheck()
    assert page.locator("table.executions th", has_text="Correlation id").count() == 0
    assert page.locator("table.executions th", has_text="Reason").count() == 0
    shots_at_widths(page, artifacts, "42-column-chooser")
    page.keyboard.press("Escape")
    assert not page.locator("#col-cid").is_visible()
    page.reload()
    ids(page)
    assert page.locator("table.executions th", has_text="Correlation id").count() == 0
    assert not page.locator("#col-cid").is_checked() and page.locator("#col-started").is_checked()

    page.clock.install()  # the page's timers only: the auto-refresh fires when the test says so
    page.reload()
    before = ids(page)
    page.locator("#f-auto").check()
    late = crowd.seed.start(crowd.job, correlation_id=f"{crowd.seed.p}-late")
    page.clock.run_for(10_500)
    page.locator(f'tr[data-id="{late}"]').wait_for()
    assert set(ids(page)) == set(before) | {late}
    assert page.url.endswith(f"/?name={crowd.job}")  # a refresh is not a new history entry
