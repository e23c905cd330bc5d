"""Idempotency keys (issue #12), as Orkes defines them: scoped to the workflow name; FAIL (the default)
refuses a second start with 409 whatever the first one's status, RETURN_EXISTING answers the first one's
id, FAIL_ON_RUNNING refuses only while it runs. 100 parallel starts over HTTP make one workflow, on
SQLite and on two PostgreSQL nodes sharing one database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ServerProcess
from pg_cluster import PgCluster

PARALLEL = 100


def register(api: httpx.Client, name: str) -> None:
    wd = {"name": name, "version": 1, "ownerEmail": "t@example.com",
          "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}  # fmt: skip
    r = api.put("/metadata/workflow", json=[wd])
    assert r.status_code in (200, 204), r.text


def start_body(name: str, key: str, strategy: str | None, cid: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "input": {}, "idempotencyKey": key, "correlationId": cid}
    if strategy:
        body["idempotencyStrategy"] = strategy
    return body


def parallel_starts(urls: list[str], body: dict[str, Any]) -> list[httpx.Response]:
    """PARALLEL starts at once, spread over the given servers."""

    async def main() -> list[httpx.Response]:
        clients = [httpx.AsyncClient(base_url=u + "/api", timeout=60) for u in urls]
        try:
            calls = [clients[i % len(clients)].post("/workflow", json=body) for i in range(PARALLEL)]
            return list(await asyncio.gather(*calls))
        finally:
            for c in clients:
                await c.aclose()

    return asyncio.run(main())


def correlated(api: httpx.Client, name: str, cid: str) -> list[str]:
    r = api.get(f"/workflow/{name}/correlated/{cid}", params={"includeClosed": "true", "includeTasks": "false"})
    assert r.status_code == 200, r.text
    return [w["workflowId"] for w in r.json()]


def check_parallel(urls: list[str], api: httpx.Client, name: str) -> None:
    existing = parallel_starts(urls, start_body(name, "k-ret", "RETURN_EXISTING", "c-ret"))
    assert {r.status_code for r in existing} == {200}
    assert len({r.text for r in existing}) == 1
    assert correlated(api, name, "c-ret") == [existing[0].text.strip('"')]

    failing = parallel_starts(urls, start_body(name, "k-fail", None, "c-fail"))
    codes = sorted(r.status_code for r in failing)
    assert codes == [200] + [409] * (PARALLEL - 1), codes
    (won,) = [r.text.strip('"') for r in failing if r.status_code == 200]
    refused = next(r for r in failing if r.status_code == 409).json()
    assert refused["status"] == 409
    assert f"idempotencyKey 'k-fail' already exists: {won}" in refused["message"]
    assert correlated(api, name, "c-fail") == [won]


def test_parallel_starts_over_http_make_one_workflow(server: ServerProcess, api: httpx.Client, uniq: str) -> None:
    register(api, uniq)
    check_parallel([server.url], api, uniq)


def test_strategies(api: httpx.Client, uniq: str) -> None:
    register(api, uniq)
    other = uniq + "_other"
    register(api, other)
    first = api.post("/workflow", json=start_body(uniq, "k", "FAIL_ON_RUNNING", "c")).text.strip('"')
    assert api.post("/workflow", json=start_body(uniq, "k", "FAIL_ON_RUNNING", "c")).status_code == 409
    # The key is scoped to the workflow name.
    assert api.post("/workflow", json=start_body(other, "k", "FAIL", "c")).status_code == 200
    assert api.delete(f"/workflow/{first}", params={"reason": "done"}).status_code in (200, 204)
    # Ended: FAIL_ON_RUNNING starts a new one and takes the key; FAIL still refuses; RETURN_EXISTING answers it.
    second = api.post("/workflow", json=start_body(uniq, "k", "FAIL_ON_RUNNING", "c"))
    assert second.status_code == 200 and second.text.strip('"') != first
    assert api.post("/workflow", json=start_body(uniq, "k", "RETURN_EXISTING", "c")).text == second.text
    assert api.post("/workflow", json=start_body(uniq, "k", "FAIL", "c")).status_code == 409
    # Without a key nothing changes.
    assert api.post("/workflow", json={"name": uniq, "correlationId": "c"}).status_code == 200
    assert len(correlated(api, uniq, "c")) == 3
    bad = api.post("/workflow", json=start_body(uniq, "k2", "SOMETIMES", "c"))
    assert bad.status_code == 400 and "idempotencyStrategy" in bad.text


@pytest.fixture()
def two_pg_nodes(postgres: PgCluster, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    db = postgres.create_database()
    nodes = [ServerProcess(tmp_path / f"node{i}.db", db_url=postgres.url(db)) for i in range(2)]
    try:
        for n in nodes:
            n.start()
        yield nodes
    finally:
        for n in nodes:
            n.stop()
        postgres.drop_database(db)


def test_parallel_starts_on_two_postgres_nodes_make_one_workflow(two_pg_nodes: list[ServerProcess]) -> None:
    with httpx.Client(base_url=two_pg_nodes[1].url + "/api", timeout=60) as api:
        register(api, "idem_pg")
        check_parallel([n.url for n in two_pg_nodes], api, "idem_pg")
