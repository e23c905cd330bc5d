"""The UI against a server with auth on (PODIUM_AUTH=on), keys made with `podium keys create`.

Needs the server side of issue #13 (POST /api/token, GET /api/token/userInfo, roles): a viewer signs in,
sees executions and no action; an admin signs in and acts; a wrong secret is refused on the form.
"""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ui_browser import ConsoleWatch, artifacts, browser, needs_browser, shot  # noqa: F401
from ui_seed import Seed

from conftest import ServerProcess

pytestmark = needs_browser


def make_key(srv: ServerProcess, role: str) -> dict[str, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "podium.cli.main",
            "keys",
            "create",
            "--db",
            srv.db_url,
            "--role",
            role,
            "--name",
            f"ui-{role}",
            "--output",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    key: dict[str, str] = json.loads(out)
    assert {"keyId", "keySecret"} <= key.keys()
    return key


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("auth-ui") / "podium.db", env={"PODIUM_AUTH": "on"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def keys(auth_server: ServerProcess) -> dict[str, dict[str, str]]:
    return {role: make_key(auth_server, role) for role in ("admin", "viewer")}


@pytest.fixture(scope="module")
def seed(auth_server: ServerProcess, keys: dict[str, dict[str, str]]) -> Iterator[Seed]:
    admin = keys["admin"]
    r = httpx.post(f"{auth_server.url}/api/token", json={"keyId": admin["keyId"], "keySecret": admin["keySecret"]})
    assert r.status_code == 200, r.text
    headers = {"X-Authorization": r.json()["token"]}
    with httpx.Client(base_url=auth_server.url + "/api", headers=headers, timeout=30) as api:
        s = Seed(api, f"auth{os.getpid()}")
        s.register()
        yield s


@pytest.fixture()
def page(browser: Any, auth_server: ServerProcess) -> Iterator[Any]:
    console = ConsoleWatch()
    console.allow("status of 401")  # the page's first question, before signing in
    context = browser.new_context(base_url=auth_server.url, viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.on("console", lambda m: console.errors.append(f"console.error: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
    yield pg
    context.close()
    assert console.unexpected() == [], "the page logged errors"


def sign_in(page: Any, key: dict[str, str], secret: str | None = None) -> None:
    page.locator("#login-key-id").fill(key["keyId"])
    page.locator("#login-key-secret").fill(secret or key["keySecret"])
    page.get_by_role("button", name="Sign in").click()


def test_the_api_needs_a_token(auth_server: ServerProcess) -> None:
    assert httpx.get(f"{auth_server.url}/api/metadata/workflow").status_code == 401
    assert httpx.get(f"{auth_server.url}/api/token/userInfo").status_code == 401
    assert httpx.get(f"{auth_server.url}/").status_code == 200  # the page itself is served


def test_a_viewer_signs_in_and_sees_no_actions(
    page: Any, seed: Seed, keys: dict[str, dict[str, str]], artifacts: Any
) -> None:
    wid = seed.running_demo("slow")
    page.goto(f"/execution/{wid}")
    page.locator("#login-key-id").wait_for()
    sign_in(page, keys["viewer"], secret="not-the-secret")
    page.locator(".login-status [role=alert]").wait_for()
    sign_in(page, keys["viewer"])
    page.locator(".wf-status").wait_for()
    assert page.locator("#session .session-name").inner_text() == "ui-viewer"
    assert page.locator("#session .role").inner_text().lower() == "viewer"
    for action in ("pause", "terminate"):
        assert page.locator(f"[data-action={action}]").is_hidden()
    shot(page, artifacts, "30-auth-viewer")
    page.locator("[data-act=sign-out]").click()
    page.locator("#login-key-id").wait_for()


def test_an_admin_signs_in_and_pauses(page: Any, seed: Seed, keys: dict[str, dict[str, str]]) -> None:
    wid = seed.running_demo("slow")
    page.goto(f"/execution/{wid}")
    sign_in(page, keys["admin"])
    page.locator("[data-action=pause]").click()
    page.locator('.wf-status[data-status="PAUSED"]').wait_for()
    assert page.locator("#session .role").inner_text().lower() == "admin"
    assert seed.workflow(wid)["status"] == "PAUSED"
