"""Definitions, task definitions, queues, event handlers and readability, in a real browser."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ui_browser import ConsoleWatch, artifacts, browser, console, needs_browser, page, seed, shot  # noqa: F401
from ui_seed import Seed

pytestmark = needs_browser


def test_workflow_list_and_diagram(page: Any, seed: Seed) -> None:
    page.goto("/workflows")
    page.locator("#wf-filter").fill(seed.p)
    names = [r.get_attribute("data-name") for r in page.locator("tbody tr").all()]
    assert names == sorted([seed.child, seed.fan, seed.demo])
    page.locator(f'tr[data-name="{seed.demo}"] a.wf-name').click()
    page.wait_for_url(f"**/workflows/{seed.demo}")
    page.locator('.graph .node[data-key="approve"]').wait_for()
    assert page.locator(".graph.bare").count() == 1
    assert page.locator(".graph .node").count() == 14
    assert page.locator(".graph .node.dim").count() == 0
    page.get_by_role("tab", name="JSON").click()
    assert json.loads(page.locator("pre.json").inner_text())["name"] == seed.demo


def test_edit_shows_validation_errors_on_their_lines(
    page: Any, seed: Seed, console: ConsoleWatch, artifacts: Path
) -> None:
    console.allow("status of 400")  # the browser logs the API's 400 answers to validation
    page.goto(f"/workflows/{seed.demo}?tab=edit")
    editor = page.locator("#def-editor")
    editor.wait_for()
    text = editor.input_value()
    broken = json.loads(text)
    broken["tasks"][1]["forkTasks"][0][0]["taskReferenceName"] = "prepare"
    del broken["tasks"][4]["loopCondition"]
    editor.fill(json.dumps(broken, indent=2))
    page.locator("[data-act=validate]").click()
    problems = page.locator(".problems li")
    problems.first.wait_for()
    got = {li.get_attribute("data-path"): int(li.get_attribute("data-line")) for li in problems.all()}
    lines = editor.input_value().split("\n")
    dup_line = got["tasks[1].forkTasks[0][0].taskReferenceName"]
    assert lines[dup_line - 1].strip() == '"taskReferenceName": "prepare",'
    loop_line = got["tasks[4].loopCondition"]
    assert '"name": "loop"' in "\n".join(lines[loop_line - 1 : loop_line + 2])
    assert page.locator(".gutter .err").count() == len(set(got.values()))
    assert page.locator('.graph .node.has-error[data-key="loop"]').count() == 1

    problems.first.locator("button").click()
    selected = page.evaluate(
        "(() => { const a = document.querySelector('#def-editor');"
        " return a.value.slice(a.selectionStart, a.selectionEnd); })()"
    )
    assert selected.strip() == '"taskReferenceName": "prepare",'
    shot(page, artifacts, "10-definition-validation")

    editor.fill(text[:-3])
    page.locator("[data-act=validate]").click()
    assert "Invalid JSON" in page.locator(".problems li").first.inner_text()

    fixed = json.loads(text)
    fixed["version"] = 2
    fixed["description"] = "edited in the UI"
    editor.fill(json.dumps(fixed, indent=2))
    page.locator("[data-act=validate]").click()
    page.locator(".ok-box").wait_for()
    page.locator("[data-act=save]").click()
    page.locator("dialog[open] #save-new").check()  # the diff is shown first; save as a new version
    page.locator("dialog[open] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/workflows/{seed.demo}\?version=2"))
    assert (
        seed.api.get(f"/metadata/workflow/{seed.demo}", params={"version": 2}).json()["description"]
        == "edited in the UI"
    )
    page.locator("#def-version option").nth(1).wait_for(state="attached")
    assert page.locator("#def-version option").all_inner_texts() == ["version 1", "version 2"]


def test_run_form_starts_an_execution(page: Any, seed: Seed) -> None:
    page.goto(f"/workflows/{seed.demo}?tab=run")
    page.locator('[data-param="route"]').fill("fast")
    page.locator('[data-param="orderId"]').fill("42")
    page.locator("#run-json").fill('{"extra": {"gift": true}}')
    page.locator("#run-cid").fill(f"{seed.p}-run")
    page.get_by_role("button", name="Start execution").click()
    page.wait_for_url(re.compile("/execution/"))
    wid = page.url.rsplit("/", 1)[1]
    page.locator('.graph .node[data-key="prepare"]').wait_for()
    wf = seed.workflow(wid)
    assert wf["input"] == {"route": "fast", "orderId": 42, "extra": {"gift": True}}
    assert wf["correlationId"] == f"{seed.p}-run"
    seed.complete(seed.t_prepare, wid)
    page.locator('.graph .node.s-COMPLETED[data-key="prepare"]').wait_for()  # the view refreshes itself


def test_task_definition_edit(page: Any, seed: Seed, console: ConsoleWatch) -> None:
    console.allow("status of 400")
    page.goto("/taskdefs")
    page.locator(f'tr[data-name="{seed.t_item}"] a').click()
    editor = page.locator("#taskdef-editor")
    editor.wait_for()
    d = json.loads(editor.input_value())
    d["retryCount"] = -1
    editor.fill(json.dumps(d, indent=2))
    page.locator("[data-act=save]").click()
    problem = page.locator(".problems li").first
    problem.wait_for()
    line = int(problem.get_attribute("data-line"))
    assert '"retryCount": -1' in editor.input_value().split("\n")[line - 1]
    d["retryCount"] = 5
    d["description"] = "five retries"
    editor.fill(json.dumps(d, indent=2))
    page.locator("[data-act=save]").click()
    page.locator(".toast", has_text=f"Saved {seed.t_item}").wait_for()
    assert seed.api.get(f"/metadata/taskdefs/{seed.t_item}").json()["retryCount"] == 5


def test_queues_show_depth_and_last_poll(page: Any, seed: Seed, artifacts: Path) -> None:
    seed.running_demo("fast")
    page.goto("/queues")
    page.locator("#q-filter").fill(seed.p)
    row = page.locator(f'tr[data-type="{seed.t_approve}"]')
    row.wait_for()
    assert row.locator("td.depth").inner_text() == "1"
    polled = page.locator(f'tr[data-type="{seed.t_prepare}"]')
    assert "ui-test-worker" in polled.inner_text()
    assert re.search(r"\d+ (ms|s) ago|\dm \d+s ago", polled.inner_text())
    shot(page, artifacts, "11-queues")


def test_event_handlers_page(page: Any, seed: Seed, console: ConsoleWatch) -> None:
    available = seed.api.get("/event").status_code == 200
    if not available:
        console.allow("status of 404")
        page.goto("/eventhandlers")
        page.get_by_text("Event handlers are not available on this server.").wait_for()
        return
    handler = {
        "name": f"{seed.p}_on_done",
        "event": f"conductor:{seed.demo}:done",
        "active": True,
        "actions": [{"action": "start_workflow", "start_workflow": {"name": seed.child, "input": {}}}],
    }
    assert seed.api.post("/event", json=handler).status_code in (200, 204)
    page.goto("/eventhandlers")
    page.locator(f'tr[data-name="{handler["name"]}"] a').click()
    editor = page.locator("#event-editor")
    editor.wait_for()
    h = json.loads(editor.input_value())
    h["active"] = False
    editor.fill(json.dumps(h, indent=2))
    page.locator("[data-act=save]").click()
    page.locator(".toast", has_text=f"Saved {handler['name']}").wait_for()
    saved = next(e for e in seed.api.get("/event").json() if e["name"] == handler["name"])
    assert saved["active"] is False


def _contrast(page: Any, selector: str, fg_prop: str, bg_prop: str) -> list[tuple[str, float]]:
    script = """([sel, fgProp, bgProp]) => {
      const rgb = (s) => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
      const lin = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
      const lum = (c) => { const v = c.map(lin); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
      return [...document.querySelectorAll(sel)].map((el) => {
        const fgEl = fgProp.el ? el.querySelector(fgProp.el) : el;
        const bgEl = bgProp.el ? el.querySelector(bgProp.el) : el;
        const a = lum(rgb(getComputedStyle(fgEl)[fgProp.prop]));
        const b = lum(rgb(getComputedStyle(bgEl)[bgProp.prop]));
        return [el.getAttribute('class'), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
      });
    }"""
    return [tuple(x) for x in page.evaluate(script, [selector, json.loads(fg_prop), json.loads(bg_prop)])]


def test_readable_contrast(page: Any, seed: Seed) -> None:
    """Status colours keep text readable (WCAG AA: 4.5:1) on badges and diagram nodes."""
    wid = seed.running_demo("fast")
    page.goto(f"/execution/{wid}?tab=tasks")
    page.locator("table.task-list .badge").first.wait_for()
    badges = _contrast(page, ".badge, .legend .swatch + *", '{"prop": "color"}', '{"prop": "backgroundColor"}')
    nodes_page = page.context.new_page()
    nodes_page.goto(f"/execution/{wid}")
    nodes_page.locator(".graph .node").first.wait_for()
    nodes = _contrast(
        nodes_page, ".graph .node:not(.dim)", '{"el": ".n-title", "prop": "fill"}', '{"el": ".n-box", "prop": "fill"}'
    )
    assert len(nodes) >= 10
    low = [(c, round(r, 2)) for c, r in badges + nodes if r < 4.5]
    assert low == []
