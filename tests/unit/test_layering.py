"""What import-linter cannot see: the API reaching the store through an attribute.

Routes must call use cases (services), never ``svc.store``; only the composition root
(api/app.py) hands the store to the pieces that own it.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "podium"
COMPOSITION_ROOT = {SRC / "api" / "app.py"}
REACH = re.compile(r"\.store\b|\bengine\.(env|persist|decide_state)\b|\bnotifier\.(waiter|notify)\b")


def offenders(paths: list[Path], root: Path = SRC) -> list[str]:
    found = []
    for path in paths:
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if REACH.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    return found


def test_the_api_and_ui_call_services_not_the_store() -> None:
    paths = [p for d in ("api", "ui") for p in (SRC / d).rglob("*.py") if p not in COMPOSITION_ROOT]
    assert paths
    assert offenders(paths) == []


def test_the_check_sees_a_route_reaching_the_store(tmp_path: Path) -> None:
    bad = tmp_path / "route.py"
    bad.write_text("n = services(request).store.queue_size('x')\n", "utf-8")
    ok = tmp_path / "ok.py"
    ok.write_text("n = services(request).queues.size('x')\n", "utf-8")
    assert offenders([bad, ok], tmp_path) == ["route.py:1: n = services(request).store.queue_size('x')"]
