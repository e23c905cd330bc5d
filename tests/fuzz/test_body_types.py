"""Wrong types in request bodies are a 400 naming the field (issue #12), on the fast lane and the routes."""

from __future__ import annotations

from typing import Any

import httpx

JSON_TYPE = {"content-type": "application/json"}


def _field_error(r: httpx.Response, path: str) -> dict[str, Any]:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"] == "Validation failed, check below errors for detail.", body
    found = [e for e in body["validationErrors"] if e["path"] == path]
    assert found, body
    return found[0]


def test_task_update_status_list(api: httpx.Client) -> None:
    for url in ("/tasks", "/tasks/update-v2"):
        r = api.post(url, json={"workflowInstanceId": "w", "taskId": "t", "status": ["COMPLETED"]})
        assert _field_error(r, "status")["invalidValue"] == ["COMPLETED"]


def test_task_log_created_time_string(api: httpx.Client) -> None:
    r = api.post("/tasks", json={"workflowInstanceId": "w", "taskId": "t", "logs": [{"log": "x", "createdTime": "x"}]})
    assert "createdTime" in _field_error(r, "logs[0].createdTime")["message"]


def test_callback_beyond_64_bits(api: httpx.Client) -> None:
    r = api.post(
        "/tasks",
        content=b'{"workflowInstanceId":"w","taskId":"t","callbackAfterSeconds":9223372036854775808}',
        headers=JSON_TYPE,
    )
    assert _field_error(r, "callbackAfterSeconds")["invalidValue"] == 2**63


def test_correlation_ids_not_a_list(api: httpx.Client) -> None:
    r = api.post("/workflow/correlated/batch", json={"correlationIds": 5, "workflowNames": ["x"]})
    assert _field_error(r, "correlationIds")["message"] == "correlationIds must be a list of strings"


def test_start_version_beyond_64_bits(api: httpx.Client) -> None:
    r = api.post("/workflow", content=b'{"name":"x","version":9223372036854775808}', headers=JSON_TYPE)
    assert _field_error(r, "version")["invalidValue"] == 2**63


def test_body_nested_too_deep(api: httpx.Client, uniq: str) -> None:
    deep = b'{"a":' * 300 + b"1" + b"}" * 300
    r = api.post(f"/workflow/{uniq}", content=deep, headers=JSON_TYPE)
    assert r.status_code == 400, r.text
    [error] = r.json()["validationErrors"]
    assert error["path"].startswith("a.a.a") and "PODIUM_LIMIT_JSON_DEPTH" in error["message"]
