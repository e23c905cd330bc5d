"""With auth on: the login page, the signed-in key's role, and only the actions that role may do (issue #17).

Roles as in api/access.py: a VIEWER reads; an OPERATOR also steers executions and lists secret names; only
an ADMIN changes definitions, secrets and environment values or deletes.
"""
# ruff: noqa: F811  (the fixtures are imported and named as test parameters)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_browser_auth import auth_server, make_key, page, seed, sign_in  # noqa: F401
from ui_browser import artifacts, browser, needs_browser  # noqa: F401
from ui_seed import Seed
from ui_widths import shots_at_widths

from conftest import ServerProcess

pytestmark = needs_browser


@pytest.fixture(scope="module")
def keys(auth_server: ServerProcess) -> dict[str, dict[str, str]]:
    return {role: make_key(auth_server, role) for role in ("admin", "operator", "viewer")}


def signed_in(page: Any, key: dict[str, str], path: str) -> None:
    page.goto(path)
    page.locator("#login-key-id").wait_for()
    sign_in(page, key)
    page.locator("#session .role").wait_for()


def hidden(page: Any, selector: str) -> bool:
    return all(not el.is_visible() for el in page.locator(selector).all())


def test_the_login_page_and_a_viewer_sees_no_changing_action(
    page: Any, seed: Seed, keys: dict[str, dict[str, str]], artifacts: Path
) -> None:
    page.goto("/")
    page.locator("#login-key-id").wait_for()
    shots_at_widths(page, artifacts, "47-login")
    sign_in(page, keys["viewer"])
    page.locator("#session .role", has_text="viewer").wait_for()
    assert hidden(page, "nav a[data-nav=secrets]")
    assert page.locator("nav a[data-nav=tasks]").is_visible()

    wid = seed.running_demo("slow")
    page.goto(f"/execution/{wid}")
    page.locator(".wf-status").wait_for()
    for action in ("pause", "terminate", "run-again"):
        assert hidden(page, f"[data-action={action}]"), action

    page.goto(f"/workflows/{seed.demo}?tab=run")
    page.locator(".run-history-table tbody tr").first.wait_for()  # the history is there to read
    assert hidden(page, "[data-act=delete-def]") and hidden(page, ".run-form") and hidden(page, "[data-act=run-again]")
    page.goto(f"/taskdefs/{seed.t_prepare}")
    page.locator("#taskdef-editor, .editor").first.wait_for()
    assert hidden(page, "[data-act=delete-def]") and hidden(page, "[data-act=save]")

    page.goto("/environment")
    page.locator("h1", has_text="Environment values").wait_for()
    assert hidden(page, "[data-act=new]") and hidden(page, "[data-act=delete]")
    page.goto("/secrets")
    page.locator("[role=status]", has_text="may not list secrets").wait_for()
    shots_at_widths(page, artifacts, "48-viewer-secrets")


def test_an_operator_steers_executions_but_changes_no_definition(
    page: Any, seed: Seed, keys: dict[str, dict[str, str]]
) -> None:
    seed.api.put("/secrets/ui_role_secret", json="s")
    wid = seed.running_demo("slow")
    signed_in(page, keys["operator"], f"/execution/{wid}")
    assert page.locator("#session .role").inner_text().lower() == "operator"
    page.locator("[data-action=terminate]").wait_for()
    assert page.locator("[data-action=run-again]").is_visible()
    page.goto(f"/workflows/{seed.demo}?tab=run")
    page.locator(".run-form").wait_for()
    assert hidden(page, "[data-act=delete-def]")
    page.goto(f"/workflows/{seed.demo}?tab=edit")
    page.locator("[data-act=validate]").wait_for()
    assert hidden(page, "[data-act=save]")  # definitions are the ADMIN's
    page.goto("/eventhandlers")
    page.locator("h1").wait_for()
    assert hidden(page, "text=New event handler")
    page.goto("/secrets")
    page.locator('tr[data-name="ui_role_secret"]').wait_for()
    assert hidden(page, "[data-act=new]") and hidden(page, "[data-act=delete]")


def test_an_admin_sees_every_action(page: Any, seed: Seed, keys: dict[str, dict[str, str]]) -> None:
    signed_in(page, keys["admin"], f"/workflows/{seed.demo}")
    page.locator("[data-act=delete-def]").wait_for()
    page.goto("/secrets")
    page.locator("[data-act=new]").wait_for()
    page.goto("/environment")
    page.locator("[data-act=new]").wait_for()
