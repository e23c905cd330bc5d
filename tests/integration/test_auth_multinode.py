"""Revocation reaches every node (issue #13): two servers on one PostgreSQL database share the signing
secret, and a key revoked through one (or with the CLI, on the database) is refused by the other at once:
on the peer notification, with no database read per request."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_auth import make_key

from conftest import ServerProcess, wait_until


@pytest.fixture()
def two_nodes(pg_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    nodes = [
        ServerProcess(tmp_path / f"n{i}.db", db_url=pg_url, env={"PODIUM_AUTH": "on", "PODIUM_SERVER_ID": f"n{i}"})
        for i in range(2)
    ]
    try:
        for n in nodes:
            n.start()
        yield nodes
    finally:
        for n in nodes:
            n.stop()


def token(node: ServerProcess, key: dict[str, str]) -> str:
    r = httpx.post(f"{node.url}/api/token", json={"keyId": key["keyId"], "keySecret": key["keySecret"]})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def status(node: ServerProcess, tok: str) -> int:
    return httpx.get(f"{node.url}/api/metadata/taskdefs", headers={"X-Authorization": tok}).status_code


def test_revocation_reaches_the_other_node(pg_url: str, two_nodes: list[ServerProcess]) -> None:
    a, b = two_nodes
    admin = make_key(pg_url, "ADMIN")
    viewer = make_key(pg_url, "VIEWER")
    admin_token, viewer_token = token(a, admin), token(a, viewer)
    assert status(b, viewer_token) == 200  # signed on a, good on b
    r = httpx.delete(f"{a.url}/api/keys/{viewer['keyId']}", headers={"X-Authorization": admin_token})
    assert r.status_code == 200
    assert status(a, viewer_token) == 401
    wait_until(lambda: status(b, viewer_token) == 401, timeout=5, interval=0.02, what="b to refuse the key")

    # a revocation made with the CLI, on the database itself, reaches both running nodes
    other = make_key(pg_url, "VIEWER")
    other_token = token(b, other)
    assert status(a, other_token) == 200 and status(b, other_token) == 200
    subprocess.run(
        [sys.executable, "-m", "podium.cli.main", "keys", "revoke", "--db", pg_url, other["keyId"]], check=True
    )
    for node in (a, b):
        wait_until(lambda n=node: status(n, other_token) == 401, timeout=5, interval=0.02, what="refusal")
    assert status(b, token(b, admin)) == 200
