"""Issue #17's defects, each seen in a real browser: the editor keeps and diffs edits, a live refresh
keeps the user's state, 800 px pages, diagram labels / fit / zoom / pan, big JSON stays responsive,
refused actions are not offered, server down and not-found pages."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_browser import ConsoleWatch, artifacts, browser, console, needs_browser, page, seed, shot  # noqa: F401
from ui_seed import Seed, _ok, inline, simple

from conftest import ServerProcess, wait_until

pytestmark = needs_browser

LONG_TASKS = """
window.__longTasks = [];
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
} catch (e) { window.__longTasks = null; }
"""


WIDE = """(() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 8)
  .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`))()"""


def longest_task(page: Any) -> float:
    found = page.evaluate("window.__longTasks")
    assert found is not None, "the browser has no longtask observer"
    return max(found, default=0.0)


def register(api: httpx.Client, wf: dict[str, Any], taskdefs: list[dict[str, Any]] | None = None) -> None:
    if taskdefs:
        _ok(api.post("/metadata/taskdefs", json=taskdefs))
    _ok(api.post("/metadata/workflow", params={"overwrite": "true"}, json=wf))


# -- 1. the definition editor ---------------------------------------------------------------------
def test_editor_keeps_edits_marks_them_warns_and_diffs(page: Any, seed: Seed, artifacts: Path) -> None:
    page.goto(f"/workflows/{seed.demo}?tab=edit")
    editor = page.locator("#def-editor")
    editor.wait_for()
    edit_tab = page.locator('[role=tab][data-tab="edit"]')
    assert "dirty" not in (edit_tab.get_attribute("class") or "")
    original = json.loads(editor.input_value())
    changed = {**original, "description": "changed in the browser"}
    editor.fill(json.dumps(changed, indent=2))
    assert "dirty" in (edit_tab.get_attribute("class") or "")
    assert page.locator(".dirty-marker").is_visible()

    # A tab switch keeps the unsaved text.
    page.locator('[role=tab][data-tab="diagram"]').click()
    edit_tab.click()
    assert json.loads(editor.input_value())["description"] == "changed in the browser"

    # Leaving asks first: an in-app link (cancel stays) and the browser's own leave (beforeunload).
    page.locator('a[data-nav="executions"]').click()
    leave = page.locator("dialog[open]")
    assert "Leave with unsaved edits?" in leave.inner_text()
    leave.locator("button[value=cancel]").click()
    assert f"/workflows/{seed.demo}" in page.url
    assert json.loads(editor.input_value())["description"] == "changed in the browser"
    prevented = page.evaluate(
        "(() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e);"
        " return e.defaultPrevented; })()"
    )
    assert prevented is True

    # Save shows the diff and asks: overwrite version 1 this time.
    page.locator("[data-act=save]").click()
    dlg = page.locator("dialog[open]")
    assert "changed in the browser" in dlg.locator(".diff-add").inner_text()
    assert "Order handling demo" in dlg.locator(".diff-del").inner_text()
    assert dlg.locator("#save-new").is_checked()
    assert "version 2" in dlg.inner_text()
    shot(page, artifacts, "20-editor-diff-before-save")
    dlg.locator("#save-over").check()
    dlg.locator("button[type=submit]").click()
    page.locator(".toast", has_text=f"Saved {seed.demo} version 1").wait_for()
    page.wait_for_url(re.compile(rf"/workflows/{seed.demo}\?version=1"))
    assert seed.api.get(f"/metadata/workflow/{seed.demo}", params={"version": 1}).json()["description"] == (
        "changed in the browser"
    )
    assert seed.api.get(f"/metadata/workflow/{seed.demo}", params={"version": 2}).status_code == 404

    # Edit again and save as a new version: version 2 appears, version 1 is left as it was.
    page.locator('[role=tab][data-tab="edit"]').click()
    editor = page.locator("#def-editor")
    editor.fill(json.dumps({**changed, "description": "second edit"}, indent=2))
    page.locator("[data-act=save]").click()
    page.locator("dialog[open] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/workflows/{seed.demo}\?version=2"))
    assert seed.api.get(f"/metadata/workflow/{seed.demo}", params={"version": 2}).json()["description"] == "second edit"
    assert seed.api.get(f"/metadata/workflow/{seed.demo}", params={"version": 1}).json()["description"] == (
        "changed in the browser"
    )
    # Saved: nothing holds the door any more.
    page.locator('a[data-nav="executions"]').click()
    page.wait_for_url(re.compile(r"/$|/\?"))
    assert page.locator("dialog[open]").count() == 0


# -- 2. live refresh keeps the user's state --------------------------------------------------------
def steps_workflow(seed: Seed, n: int = 5) -> tuple[str, str]:
    name, tdef = f"{seed.p}_steps", f"{seed.p}_step"
    register(
        seed.api,
        {"name": name, "version": 1, "tasks": [simple(tdef, f"step_{i}") for i in range(1, n + 1)]},
        [{"name": tdef, "retryCount": 0}],
    )
    return name, tdef


def rows(page: Any) -> int:
    return int(page.locator(".task-list tbody tr[data-task]").count())


def test_live_refresh_keeps_filter_selection_focus_panel_and_scroll(page: Any, seed: Seed, artifacts: Path) -> None:
    name, tdef = steps_workflow(seed)
    wid = seed.start(name)
    seed.complete(tdef, wid)  # step_1 done, step_2 scheduled
    page.set_viewport_size({"width": 1400, "height": 380})
    page.goto(f"/execution/{wid}?tab=tasks")
    page.locator(".task-list tbody tr[data-task]").nth(1).wait_for()
    flt = page.locator("#task-filter")
    flt.fill("step_")
    # Open the panel on step_1 at its Input tab.
    page.locator('.task-list tr[data-key="step_1"] button.link').click()
    panel = page.locator(".task-panel")
    panel.get_by_role("tab", name="Input").click()
    # Select the text of step_1's type cell and scroll the page a little.
    page.evaluate(
        "(() => { const td = document.querySelector('.task-list tr[data-key=\"step_1\"] td:nth-child(3)');"
        " const r = document.createRange(); r.selectNodeContents(td);"
        " const s = getSelection(); s.removeAllRanges(); s.addRange(r); window.scrollTo(0, 90); })()"
    )
    scroll_y = page.evaluate("window.scrollY")
    assert scroll_y > 0
    for done in (2, 3):
        seed.complete(tdef, wid)
        wait_until(lambda d=done: rows(page) == d + 1, timeout=15, what=f"row {done + 1} drawn by a refresh")
    assert flt.input_value() == "step_"
    assert page.evaluate("getSelection().toString()").strip() == tdef
    assert page.evaluate("window.scrollY") == scroll_y
    assert panel.locator(".panel-title").inner_text() == "step_1"
    assert panel.get_by_role("tab", name="Input").get_attribute("aria-selected") == "true"
    assert page.locator('[role=tab][data-tab="tasks"]').get_attribute("aria-selected") == "true"

    # Focus in the filter survives refreshes too, and a new row obeys the filter.
    flt.fill("step_4")
    flt.focus()
    seed.complete(tdef, wid)
    count = page.locator(".task-count")
    wait_until(lambda: count.inner_text() == "1 of 5 tasks match", timeout=15, what="task 5 seen by a refresh")
    assert page.evaluate("document.activeElement.id") == "task-filter"
    assert flt.input_value() == "step_4"
    shown = page.locator(".task-list tbody tr[data-task]")
    assert shown.count() == 1 and shown.get_attribute("data-key") == "step_4"
    shot(page, artifacts, "21-live-refresh-kept-state")

    # The JSON tree keeps the nodes the user opened.
    page.get_by_role("tablist", name="Execution").get_by_role("tab", name="JSON").click()
    page.locator(".exec-main .jt-line[data-path='[\"tasks\"]'] .jt-toggle").click()
    page.locator(".exec-main .jt-line[data-path='[\"tasks\",4]']").wait_for()
    seed.complete(tdef, wid)  # step_5: the workflow completes
    page.locator('.wf-status[data-status="COMPLETED"]').wait_for()
    page.locator(".exec-main .jt-line[data-path='[\"status\"]']", has_text="COMPLETED").wait_for()
    assert page.locator(".exec-main .jt-line[data-path='[\"tasks\",4]']").is_visible()


# -- 3. 800 px and the resizable panel ---------------------------------------------------------------
def test_every_page_fits_800px_and_the_panel_resizes(
    page: Any, seed: Seed, artifacts: Path, console: ConsoleWatch
) -> None:
    console.allow("/no/such/page")  # the browser logs the 404 status of the page itself
    wid = seed.running_demo("fast")
    seed.complete(seed.t_approve, wid, status="FAILED")  # approve has no retries: the execution fails
    paths = {
        "executions": f"/?name={seed.demo}",
        "execution": f"/execution/{wid}",
        "execution-tasks": f"/execution/{wid}?tab=tasks&task=approve",
        "execution-json": f"/execution/{wid}?tab=json",
        "workflows": "/workflows",
        "workflow-def": f"/workflows/{seed.demo}",
        "workflow-edit": f"/workflows/{seed.demo}?tab=edit",
        "taskdefs": "/taskdefs",
        "queues": "/queues",
        "eventhandlers": "/eventhandlers",
        "not-found": "/no/such/page",
    }
    for width in (800, 1400):
        page.set_viewport_size({"width": width, "height": 900})
        for label, path in paths.items():
            page.goto(path)
            page.locator("#main > :not(p.muted)").first.wait_for()
            page.wait_for_load_state("networkidle")
            over = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert over <= 0, f"{label} scrolls sideways at {width} px by {over} px: {page.evaluate(WIDE)}"
            shot(page, artifacts, f"30-{label}-{width}")

    # The panel: attempts fit, the grip widens it, and the width is remembered.
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/execution/{wid}?task=approve")
    panel = page.locator(".task-panel")
    panel.get_by_role("tab", name="Attempts").click()
    fits = (
        "(() => { const t = document.querySelector('.task-panel table.attempts');"
        " return t.scrollWidth <= t.parentElement.clientWidth + 1; })()"
    )
    assert page.evaluate(fits)
    slot = page.locator(".panel-slot")
    before = slot.bounding_box()["width"]
    grip = page.locator(".panel-grip").bounding_box()
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + 60
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 150, y, steps=5)
    page.mouse.up()
    wider = slot.bounding_box()["width"]
    assert wider >= before + 140
    page.reload()
    page.locator(".task-panel").wait_for()
    assert abs(page.locator(".panel-slot").bounding_box()["width"] - wider) <= 2
    page.locator(".task-panel").get_by_role("tab", name="Attempts").click()
    assert page.evaluate(fits)
    page.set_viewport_size({"width": 800, "height": 900})
    assert page.evaluate(fits)
    shot(page, artifacts, "31-panel-attempts-800")


# -- 4. diagram labels, fit, zoom and pan ----------------------------------------------------------
def test_diagram_badges_do_not_overlap_and_fit_zoom_pan_work(page: Any, seed: Seed, artifacts: Path) -> None:
    tdef = f"{seed.p}_a_rather_long_task_definition_name"
    name = f"{seed.p}_badges"
    register(
        seed.api,
        {
            "name": name,
            "version": 1,
            "tasks": [
                {
                    "name": "loop",
                    "taskReferenceName": "loop",
                    "type": "DO_WHILE",
                    "loopCondition": "$.loop['iteration'] < 2",
                    "loopOver": [simple(tdef, "work")],
                },
                *[inline(f"after_{i}", "1") for i in range(8)],
            ],
        },
        [{"name": tdef, "retryCount": 2, "retryDelaySeconds": 0, "retryLogic": "FIXED"}],
    )
    wid = seed.start(name)
    seed.complete(tdef, wid)  # iteration 1
    seed.complete(tdef, wid, status="FAILED")  # iteration 2, first try
    seed.wait_for(wid, "work__2", "SCHEDULED")
    page.goto(f"/execution/{wid}")
    work = page.locator('.graph .node[data-key="work"]')
    work.wait_for()
    aria = work.get_attribute("aria-label")
    assert "2 iter." in aria and "try 2" in aria
    boxes = page.evaluate(
        "(() => { const g = document.querySelector('.graph .node[data-key=\"work\"]');"
        " const b = (s) => { const r = g.querySelector(s).getBBox(); return [r.x, r.x + r.width]; };"
        " return { sub: b('.n-sub'), badge: b('.n-badge'), title: b('.n-title'), glyph: b('.n-glyph') }; })()"
    )
    assert boxes["sub"][1] <= boxes["badge"][0], boxes
    assert boxes["title"][1] <= boxes["glyph"][0] or boxes["glyph"][0] == boxes["glyph"][1], boxes
    shot(page, artifacts, "41-diagram-badges", locator=page.locator(".graph-view"))

    # Fit: the whole diagram within the window.
    page.set_viewport_size({"width": 1400, "height": 700})
    page.locator(".graph-toolbar button", has_text="Fit").click()
    svg = page.locator(".graph-canvas svg").bounding_box()
    assert svg["y"] >= 0 and svg["y"] + svg["height"] <= 700 + 1
    assert svg["x"] >= 0 and svg["x"] + svg["width"] <= 1400
    shot(page, artifacts, "40-diagram-fit", full_page=False)

    # Ctrl + wheel zooms in around the pointer; dragging the background pans.
    label = page.locator(".zoom-label")
    before = label.inner_text()
    canvas = page.locator(".graph-canvas").bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + 40)
    page.keyboard.down("Control")
    for _ in range(6):
        page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    wait_until(lambda: label.inner_text() != before, timeout=5, what="zoom to change")
    assert int(label.inner_text().rstrip("%")) > int(before.rstrip("%"))
    page.locator(".graph-toolbar button", has_text="+").click()
    page.locator(".graph-toolbar button", has_text="+").click()
    page.evaluate("document.querySelector('.graph-canvas').scrollTo(0, 0)")
    left0, top0 = 0, 0
    canvas = page.locator(".graph-canvas").bounding_box()
    x, y = canvas["x"] + 8, canvas["y"] + 160  # the left margin: background, not a node
    assert page.evaluate(f"!document.elementFromPoint({x}, {y}).closest('.node')")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 80, steps=6)
    page.mouse.up()
    moved = page.evaluate(
        "[document.querySelector('.graph-canvas').scrollLeft, document.querySelector('.graph-canvas').scrollTop]"
    )
    assert moved[0] > left0 or moved[1] > top0, (left0, top0, moved)

    # A live refresh that redraws the diagram keeps the zoom and the scroll position.
    zoom = label.inner_text()
    seed.complete(tdef, wid)  # the retry of iteration 2: the loop ends and the workflow runs to its end
    page.locator('.wf-status[data-status="COMPLETED"]').wait_for()
    assert "s-COMPLETED" in (work.get_attribute("class") or "")
    assert label.inner_text() == zoom
    assert (
        page.evaluate(
            "[document.querySelector('.graph-canvas').scrollLeft, document.querySelector('.graph-canvas').scrollTop]"
        )
        == moved
    )


# -- 5. big JSON ------------------------------------------------------------------------------------
def test_big_json_is_lazy_searchable_copyable_and_responsive(page: Any, seed: Seed, artifacts: Path) -> None:
    items = [{"id": i, "name": f"item {i}", "payload": "x" * 120, "tags": ["a", "b", {"k": i}]} for i in range(6000)]
    wid = seed.start(seed.demo, route="fast", orderId=1, items=items)
    size = len(json.dumps(seed.workflow(wid)))
    assert size > 1_200_000
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.add_init_script(LONG_TASKS)
    page.goto(f"/execution/{wid}?tab=json")
    tree = page.locator(".exec-main .jt")
    tree.wait_for()
    # Collapsed beyond the first level: far fewer rows drawn than the document has values.
    assert page.locator(".exec-main .jt-line").count() < 100
    search = page.locator(".exec-main .jt-search")
    search.fill("item 5999")
    search.press("Enter")
    hit = page.locator(".exec-main .jt-line.jt-hit")
    hit.wait_for()
    assert '"item 5999"' in hit.inner_text()
    assert page.locator(".exec-main .jt-count").inner_text() == "1 of 1"
    assert page.locator(".exec-main .jt-where").inner_text() == "$.input.items[5999].name"
    page.locator(".exec-main [data-act=copy-path]").click()
    assert page.evaluate("navigator.clipboard.readText()") == "$.input.items[5999].name"
    page.locator(".exec-main [data-act=copy-value]").click()
    assert page.evaluate("navigator.clipboard.readText()") == '"item 5999"'
    # Expand on demand: a node's children are drawn in chunks.
    row = page.locator('.exec-main .jt-line[data-path=\'["input","items",5990]\']')
    row.locator(".jt-toggle").click()
    page.locator('.exec-main .jt-line[data-path=\'["input","items",5990,"payload"]\']').wait_for()
    page.locator('.exec-main .jt-line[data-path=\'["input","items",5990]\']').click()
    page.locator(".exec-main [data-act=copy-value]").click()
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == items[5990]
    shot(page, artifacts, "50-big-json", full_page=False)
    # The other data tab with the big input is a tree as well.
    page.get_by_role("tab", name="Input & output").click()
    page.locator(".exec-main .jt").first.wait_for()
    longest = longest_task(page)
    print(f"big-JSON page ({size} bytes): longest task {longest:.0f} ms")
    assert longest < 200, f"a long task of {longest:.0f} ms on the big-JSON page"


def test_1000_task_loop_page_stays_responsive(page: Any, seed: Seed, artifacts: Path) -> None:
    name = f"{seed.p}_loop1000"
    register(
        seed.api,
        {
            "name": name,
            "version": 1,
            "tasks": [
                {
                    "name": "loop",
                    "taskReferenceName": "loop",
                    "type": "DO_WHILE",
                    "loopCondition": "$.loop['iteration'] < 1000",
                    "loopOver": [inline("body", "$.i", i="${loop.output.iteration}")],
                }
            ],
        },
    )
    wid = seed.start(name)
    wait_until(lambda: seed.workflow(wid)["status"] == "COMPLETED", timeout=120, what="the loop to finish")
    assert len(seed.workflow(wid)["tasks"]) == 1001
    page.add_init_script(LONG_TASKS)
    page.goto(f"/execution/{wid}")
    page.locator('.graph .node[data-key="body"]').wait_for()
    for tab in ("Task list", "Timeline", "JSON", "Diagram"):
        page.get_by_role("tab", name=tab).click()
    page.get_by_role("tab", name="Task list").click()
    assert page.locator(".task-list tbody tr").count() == 100  # the first chunk; the filter searches all
    page.locator("#task-filter").fill("body__99")
    page.locator(".task-count", has_text="11 of 1001 tasks match").wait_for()
    page.locator(".task-more").wait_for(state="hidden")
    longest = longest_task(page)
    print(f"1,000-task loop page: longest task {longest:.0f} ms")
    assert longest < 200, f"a long task of {longest:.0f} ms on the 1,000-task page"
    shot(page, artifacts, "51-loop-1000", full_page=False)


# -- 6. refused actions ----------------------------------------------------------------------------
def test_refused_actions_are_not_offered_and_skip_on_paused_is_409(page: Any, seed: Seed) -> None:
    wid = seed.running_demo("fast")  # approve scheduled
    # On a RUNNING execution a task that has not run yet can be skipped ...
    name, _ = steps_workflow(seed, 3)
    wid2 = seed.start(name)
    page.goto(f"/execution/{wid2}?task=step_3")
    panel = page.locator(".task-panel")
    panel.wait_for()
    assert panel.get_by_role("button", name="Skip").count() == 1
    # ... but not once it is PAUSED, and the server refuses it with a 409 and the reason.
    _ok(seed.api.put(f"/workflow/{wid2}/pause"))
    page.locator('.wf-status[data-status="PAUSED"]').wait_for()
    wait_until(lambda: panel.get_by_role("button", name="Skip").count() == 0, timeout=10, what="Skip to go")
    assert page.locator("[data-action=resume]").count() == 1 and page.locator("[data-action=pause]").count() == 0
    r = seed.api.put(f"/workflow/{wid2}/skiptask/step_3", json={})
    assert r.status_code == 409
    assert "not running" in r.json()["message"]
    # A COMPLETED execution offers neither retry nor terminate; one whose definition is not restartable no restart.
    seed.complete(seed.t_approve, wid)
    wait_until(lambda: seed.workflow(wid)["status"] == "COMPLETED", timeout=15, what="the demo to complete")
    page.goto(f"/execution/{wid}")
    page.locator('.wf-status[data-status="COMPLETED"]').wait_for()
    assert page.locator("[data-action=retry]").count() == 0
    assert page.locator("[data-action=terminate]").count() == 0
    assert page.locator("[data-action=restart]").count() == 1
    # Every action still offered on the screen is one the server accepts: restart it.
    page.locator("[data-action=restart]").click()
    page.locator("dialog[open] button[type=submit]").click()
    page.locator('.wf-status[data-status="RUNNING"]').wait_for()


# -- 7. server down and not found ------------------------------------------------------------------
def test_unknown_ui_paths_get_the_ui_not_found_page(page: Any, server: ServerProcess, console: ConsoleWatch) -> None:
    console.allow("/no/such/page")  # the browser logs the 404 status of the page itself
    r = httpx.get(f"{server.url}/no/such/page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    api = httpx.get(f"{server.url}/api/no/such/thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")
    assert httpx.get(f"{server.url}/no/such/page").headers["content-type"].startswith("application/json")
    page.goto("/no/such/page")
    page.locator(".not-found h1", has_text="Page not found").wait_for()
    assert "/no/such/page" in page.locator(".not-found").inner_text()


@pytest.fixture()
def own_server(tmp_path: Path) -> Any:
    srv = ServerProcess(tmp_path / "down.db").start()
    yield srv
    srv.stop()


def test_server_down_banner_retries_and_recovers(browser: Any, own_server: ServerProcess, artifacts: Path) -> None:
    context = browser.new_context(base_url=own_server.url, viewport={"width": 1400, "height": 800})
    try:
        pg = context.new_page()
        pg.goto("/workflows")
        pg.locator("h1", has_text="Workflow definitions").wait_for()
        own_server.stop()
        # The next call fails: the banner says so plainly, and the page on screen stays.
        pg.locator('a[data-nav="taskdefs"]').click()
        banner = pg.locator("#offline-banner")
        banner.wait_for(state="visible")
        assert "not answering" in banner.inner_text()
        # It tries again after 1 s, then waits twice as long each time.
        banner.locator(".offline-next", has_text="Trying again in 2 s").wait_for(timeout=10000)
        shot(pg, artifacts, "70-server-down", full_page=False)
        own_server.start()  # same port
        banner.wait_for(state="hidden", timeout=30000)
        pg.locator("#main h1", has_text="Task definitions").wait_for()
    finally:
        context.close()
