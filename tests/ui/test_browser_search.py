"""The executions search in a real browser: filters in the URL, status counts, paging, bulk actions."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from ui_browser import artifacts, browser, console, needs_browser, page, seed, shot  # noqa: F401
from ui_seed import Seed

pytestmark = needs_browser


def rows(page: Any) -> list[str]:
    """Execution ids shown, once the search for the current URL (results and counts) has finished."""
    search = urlparse(page.url).query
    page.locator(f'table.executions[data-loaded="?{search}"]').wait_for(state="attached")
    return [r.get_attribute("data-id") for r in page.locator("table.executions tbody tr").all()]


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_filters_live_in_the_url(page: Any, seed: Seed) -> None:
    a = seed.start(seed.child, correlation_id=f"{seed.p}-alpha", n=1)
    b = seed.start(seed.child, correlation_id=f"{seed.p}-beta", n=2)
    running = seed.running_demo("fast", correlation_id=f"{seed.p}-gamma")
    kid = next(t["subWorkflowId"] for t in seed.workflow(running)["tasks"] if t["referenceTaskName"] == "receipt")
    page.goto("/")
    page.locator("#f-name").fill(f"{seed.child}, {seed.demo}")
    page.locator("#f-name").press("Enter")
    assert set(rows(page)) >= {a, b, running}
    assert query(page)["name"] == [f"{seed.child},{seed.demo}"]

    page.locator("[data-status=COMPLETED]").click()
    page.wait_for_url(re.compile("status=COMPLETED"))
    assert set(rows(page)) == {a, b, kid}
    page.locator("[data-status=RUNNING] .chip-count", has_text=re.compile("^1$")).wait_for()
    assert page.locator("[data-status=COMPLETED] .chip-count").inner_text() == "3"
    assert page.locator("[data-status=COMPLETED]").get_attribute("aria-pressed") == "true"

    page.locator("#f-cid").fill(f"{seed.p}-be*")
    page.locator("#f-cid").press("Enter")
    page.wait_for_url(re.compile("cid="))
    assert rows(page) == [b]
    assert query(page)["cid"] == [f"{seed.p}-be*"]

    page.reload()
    assert rows(page) == [b]
    assert page.locator("#f-cid").input_value() == f"{seed.p}-be*"
    assert page.locator("[data-status=COMPLETED]").get_attribute("aria-pressed") == "true"

    page.locator("#f-cid").fill("")
    page.locator("#f-text").fill(f"{seed.p}-alpha")
    page.locator("#f-text").press("Enter")
    page.wait_for_url(re.compile("q="))
    assert rows(page) == [a]

    page.go_back()
    page.wait_for_url(re.compile("cid="))
    assert rows(page) == [b]


def test_sorting_by_start_time(page: Any, seed: Seed) -> None:
    ids = [seed.start(seed.child, n=i) for i in range(3)]
    started = {i: seed.workflow(i)["startTime"] for i in ids}
    page.goto(f"/?name={seed.child}")
    newest_first = rows(page)
    assert set(newest_first) == set(ids)
    assert [started[i] for i in newest_first] == sorted(started.values(), reverse=True)
    assert page.locator("th[aria-sort=descending]").count() == 1
    page.locator(".th-sort", has_text="Started").click()
    page.wait_for_url(re.compile("sort=startTime%3AASC|sort=startTime:ASC"))
    oldest_first = rows(page)
    assert [started[i] for i in oldest_first] == sorted(started.values())
    assert page.locator("th[aria-sort=ascending]").count() == 1


def test_paging_with_next(page: Any, seed: Seed) -> None:
    ids = [seed.start(seed.child, n=i) for i in range(12)]
    page.goto(f"/?name={seed.child}&size=10")
    first = rows(page)
    assert len(first) == 10
    assert page.locator("p[role=status]").inner_text() == "Showing 1\N{EN DASH}10 of 12 executions"
    page.locator(".pager button", has_text="Next").click()
    page.wait_for_url(re.compile("page=2"))
    second = rows(page)
    assert len(second) == 2 and not set(first) & set(second)
    assert set(first) | set(second) == set(ids)
    assert page.locator(".pager button", has_text="Next").is_disabled()


def test_bulk_actions_report_each_id(page: Any, seed: Seed, artifacts: Path) -> None:
    r1 = seed.running_demo("fast", correlation_id=f"{seed.p}-bulk")
    r2 = seed.running_demo("fast", correlation_id=f"{seed.p}-bulk")
    done = seed.start(seed.demo, correlation_id=f"{seed.p}-bulk", route="fast", orderId=1)
    assert seed.api.delete(f"/workflow/{done}", params={"reason": "ended before the test"}).status_code == 200
    page.goto(f"/?cid={seed.p}-bulk&name={seed.demo}")
    assert set(rows(page)) == {r1, r2, done}
    for wid in (r1, r2, done):
        page.locator(f'tr[data-id="{wid}"] input[type=checkbox]').check()
    assert page.locator(".bulk-bar strong").inner_text() == "3 selected"
    page.locator("[data-bulk=pause]").click()
    dialog = page.locator("dialog[open]")
    assert dialog.locator(".dialog-title").inner_text() == "Pause 3 executions?"
    shot(page, artifacts, "08-bulk-confirm", full_page=False)
    dialog.locator("button[type=submit]").click()
    result = page.locator(".bulk-result")
    result.locator("strong", has_text="2 succeeded, 1 failed").wait_for()
    assert result.locator(f'li.ok[data-id="{r1}"]').count() == 1
    assert result.locator(f'li.ok[data-id="{r2}"]').count() == 1
    assert "has ended" in result.locator(f'li.fail[data-id="{done}"]').inner_text()
    page.locator(f'tr[data-id="{r1}"] .badge', has_text="PAUSED").wait_for()
    shot(page, artifacts, "09-bulk-result")
    assert seed.workflow(r1)["status"] == "PAUSED" and seed.workflow(r2)["status"] == "PAUSED"

    rows(page)  # the list redrawn after the action: select on the fresh rows
    page.locator("table.executions thead input[type=checkbox]").check()
    assert page.locator(".bulk-bar strong").inner_text() == "3 selected"
    page.locator("[data-bulk=terminate]").click()
    page.locator("dialog[open] input").fill("bulk stop")
    page.locator("dialog[open] button[type=submit]").click()
    page.locator(".bulk-result strong", has_text="Terminate: 3 succeeded, 0 failed").wait_for()  # ended: a no-op
    assert seed.workflow(r1)["status"] == "TERMINATED"
    assert seed.workflow(r2)["reasonForIncompletion"] == "bulk stop"

    rows(page)
    page.locator(f'tr[data-id="{done}"] input[type=checkbox]').check()
    page.locator("[data-bulk=delete]").click()
    page.locator("dialog[open] button[type=submit]").click()
    page.locator(".bulk-result strong", has_text="Delete: 1 succeeded, 0 failed").wait_for()
    assert done not in rows(page)
    assert seed.api.get(f"/workflow/{done}").status_code == 404
