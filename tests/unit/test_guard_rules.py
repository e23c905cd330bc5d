"""The browser guard's rules by settings, and what it costs per request (counted, not timed)."""

from __future__ import annotations

import asyncio
import sys
from types import FrameType
from typing import Any

import orjson
import pytest

from podium.api.browser_guard import BrowserGuard
from podium.domain.settings import Settings


def scope(method: str = "GET", path: str = "/api/x", **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()],
    }


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"inner"})


def answer(guard: BrowserGuard, s: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard(s, receive, send))  # type: ignore[arg-type]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return sent[0]["status"], (None if body == b"inner" else orjson.loads(body))


def guard(**settings: Any) -> BrowserGuard:
    return BrowserGuard(_inner, Settings(**settings))


def test_settings_read_allowed_hosts() -> None:
    env = {"PODIUM_ALLOWED_HOSTS": " a.example , ,B.example:8443"}
    assert Settings.from_env(env, "n").allowed_hosts == ["a.example", "B.example:8443"]
    assert Settings.from_env({}, "n").allowed_hosts == []


@pytest.mark.parametrize("bind", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_bound_to_loopback_only_loopback_names_pass(bind: str) -> None:
    g = guard(host=bind)
    assert answer(g, scope(host="localhost:8080"))[0] == 200
    status, body = answer(g, scope(host="rebound.example"))
    assert status == 403 and body is not None and body["status"] == 403


@pytest.mark.parametrize("bind", ["0.0.0.0", "10.1.2.3", "::"])
def test_bound_elsewhere_any_host_passes_unless_listed(bind: str) -> None:
    assert answer(guard(host=bind), scope(host="anything.example"))[0] == 200
    listed = guard(host=bind, allowed_hosts=["podium.example"])
    assert answer(listed, scope(host="podium.example:443"))[0] == 200
    assert answer(listed, scope(host="127.0.0.1:8080"))[0] == 200
    assert answer(listed, scope(host="anything.example"))[0] == 403


def test_a_star_allows_every_host() -> None:
    assert answer(guard(allowed_hosts=["*"]), scope(host="anything.example"))[0] == 200


def test_other_scopes_pass_untouched() -> None:
    g = guard()
    assert answer(g, {"type": "lifespan"} | {"path": "", "headers": [], "method": ""})[0] == 200


def line_events(fn: Any) -> tuple[int, set[str]]:
    """How many lines ``fn()`` runs, and the modules whose functions it calls."""
    count = 0
    modules: set[str] = set()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        elif event == "call":
            modules.add(frame.f_globals.get("__name__", "?"))
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count, modules


def test_a_check_is_a_few_lines_and_calls_nothing_else() -> None:
    """A worker's update (the hot path) costs a handful of lines: no regex, no URL or address parsing."""
    g = guard()
    hot = scope(
        "POST",
        "/api/tasks/update-v2",
        host="127.0.0.1:8080",
        content_type="application/json",
        content_length="120",
        user_agent="python-httpx",
        accept="*/*",
        accept_encoding="gzip",
    )
    browser = scope(
        "POST",
        "/api/workflow",
        host="localhost:8080",
        content_type="application/json",
        content_length="20",
        origin="http://localhost:8080",
        sec_fetch_site="same-origin",
        user_agent="Mozilla/5.0",
    )
    for s in (hot, browser):
        assert g.refusal(s) is None
        lines, modules = line_events(lambda s=s: g.refusal(s))
        assert modules <= {"podium.api.browser_guard", __name__}, modules
        assert lines < 60, lines
    # a long path or host name costs no more lines than a short one
    long = scope("POST", "/api/workflow/" + "x" * 5000, host="localhost:8080", content_type="application/json")
    short = scope("POST", "/api/workflow/x", host="localhost:8080", content_type="application/json")
    assert line_events(lambda: g.refusal(long))[0] == line_events(lambda: g.refusal(short))[0]
