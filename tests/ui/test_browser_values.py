"""The secrets page (names only) and the environment values page, in a real browser (issue #17)."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
from ui_browser import artifacts, browser, console, needs_browser, page  # noqa: F401
from ui_widths import shots_at_widths

from conftest import wait_until

pytestmark = needs_browser


def test_secrets_are_listed_by_name_and_their_values_never_shown(page: Any, api: httpx.Client, artifacts: Path) -> None:
    name, value = f"ui_secret_{os.getpid()}", "hunter2-do-not-show"
    assert api.put(f"/secrets/{name}_old", json="an older value").status_code in (200, 204)
    page.goto("/secrets")
    page.locator(f'tr[data-name="{name}_old"]').wait_for()
    page.locator("[data-act=new]").click()
    page.locator("dialog[open] #dlg-name").fill(name)
    assert page.locator("dialog[open] #dlg-value").get_attribute("type") == "password"
    page.locator("dialog[open] #dlg-value").fill(value)
    page.locator("dialog[open] button[type=submit]").click()
    page.locator(f'tr[data-name="{name}"]').wait_for()
    assert value not in page.content() and "an older value" not in page.content()
    assert api.get(f"/secrets/{name}/exists").json() is True
    shots_at_widths(page, artifacts, "45-secrets")

    page.locator(f'tr[data-name="{name}"] [data-act=set]').click()
    page.locator("dialog[open] #dlg-value").fill("replaced")
    page.locator("dialog[open] button[type=submit]").click()
    page.locator("dialog[open]").wait_for(state="detached")
    wait_until(lambda: api.get(f"/secrets/{name}").json() == "replaced", what="the new value stored")

    page.locator("#v-filter").fill("_old")
    assert page.locator(f'tr[data-name="{name}"]').count() == 0
    page.locator(f'tr[data-name="{name}_old"] [data-act=delete]').click()
    page.locator("dialog[open] button[type=submit]").click()
    page.locator(f'tr[data-name="{name}_old"]').wait_for(state="detached")
    assert api.get(f"/secrets/{name}_old/exists").json() is False


def test_environment_values_page(page: Any, api: httpx.Client, artifacts: Path) -> None:
    name = f"UI_ENV_{os.getpid()}"
    page.goto("/environment")
    page.locator("h1", has_text="Environment values").wait_for()
    page.locator("[data-act=new]").click()
    page.locator("dialog[open] #dlg-name").fill(name)
    assert page.locator("dialog[open] #dlg-value").get_attribute("type") == "text"
    page.locator("dialog[open] #dlg-value").fill("https://example.test/api")
    page.locator("dialog[open] button[type=submit]").click()
    row = page.locator(f'tr[data-name="{name}"]')
    row.wait_for()
    assert row.locator("td").nth(1).inner_text() == "https://example.test/api"
    assert api.get("/environment").json()[name] == "https://example.test/api"
    shots_at_widths(page, artifacts, "46-environment")

    page.locator("[data-act=new]").click()
    page.locator("dialog[open] #dlg-name").fill("not valid!")
    page.locator("dialog[open] #dlg-value").fill("x")
    page.locator("dialog[open] button[type=submit]").click()
    page.locator(".toast-error", has_text="not a valid name").wait_for()

    row.locator("[data-act=delete]").click()
    page.locator("dialog[open] button[type=submit]").click()
    row.wait_for(state="detached")
    assert name not in api.get("/environment").json()
