"""Dark mode (the system's setting, or the header's remembered toggle) and AA contrast in both themes (issue #17).

The contrast check reads, in the browser, every visible element that holds text of its own (HTML, not the
SVG diagram, which test_browser_definitions.py checks): its computed colour against the background
actually behind it (translucent layers composited), as WCAG 2 defines the ratio. Every one must be ≥ 4.5:1.
"""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser_definitions import _contrast
from ui_browser import ConsoleWatch, artifacts, browser, needs_browser, seed  # noqa: F401
from ui_seed import Seed
from ui_widths import shots_at_widths

from conftest import ServerProcess

pytestmark = needs_browser

CONTRAST = """() => {
  const parse = (c) => {
    const m = c.match(/[\\d.]+/g) || ['0', '0', '0', '0'];
    return m.map(Number).concat(m.length < 4 ? [1] : []).slice(0, 4);
  };
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  }
  const dimmed = (el) => {
    for (let e = el; e; e = e.parentElement) if (+getComputedStyle(e).opacity < 1) return true;
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, script, style, noscript, [disabled], :disabled')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility() || dimmed(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const fg = over(parse(getComputedStyle(el).color), background(el));
    const a = lum(fg); const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const cls = typeof el.className === 'string' ? el.className.trim() : '';
    const what = cls ? '.' + cls.split(/\\s+/).join('.') : '';
    out.push([el.tagName.toLowerCase() + what, el.textContent.trim().slice(0, 30), Math.round(ratio * 100) / 100]);
  }
  return out;
}"""


@pytest.fixture(params=["light", "dark"])
def themed(request: pytest.FixtureRequest, browser: Any, server: ServerProcess) -> Iterator[tuple[Any, str]]:
    """A page whose system setting (prefers-color-scheme) is light or dark."""
    console = ConsoleWatch()
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1400, "height": 1000}, color_scheme=request.param
    )
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.on(
        "console", lambda m: console.errors.append(f"{m.text} @ {m.location.get('url')}") if m.type == "error" else None
    )
    pg.on("pageerror", lambda e: console.errors.append(str(e)))
    yield pg, request.param
    context.close()
    assert console.unexpected() == [], "the page logged errors"


def low_contrast(page: Any) -> list[Any]:
    found = page.evaluate(CONTRAST)
    assert len(found) > 10, "the check saw too little text"
    return [f for f in found if f[2] < 4.5]


def test_the_system_setting_decides_until_the_toggle_is_used(themed: tuple[Any, str]) -> None:
    page, system = themed
    page.goto("/workflows")
    page.locator("h1").wait_for()
    assert page.evaluate("document.documentElement.dataset.theme") == system
    toggle = page.locator("[data-act=theme]")
    assert toggle.get_attribute("aria-pressed") == str(system == "dark").lower()
    toggle.click()
    other = "light" if system == "dark" else "dark"
    assert page.evaluate("document.documentElement.dataset.theme") == other
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.reload()
    page.locator("h1").wait_for()
    assert page.evaluate("document.documentElement.dataset.theme") == other  # remembered
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == bg


def test_every_text_keeps_aa_contrast(themed: tuple[Any, str], seed: Seed, artifacts: Path) -> None:
    page, theme = themed
    running = seed.running_demo("slow", correlation_id=f"{seed.p}-theme")
    failed = seed.start(seed.demo, correlation_id=f"{seed.p}-theme", route="fast", orderId=3)
    seed.complete(seed.t_prepare, failed, status="FAILED")
    seed.api.put(f"/environment/UI_THEME_{seed.p}", json="value")
    pages = {
        f"/?cid={seed.p}-theme": "table.executions tbody tr",
        f"/execution/{running}": ".graph .node",
        f"/execution/{failed}?tab=tasks": "table.task-list .badge",
        f"/tasks?q={seed.p}": "table.tasks-found tbody tr",
        f"/workflows/{seed.demo}?tab=run": ".run-history-table tbody tr",
        "/workflows": "table.grid tbody tr",
        f"/taskdefs/{seed.t_prepare}": ".editor",
        "/queues": "h1",
        "/secrets": "h1",
        "/environment": "table.values tbody tr",
    }
    low: dict[str, list[Any]] = {}
    for path, ready in pages.items():
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.locator("[role=status]", has_text="Searching").wait_for(state="detached") if path.startswith(
            ("/?", "/tasks")
        ) else None
        if bad := low_contrast(page):
            low[path] = bad
    page.goto(f"/?cid={seed.p}-theme")
    page.locator("table.executions tbody tr").first.wait_for()
    page.locator("table.executions thead input[type=checkbox]").check()  # the bulk bar
    page.locator("[data-bulk=terminate]").click()  # a dialog
    if bad := low_contrast(page):
        low["dialog"] = bad
    shots_at_widths(page, artifacts, f"49-{theme}-dialog")
    page.keyboard.press("Escape")
    page.goto(f"/execution/{running}")
    page.locator(".graph .node").first.wait_for()
    nodes = _contrast(
        page, ".graph .node:not(.dim)", '{"el": ".n-title", "prop": "fill"}', '{"el": ".n-box", "prop": "fill"}'
    )
    assert len(nodes) >= 10
    if bad := [n for n in nodes if n[1] < 4.5]:
        low["diagram"] = bad
    shots_at_widths(page, artifacts, f"50-{theme}-execution")
    assert low == {}
