"""Comments, docstrings and docs cite what a reader of the repository can open: the pages under docs/ or
Conductor's public documentation, never the team's internal notes, which do not ship (issue #16). Covers
src/, tests/, bench/, scripts/, examples/, docs/ and README.md (this file, which names them, aside)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SUFFIXES = {".py", ".js", ".css", ".html", ".sql", ".md", ".toml", ".json", ".txt"}
# The internal spec by section or by name, and the internal notes on the SDKs and on style.
_UNSHIPPED = re.compile(r"SPEC §|SPEC\.md|CONDUCTOR-PYTHON\.md|CONDUCTOR-JAVASCRIPT\.md|STYLE\.md")


def _files() -> list[Path]:
    found = [
        p
        for top in ("src", "tests", "bench", "scripts", "examples")
        for p in (ROOT / top).rglob("*")
        if p.is_file() and p.suffix in _SUFFIXES and p != Path(__file__).resolve()
    ]
    return sorted([*found, *(ROOT / "docs").glob("*.md"), ROOT / "README.md"])


def unshipped_citations(text: str) -> list[str]:
    """``line: text`` of every line of ``text`` that cites a file that does not ship."""
    return [f"{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if _UNSHIPPED.search(line)]


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_cites_only_what_ships(path: Path) -> None:
    assert not unshipped_citations(path.read_text(encoding="utf-8", errors="replace")), path.relative_to(ROOT)


def test_the_check_sees_each_name() -> None:
    text = "\n".join(
        [
            "ok: docs/reference.md#switch",
            "(SPEC §4.2)",
            "see SPEC.md",
            "CONDUCTOR-PYTHON.md §3",
            "CONDUCTOR-JAVASCRIPT.md",
            "STYLE.md",
            "SPECIAL_ROOTS",
        ]
    )
    assert [hit.split(":")[0] for hit in unshipped_citations(text)] == ["2", "3", "4", "5", "6"]
    assert len(_files()) > 100 and ROOT / "src" / "podium" / "decider" / "decide.py" in _files()
