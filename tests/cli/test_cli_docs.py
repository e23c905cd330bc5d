"""docs/cli.md's session runs as written: `podium dev` in the background, then the commands in order."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from clikit import CLEAN_ENV

from conftest import ROOT, free_port


def _session() -> str:
    text = (ROOT / "docs" / "cli.md").read_text()
    section = text.split("## A session", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    return str(block)


def test_the_session_in_docs_cli_runs_as_written(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "PODIUM_PORT": str(port),  # `podium dev` serves here, and the commands talk to it
        "PODIUM_SERVER_URL": f"http://127.0.0.1:{port}",
        "PODIUM_CONFIG": str(tmp_path / "none.toml"),
    }
    # stop the background server whatever happens (SIGTERM: a clean stop that removes its store)
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n" + _session()
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert "registered workflow definition hello v1" in run.stdout
    assert re.search(r"hello\s+\S+\s+COMPLETED", run.stdout), run.stdout  # the search found the run
    store = re.search(r"store\s+(\S+)", run.stderr)
    assert store and not Path(store.group(1)).parent.exists()
