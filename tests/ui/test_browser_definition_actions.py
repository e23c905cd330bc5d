"""Deleting definitions (and the server's refusal), run history, run again, retry resuming sub-workflows (issue #17)."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ui_browser import ConsoleWatch, artifacts, browser, console, needs_browser, page, seed  # noqa: F401
from ui_seed import Seed, simple
from ui_widths import shots_at_widths

pytestmark = needs_browser


def confirm(page: Any) -> None:
    page.locator("dialog[open] button[type=submit]").click()


def test_delete_a_task_definition_refused_while_in_use(
    page: Any, seed: Seed, console: ConsoleWatch, artifacts: Path
) -> None:
    console.allow("status of 409")
    page.goto(f"/taskdefs/{seed.t_prepare}")
    page.locator("[data-act=delete-def]").click()
    assert "Delete the task definition" in page.locator("dialog[open] .dialog-title").inner_text()
    confirm(page)
    refusal = page.locator(".delete-refused")
    refusal.wait_for()
    assert f"in use by workflow definition {seed.demo} v1" in refusal.inner_text()
    shots_at_widths(page, artifacts, "43-delete-refused")
    assert seed.api.get(f"/metadata/taskdefs/{seed.t_prepare}").status_code == 200

    unused = f"{seed.p}_unused"
    assert seed.api.post("/metadata/taskdefs", json=[{"name": unused}]).status_code == 200
    page.goto(f"/taskdefs/{unused}")
    page.locator("[data-act=delete-def]").click()
    page.locator("dialog[open] button[value=cancel]").click()  # cancelling deletes nothing
    assert seed.api.get(f"/metadata/taskdefs/{unused}").status_code == 200
    page.locator("[data-act=delete-def]").click()
    confirm(page)
    page.wait_for_url(re.compile("/taskdefs$"))
    page.locator(f'tr[data-name="{seed.t_prepare}"]').wait_for()
    assert page.locator(f'tr[data-name="{unused}"]').count() == 0
    assert seed.api.get(f"/metadata/taskdefs/{unused}").status_code == 404


def test_delete_a_workflow_definition_version(page: Any, seed: Seed, console: ConsoleWatch) -> None:
    console.allow("status of 409")
    page.goto(f"/workflows/{seed.child}")  # the demo's SUB_WORKFLOW starts it
    page.locator("[data-act=delete-def]").click()
    confirm(page)
    assert f"{seed.demo} v1" in page.locator(".delete-refused").inner_text()

    v2 = {**seed.demo_def(), "version": 2}
    assert seed.api.post("/metadata/workflow", json=v2).status_code == 200
    page.goto(f"/workflows/{seed.demo}?version=2")
    page.locator("[data-act=delete-def]").click()
    assert "version 2" in page.locator("dialog[open] .dialog-title").inner_text()
    confirm(page)
    page.wait_for_url(re.compile(f"/workflows/{seed.demo}$"))
    assert page.locator("#def-version option").all_inner_texts() == ["version 1"]
    assert seed.api.get(f"/metadata/workflow/{seed.demo}", params={"version": 2}).status_code == 404

    page.goto(f"/workflows/{seed.fan}")
    page.locator("[data-act=delete-def]").click()
    confirm(page)
    page.wait_for_url(re.compile("/workflows$"))
    page.locator(f'tr[data-name="{seed.demo}"]').wait_for()
    assert page.locator(f'tr[data-name="{seed.fan}"]').count() == 0


def test_run_history_and_run_again(page: Any, seed: Seed, artifacts: Path) -> None:
    first = seed.start(seed.demo, correlation_id=f"{seed.p}-first", route="slow", orderId=5, note={"gift": True})
    second = seed.start(seed.demo, route="fast", orderId=6)
    page.goto(f"/workflows/{seed.demo}?tab=run")
    history = page.locator(".run-history-table tbody tr")
    history.first.wait_for()
    assert [r.get_attribute("data-id") for r in history.all()] == [second, first]  # newest first
    shots_at_widths(page, artifacts, "44-run-history", full_page=True)

    page.locator(f'tr[data-id="{first}"] [data-act=run-again]').click()
    page.wait_for_url(re.compile(f"from={first}"))
    page.locator(".run-from a", has_text=first).wait_for()
    assert page.locator('[data-param="route"]').input_value() == "slow"
    assert page.locator('[data-param="orderId"]').input_value() == "5"
    assert '"gift": true' in page.locator("#run-json").input_value()
    assert page.locator("#run-cid").input_value() == f"{seed.p}-first"
    page.locator('[data-param="orderId"]').fill("9")
    page.get_by_role("button", name="Start execution").click()
    page.wait_for_url(re.compile("/execution/"))
    again = page.url.rsplit("/", 1)[1]
    assert seed.workflow(again)["input"] == {"route": "slow", "orderId": 9, "note": {"gift": True}}

    page.locator("[data-action=run-again]").click()  # from the execution page
    page.wait_for_url(re.compile(f"tab=run&from={again}"))
    page.locator(".run-from a", has_text=again).wait_for()
    assert page.locator('[data-param="orderId"]').input_value() == "9"


def test_retry_resuming_the_failed_sub_workflow(page: Any, seed: Seed) -> None:
    kid, parent = f"{seed.p}_kid", f"{seed.p}_parent"
    kid_def = {"name": kid, "version": 1, "tasks": [simple(seed.t_slow, "work")]}
    sub = {
        "name": "sub",
        "taskReferenceName": "sub",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": kid, "version": 1},
    }
    for d in (kid_def, {"name": parent, "version": 1, "tasks": [sub]}):
        assert seed.api.post("/metadata/workflow", params={"overwrite": "true"}, json=d).status_code == 200
    wid = seed.start(parent)
    seed.wait_for(wid, "sub", "IN_PROGRESS")
    child = next(t["subWorkflowId"] for t in seed.workflow(wid)["tasks"] if t["referenceTaskName"] == "sub")
    seed.complete(seed.t_slow, child, status="FAILED")
    page.goto(f"/execution/{wid}")
    page.locator('.wf-status[data-status="FAILED"]').wait_for()
    assert page.locator("[data-action=retry]").is_visible()
    page.locator("[data-action=retry-resume]").click()
    page.locator('.wf-status[data-status="RUNNING"]').wait_for()
    tasks = [t for t in seed.workflow(wid)["tasks"] if t["referenceTaskName"] == "sub"]
    assert tasks[-1]["subWorkflowId"] == child  # the same child, resumed: no new sub-workflow
    assert seed.workflow(child)["status"] == "RUNNING"
    assert [t["status"] for t in seed.workflow(child)["tasks"]] == ["FAILED", "SCHEDULED"]

    page.goto(f"/execution/{child}")  # no sub-workflow inside: plain retry only
    page.locator(".wf-status").wait_for()
    assert page.locator("[data-action=retry-resume]").count() == 0
