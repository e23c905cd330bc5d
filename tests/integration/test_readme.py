"""The README's set-up commands are the ones CI runs, and the installed `podium` script serves."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import ROOT, free_port

README = (ROOT / "README.md").read_text()


def _setup_commands() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_readme_has_exactly_the_two_setup_commands_and_ci_runs_the_second() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("podium server")
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci


def test_installed_podium_script_starts_the_server(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "podium"
    assert script.exists(), "the console script is installed with the package"
    port = free_port()
    proc = subprocess.Popen(
        [str(script), "server", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'readme.db'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        assert r.json()["healthy"] is True
        assert httpx.get(f"http://127.0.0.1:{port}/api/metadata/workflow").json() == []
    finally:
        proc.terminate()
        proc.wait(10)
