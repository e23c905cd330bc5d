"""Browser fixtures (imported by the UI test modules): Debian's Chromium driven by Playwright."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_seed import Seed

from conftest import ROOT, ServerProcess

CHROMIUM = os.environ.get("PODIUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts" / "ui"
_seq = itertools.count()


def _browser_available() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


#: Mark for tests that need the browser: skipped (with the reason) where Chromium or Playwright is missing.
needs_browser = pytest.mark.skipif(_browser_available() is not None, reason=str(_browser_available()))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module.

    Module scope, not session: a started sync Playwright leaves its event loop marked as running on
    this thread, so it must be stopped before other modules' tests call ``asyncio.run``.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class ConsoleWatch:
    """Console errors and uncaught exceptions of one page; some expected HTTP errors may be allowed."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        # The UI asks who is signed in on load; with auth off the answer is a 404, which the browser logs.
        self.allowed: list[str] = ["/api/token/userInfo"]

    def allow(self, fragment: str) -> None:
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture()
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture()
def page(browser: Any, server: ServerProcess, console: ConsoleWatch) -> Iterator[Any]:
    """A fresh page on the UI; fails the test if the page logged a console error it did not allow."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.on(
        "console",
        lambda m: (
            console.errors.append(f"console.error: {m.text} @ {m.location.get('url')}") if m.type == "error" else None
        ),
    )
    pg.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
    yield pg
    context.close()
    unexpected = console.unexpected()
    assert unexpected == [], f"the page logged errors: {unexpected}"


@pytest.fixture()
def seed(api: httpx.Client) -> Seed:
    s = Seed(api, f"ui{next(_seq)}_{os.getpid()}")
    s.register()
    return s


def shot(page: Any, artifacts: Path, name: str, **kw: Any) -> Path:
    """Save a screenshot artefact (full page unless a locator is given)."""
    path = artifacts / f"{name}.png"
    target = kw.pop("locator", None)
    if target is not None:
        target.screenshot(path=str(path), **kw)
    else:
        page.screenshot(path=str(path), full_page=kw.pop("full_page", True), **kw)
    assert path.stat().st_size > 5000
    return path
