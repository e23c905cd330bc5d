"""`podium secret ...` and `podium env ...` against a live server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from clikit import Podium

from conftest import ServerProcess


@pytest.fixture()
def podium(server: ServerProcess, tmp_path: Path) -> Podium:
    return Podium(server.url, tmp_path / "config.toml")


def test_secrets(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    assert podium.ok("secret", "put", uniq, "s3cr3t value") == f"stored secret {uniq}\n"
    assert podium.ok("secret", "get", uniq) == "s3cr3t value\n"
    assert podium.json("secret", "get", uniq) == "s3cr3t value"
    assert uniq in podium.ok("secret", "list").splitlines()
    names = podium.json("secret", "list")
    assert uniq in names and names == sorted(names)
    # from stdin (one trailing newline dropped) and from a file
    podium.ok("secret", "put", uniq, stdin="piped\n")
    assert api.get(f"/secrets/{uniq}").json() == "piped"
    (tmp_path / "value.txt").write_text('{"json": "stays text"}\n')
    podium.ok("secret", "put", uniq, "--from-file", str(tmp_path / "value.txt"))
    assert podium.json("secret", "get", uniq) == '{"json": "stays text"}'
    assert podium.ok("secret", "delete", uniq) == f"deleted secret {uniq}\n"
    assert uniq not in podium.json("secret", "list")
    assert "404" in podium.fails(4, "secret", "get", uniq)
    assert "no such file" in podium.fails(2, "secret", "put", uniq, "--from-file", str(tmp_path / "absent"))


def test_environment_values(podium: Podium, api: httpx.Client, uniq: str) -> None:
    assert podium.ok("env", "put", uniq, "https://example.com") == f"stored {uniq}\n"
    assert api.get(f"/environment/{uniq}").text == "https://example.com"
    assert podium.ok("env", "get", uniq) == "https://example.com\n"
    assert podium.json("env", "list")[uniq] == "https://example.com"
    assert uniq in podium.ok("env", "list")
    assert podium.ok("env", "delete", uniq) == f"deleted {uniq}\n"
    assert uniq not in podium.json("env", "list")
    assert "404" in podium.fails(4, "env", "delete", uniq)
