"""Signing in to the UI, in a real browser, with the auth endpoints answered by the test (page.route).

The server runs with auth off; the browser is told /api/token and /api/token/userInfo answer as an auth-on
server does (docs/architecture.md#access-control), so the page's side of the protocol is tested on its own:
the login form, the token sent on every call, the role in the header, no actions for a viewer, back to the
form on any 401.
"""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import json
from typing import Any

from ui_browser import ConsoleWatch, artifacts, browser, console, needs_browser, page, seed, shot  # noqa: F401
from ui_seed import Seed

pytestmark = needs_browser

KEY_ID, SECRET, TOKEN = "key-1", "s3cret", "token-of-key-1"


class FakeAuth:
    """Answers /api/token and /api/token/userInfo; records the X-Authorization of every other API call."""

    def __init__(self, page: Any, role: str) -> None:
        self.role = role
        self.sent: list[str | None] = []
        self.expired = False
        page.route("**/api/token", self.token)
        page.route("**/api/token/userInfo", self.user_info)
        page.route("**/api/**", self.other)

    @staticmethod
    def refuse(route: Any, status: int, message: str, error: str) -> None:
        body = {"status": status, "message": message, "error": error}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def token(self, route: Any) -> None:
        given = route.request.post_data_json
        assert route.request.headers["content-type"] == "application/json"
        if given == {"keyId": KEY_ID, "keySecret": SECRET}:
            route.fulfill(status=200, content_type="application/json", body=json.dumps({"token": TOKEN}))
        else:
            self.refuse(route, 401, "Invalid key", "INVALID_TOKEN")

    def user_info(self, route: Any) -> None:
        if route.request.headers.get("x-authorization") != TOKEN or self.expired:
            self.refuse(route, 401, "Token is invalid", "INVALID_TOKEN")
            return
        user = {"id": KEY_ID, "name": "ci-reader", "roles": [{"name": self.role}], "applicationUser": True}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(user))

    def other(self, route: Any) -> None:
        url = route.request.url
        if url.endswith("/api/token") or "/api/token/userInfo" in url:
            route.fallback()
            return
        self.sent.append(route.request.headers.get("x-authorization"))
        if self.expired:
            self.refuse(route, 401, "Token expired", "EXPIRED_TOKEN")
        elif route.request.method != "GET" and self.role == "VIEWER":
            self.refuse(route, 403, f"Role {self.role} may not do this", "FORBIDDEN")
        else:
            route.continue_()


def sign_in(page: Any, secret: str = SECRET) -> None:
    page.locator("#login-key-id").fill(KEY_ID)
    page.locator("#login-key-secret").fill(secret)
    page.get_by_role("button", name="Sign in").click()


def test_a_viewer_signs_in_sees_no_actions_and_is_sent_back_on_401(
    page: Any, console: ConsoleWatch, seed: Seed, artifacts: Any
) -> None:
    console.allow("status of 401")
    wid = seed.running_demo("slow")
    auth = FakeAuth(page, "VIEWER")
    page.goto(f"/execution/{wid}")
    page.locator("#login-key-id").wait_for()
    assert page.locator("#session").is_hidden()
    shot(page, artifacts, "20-login")

    sign_in(page, secret="wrong")
    page.locator(".login-status [role=alert]").wait_for()
    assert "not accepted" in page.locator(".login-status").inner_text()

    sign_in(page)
    page.locator(".wf-status").wait_for()
    assert page.locator("#session .session-name").inner_text() == "ci-reader"
    assert page.locator("#session .role").inner_text().lower() == "viewer"
    assert page.evaluate("sessionStorage.getItem('podium.token')") == TOKEN
    assert auth.sent and set(auth.sent) == {TOKEN}  # every API call carried the token
    # a viewer sees the execution, but no action that would change it
    for action in ("pause", "terminate", "restart", "rerun", "retry"):
        assert (
            page.locator(f"[data-action={action}]").is_hidden() or page.locator(f"[data-action={action}]").count() == 0
        )
    assert page.locator("[data-action=refresh]").is_visible()
    shot(page, artifacts, "21-viewer-execution")

    page.goto("/workflows")
    new = page.locator("button", has_text="New workflow")
    new.wait_for(state="attached")
    assert new.is_hidden()

    page.reload()  # the token lasts for the tab: no second sign-in
    page.locator("#session .session-name").wait_for()
    assert page.locator("#login-key-id").count() == 0

    auth.expired = True  # the token ran out: the next call's 401 brings the form back
    page.goto(f"/execution/{wid}")
    page.locator("#login-key-id").wait_for()
    assert page.evaluate("sessionStorage.getItem('podium.token')") is None
    auth.expired = False
    sign_in(page)
    page.locator(".wf-status").wait_for()
    assert "/execution/" in page.url

    page.locator("[data-act=sign-out]").click()
    page.locator("#login-key-id").wait_for()
    assert page.evaluate("sessionStorage.getItem('podium.token')") is None
    assert page.locator("#session").is_hidden()


def test_an_operator_sees_actions_and_a_refusal_shows_conductors_message(
    page: Any, console: ConsoleWatch, seed: Seed
) -> None:
    console.allow("status of 401")
    console.allow("status of 403")
    wid = seed.running_demo("slow")
    auth = FakeAuth(page, "OPERATOR")
    page.goto(f"/execution/{wid}")
    sign_in(page)
    page.locator("[data-action=pause]").wait_for()
    assert page.locator("#session .role").inner_text().lower() == "operator"
    assert page.locator("[data-action=terminate]").is_visible()

    auth.role = "VIEWER"  # the key's role changed under the page: the server says 403, the page says why
    page.locator("[data-action=pause]").click()
    page.locator(".toast-error", has_text="Role VIEWER may not do this").wait_for()
    assert seed.workflow(wid)["status"] == "RUNNING"


def test_with_auth_off_there_is_no_sign_in(page: Any, seed: Seed) -> None:
    wid = seed.running_demo("slow")
    page.goto(f"/execution/{wid}")
    page.locator("[data-action=pause]").wait_for()
    assert page.locator("#session").is_hidden() and page.locator("#login-key-id").count() == 0
    assert page.evaluate("document.body.classList.contains('read-only')") is False
