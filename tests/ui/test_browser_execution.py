"""The execution view in a real browser: diagram states, terminate, task panel, timeline, keyboard, 1,000 tasks."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
from ui_browser import artifacts, browser, console, needs_browser, page, seed, shot  # noqa: F401
from ui_seed import Seed

pytestmark = needs_browser


def node(page: Any, key: str) -> Any:
    return page.locator(f'.graph .node[data-key="{key}"]')


def classes(page: Any, key: str) -> set[str]:
    return set((node(page, key).get_attribute("class") or "").split())


def test_search_open_terminate(page: Any, seed: Seed, api: httpx.Client, artifacts: Path) -> None:
    """The CI path: search → open an execution → nodes coloured by state → terminate → new state shown."""
    wid = seed.running_demo("fast", correlation_id=f"{seed.p}-order")
    page.goto(f"/?name={seed.demo}")
    row = page.locator(f'tr[data-id="{wid}"]')
    row.wait_for()
    assert row.locator(".badge").inner_text() == "RUNNING"
    page.locator("[data-status=RUNNING] .chip-count", has_text=re.compile(r"^\d+$")).wait_for()
    assert page.locator("[data-status=RUNNING] .chip-count").inner_text() == "1"
    shot(page, artifacts, "01-search")

    row.locator("a").click()
    page.wait_for_url(f"**/execution/{wid}")
    node(page, "approve").wait_for()
    assert "s-COMPLETED" in classes(page, "prepare")
    assert "s-COMPLETED" in classes(page, "pack") and "s-COMPLETED" in classes(page, "bill_total")
    assert "s-SCHEDULED" in classes(page, "approve")
    assert {"s-COMPLETED"} <= classes(page, "fast_path") and "dim" not in classes(page, "fast_path")
    assert {"dim", "s-NOT_RUN"} <= classes(page, "slow_path")
    assert "dim" in classes(page, "default_path")
    assert page.locator(".loop-label").text_content() == "↻ 3 iterations"
    assert node(page, "loop_body").get_attribute("aria-label").endswith("3 iter.")
    child_link = node(page, "receipt").locator("a.n-link")
    assert child_link.get_attribute("href").startswith("/execution/")
    assert page.locator(".legend li").count() == 10
    page.locator(".graph-toolbar button", has_text="Fit").click()
    shot(page, artifacts, "02-execution-running")

    page.locator("[data-action=terminate]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input").fill("stopped from the UI test")
    dialog.locator("button[type=submit]").click()
    page.locator('.wf-status[data-status="TERMINATED"]').wait_for()
    node(page, "approve").and_(page.locator(".s-CANCELED")).wait_for()
    assert page.locator(".reason-box").inner_text() == "stopped from the UI test"
    assert page.locator("[data-action=terminate]").count() == 0
    assert page.locator("[data-action=retry]").count() == 1
    assert page.locator(".terminal.end").get_attribute("class").split()[-1] == "wf-TERMINATED"
    page.locator(".graph-toolbar button", has_text="Fit").click()
    shot(page, artifacts, "03-execution-terminated")
    wf = seed.workflow(wid)
    assert wf["status"] == "TERMINATED" and wf["reasonForIncompletion"] == "stopped from the UI test"


def test_task_panel_and_manual_completion(page: Any, seed: Seed, artifacts: Path) -> None:
    wid = seed.running_demo("slow")
    page.goto(f"/execution/{wid}")
    assert "dim" in classes(page, "fast_path") and "dim" not in classes(page, "slow_path")
    assert "s-SCHEDULED" in classes(page, "slow_path")
    node(page, "prepare").click()
    panel = page.locator(".task-panel")
    assert panel.locator(".panel-title").inner_text() == "prepare"
    assert "task=prepare" in page.url
    panel.get_by_role("tab", name="Input").click()
    assert '"orderId": 7' in panel.locator("pre.json").inner_text()
    panel.get_by_role("tab", name="Output").click()
    assert '"prepared": true' in panel.locator("pre.json").inner_text()
    panel.get_by_role("tab", name="Logs").click()
    panel.get_by_text("worked on prepare").wait_for()
    panel.get_by_role("tab", name="Poll data").click()
    panel.get_by_text("ui-test-worker").wait_for()
    panel.get_by_role("tab", name="Definition").click()
    panel.get_by_text(f"{seed.t_prepare} worker").wait_for()
    panel.get_by_role("tab", name="Attempts").click()
    assert panel.locator("table.attempts tbody tr").count() == 1
    panel.get_by_role("tab", name="Summary").click()
    panel.get_by_text("ui-test-worker").wait_for()
    shot(page, artifacts, "04-task-panel")

    node(page, "slow_path").click()
    panel.locator(".panel-actions button", has_text="Complete").click()
    page.locator("dialog[open] textarea").fill('{"approvedBy": "ui"}')
    page.locator("dialog[open] button[type=submit]").click()
    node(page, "slow_path").and_(page.locator(".s-COMPLETED")).wait_for()
    seed.wait_for(wid, "approve", "SCHEDULED")
    node(page, "approve").and_(page.locator(".s-SCHEDULED")).wait_for()
    rec = next(t for t in seed.workflow(wid)["tasks"] if t["referenceTaskName"] == "slow_path")
    assert rec["status"] == "COMPLETED" and rec["outputData"] == {"approvedBy": "ui"}

    node(page, "approve").click()
    panel.locator(".panel-actions button", has_text="Fail").click()
    page.locator("dialog[open] input[type=text]").fill("rejected in the test")
    page.locator("dialog[open] button[type=submit]").click()
    page.locator('.wf-status[data-status="FAILED"]').wait_for()
    assert "s-FAILED" in classes(page, "approve")
    page.keyboard.press("Escape")
    assert page.locator(".task-panel").count() == 0

    page.locator("[data-action=retry]").click()
    page.locator('.wf-status[data-status="RUNNING"]').wait_for()
    node(page, "approve").and_(page.locator(".s-SCHEDULED")).wait_for()
    node(page, "approve").click()
    page.locator(".task-panel").get_by_role("tab", name="Attempts").click()
    assert page.locator(".task-panel table.attempts tbody tr").count() == 2


def test_sub_workflow_links_both_ways(page: Any, seed: Seed) -> None:
    wid = seed.running_demo("fast")
    page.goto(f"/execution/{wid}")
    node(page, "receipt").locator("a.n-link").click()
    page.locator(".parent-link").wait_for()
    assert "s-COMPLETED" in classes(page, "receipt")
    child = page.url.rsplit("/", 1)[1]
    assert seed.workflow(child)["parentWorkflowId"] == wid
    page.locator(".parent-link").click()
    page.wait_for_url(f"**/execution/{wid}")
    node(page, "approve").wait_for()


def test_task_list_timeline_and_data_tabs(page: Any, seed: Seed, artifacts: Path) -> None:
    wid = seed.running_demo("fast")
    total = len(seed.workflow(wid)["tasks"])
    page.goto(f"/execution/{wid}?tab=tasks")
    rows = page.locator("table.task-list tbody tr")
    rows.first.wait_for()
    assert rows.count() == total
    page.locator("#task-filter").fill("loop_body")
    assert page.locator("table.task-list tbody tr:not([hidden])").count() == 3
    page.get_by_role("tablist", name="Execution").get_by_role("tab", name="Timeline").click()
    assert "tab=timeline" in page.url
    bars = page.locator(".timeline .tl-row")
    assert bars.count() == total
    shot(page, artifacts, "05-timeline")
    page.locator('.tl-row[data-key="bill"]').click()
    assert page.locator(".task-panel .panel-title").inner_text() == "bill"
    main_tabs = page.get_by_role("tablist", name="Execution")
    main_tabs.get_by_role("tab", name="Input & output").click()
    assert '"route": "fast"' in page.locator(".exec-main pre.json").first.inner_text()
    main_tabs.get_by_role("tab", name="JSON").click()
    # The execution's JSON is a lazy tree (jsontree.js): the first level open, the rest on demand.
    assert wid in page.locator(".exec-main .jt-line[data-path='[\"workflowId\"]']").inner_text()


def test_keyboard_navigation(page: Any, seed: Seed) -> None:
    wid = seed.running_demo("fast")
    page.goto(f"/execution/{wid}")
    node(page, "prepare").focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.key") == "fork"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.key") in {"pack", "bill"}
    page.keyboard.press("Enter")
    title = page.locator(".task-panel .panel-title")
    assert title.inner_text() in {"pack", "bill"}
    page.keyboard.press("Escape")
    assert page.locator(".task-panel").count() == 0
    assert page.evaluate("document.activeElement.dataset.key") in {"pack", "bill"}
    tabs = page.get_by_role("tab", name="Diagram")
    tabs.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "Task list"
    assert page.locator("table.task-list").count() == 1


def test_dynamic_fork_of_1000_tasks(page: Any, seed: Seed, api: httpx.Client, artifacts: Path) -> None:
    wid = seed.start(seed.fan, items=list(range(1000)))
    seed.wait_for(wid, "fan_join", "IN_PROGRESS")
    for _ in range(3):
        seed.complete(seed.t_item, wid)
    started = time.perf_counter()
    page.goto(f"/execution/{wid}")
    page.locator(".group[data-group=fan]").wait_for()
    wall_ms = (time.perf_counter() - started) * 1000
    nav_ms = page.evaluate("performance.now()")
    timings = page.evaluate(
        "({render: +document.querySelector('main').dataset.renderMs,"
        " fetch: +document.querySelector('main').dataset.fetchMs})"
    )
    counts = page.locator(".group .g-counts").text_content()
    assert "3 completed" in counts and "997 scheduled" in counts
    shot(page, artifacts, "06-fanout-collapsed")

    toggle = page.locator("[data-toggle=fan]")
    t0 = time.perf_counter()
    toggle.click()
    page.locator(".node.cell").nth(999).wait_for(state="attached")
    expand_ms = (time.perf_counter() - t0) * 1000
    assert page.locator(".node.cell").count() == 1000
    assert page.locator(".node.cell.s-COMPLETED").count() == 3
    page.locator(f'.node.cell[data-key="_{seed.t_item}_0"]').focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.key") == f"_{seed.t_item}_1"
    page.keyboard.press("Enter")
    assert page.locator(".task-panel .panel-title").inner_text() == f"_{seed.t_item}_1"
    shot(page, artifacts, "07-fanout-expanded", full_page=False)
    page.locator("[data-toggle=fan]").click()
    assert page.locator(".node.cell").count() == 0

    figures = {
        "tasks": 1002,
        "page_to_diagram_ms": round(wall_ms),
        "navigation_ms": round(nav_ms),
        "fetch_ms": timings["fetch"],
        "first_render_ms": timings["render"],
        "expand_ms": round(expand_ms),
    }
    (artifacts / "fanout-timing.json").write_text(json.dumps(figures, indent=2))
    print("dynamic fork of 1,000:", figures)
