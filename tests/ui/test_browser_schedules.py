"""The schedules page in a real browser (issue #15): next runs, paused state, last executions, pause and resume."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_browser import ConsoleWatch, artifacts, browser, console, needs_browser, page  # noqa: F401
from ui_widths import shots_at_widths

from conftest import wait_until

pytestmark = needs_browser


@pytest.fixture
def schedules(api: httpx.Client) -> Iterator[tuple[str, str]]:
    """Two schedules of a NOOP workflow: one firing every second, one nightly and paused; deleted afterwards."""
    p = f"ui_sched_{os.getpid()}"
    wf = {
        "name": f"{p}_wf",
        "version": 1,
        "schemaVersion": 2,
        "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}],
    }
    assert api.post("/metadata/workflow", json=wf, params={"overwrite": "true"}).status_code < 300
    every, nightly = f"{p}_every", f"{p}_nightly"
    start = {"name": wf["name"], "version": 1, "input": {"from": "ui"}}
    made = [
        {"name": every, "cronExpression": "* * * * * ?", "startWorkflowRequest": start},
        {"name": nightly, "cronExpression": "0 30 3 * * ?", "zoneId": "Europe/Berlin", "paused": True,
         "pausedReason": "holiday", "startWorkflowRequest": start},
    ]  # fmt: skip
    for s in made:
        r = api.post("/scheduler/schedules", json=s)
        assert r.status_code < 300, r.text
    try:
        yield every, nightly
    finally:
        for s in made:
            api.delete(f"/scheduler/schedules/{s['name']}")


def executions(api: httpx.Client, name: str) -> list[dict[str, Any]]:
    r = api.get("/scheduler/search/executions", params={"query": f'scheduleName="{name}"', "size": 5})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_schedules_list_pause_and_resume(
    schedules: tuple[str, str], page: Any, api: httpx.Client, artifacts: Path
) -> None:
    every, nightly = schedules
    wait_until(lambda: any(e.get("workflowId") for e in executions(api, every)), timeout=15, what="a first fire")
    page.goto("/schedules")
    row, paused_row = page.locator(f'tr[data-name="{every}"]'), page.locator(f'tr[data-name="{nightly}"]')
    row.locator(".sched-state", has_text="ACTIVE").wait_for()
    # The last execution links to the workflow it started; the paused one shows its reason and no next run.
    link = row.locator("a[href^='/execution/']")
    link.wait_for()
    assert link.get_attribute("href").removeprefix("/execution/") in {e["workflowId"] for e in executions(api, every)}
    assert "holiday" in paused_row.locator(".sched-state").inner_text()
    assert paused_row.locator("td").nth(4).inner_text().strip() == ""
    assert "Europe/Berlin" in paused_row.inner_text()
    shots_at_widths(page, artifacts, "60-schedules")

    row.locator("[data-act=pause]").click()
    page.locator("dialog[open] #dlg-reason").fill("maintenance")
    page.locator("dialog[open] button[type=submit]").click()
    wait_until(
        lambda: api.get(f"/scheduler/schedules/{every}").json().get("paused") is True, what="paused on the server"
    )
    assert api.get(f"/scheduler/schedules/{every}").json()["pausedReason"] == "maintenance"
    row.locator(".sched-state", has_text="PAUSED").wait_for()
    row.locator("[data-act=resume]").wait_for()

    paused_row.locator("[data-act=resume]").click()
    wait_until(lambda: api.get(f"/scheduler/schedules/{nightly}").json().get("paused") is False, what="resumed")
    paused_row.locator(".sched-state", has_text="ACTIVE").wait_for()


def test_one_schedule_shows_next_runs_and_executions(
    schedules: tuple[str, str], page: Any, api: httpx.Client, artifacts: Path
) -> None:
    every, nightly = schedules
    page.goto(f"/schedules/{nightly}")
    page.locator("#next-runs li").nth(4).wait_for()
    assert page.locator("#next-runs li").count() == 5
    assert "No executions yet." in page.locator("#schedule-executions").inner_text()
    wait_until(
        lambda: len([e for e in executions(api, every) if e.get("workflowId")]) >= 2, timeout=15, what="two fires"
    )
    page.goto(f"/schedules/{every}")
    page.locator("#schedule-executions a[href^='/execution/']").nth(1).wait_for()
    shots_at_widths(page, artifacts, "61-schedule")

    # Editing the JSON and saving changes the schedule on the server.
    text = page.locator("textarea#schedule-editor")
    body = api.get(f"/scheduler/schedules/{every}").json()
    body["description"] = "edited in the UI"
    text.fill(json.dumps(body, indent=2))
    page.locator("[data-act=save]").click()
    wait_until(
        lambda: api.get(f"/scheduler/schedules/{every}").json().get("description") == "edited in the UI", what="saved"
    )
    # The page shows the saved schedule again (its executions reloaded) before the schedules go.
    page.locator("#schedule-executions a[href^='/execution/']").first.wait_for()
    assert "edited in the UI" in page.locator("textarea#schedule-editor").input_value()


def test_a_bad_schedule_gets_the_servers_reason(page: Any, api: httpx.Client, console: ConsoleWatch) -> None:
    console.allow("status of 400")  # the browser logs the API's answer to the bad schedule
    page.goto("/schedules?new=1")
    text = page.locator("textarea#schedule-editor")
    text.fill('{"name": "bad_cron_ui", "cronExpression": "not a cron", "startWorkflowRequest": {"name": "x"}}')
    page.locator("[data-act=save]").click()
    page.locator(".error-box").first.wait_for()
    assert api.get("/scheduler/schedules/bad_cron_ui").status_code == 404
