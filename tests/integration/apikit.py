"""Small REST helpers shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

import httpx


def start(api: httpx.Client, name: str, **inputs: Any) -> str:
    """Start a workflow by name with the given input; returns its id."""
    r = api.post("/workflow", json={"name": name, "input": inputs})
    assert r.status_code == 200, r.text
    return r.text


def workflow(api: httpx.Client, wid: str) -> dict[str, Any]:
    """An execution with its tasks."""
    r = api.get(f"/workflow/{wid}")
    assert r.status_code == 200, r.text
    wf: dict[str, Any] = r.json()
    return wf
