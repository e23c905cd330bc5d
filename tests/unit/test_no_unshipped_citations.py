"""Comments, docstrings and docs cite what a reader of the repository can open: the pages under docs/ or
Conductor's public documentation, never the team's internal notes, which do not ship (issue #16). Covers
src/, tests/, bench/, scripts/, examples/, docs/ and README.md (this file, which names them, aside)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_docs_links import _anchors

ROOT = Path(__file__).resolve().parents[2]
_SUFFIXES = {".py", ".js", ".css", ".html", ".sql", ".md", ".toml", ".json", ".txt"}
# The internal spec by section or by name, and the internal notes on the SDKs and on style.
_UNSHIPPED = re.compile(r"SPEC §|SPEC\.md|CONDUCTOR-PYTHON\.md|CONDUCTOR-JAVASCRIPT\.md|STYLE\.md")
# A citation of a docs page in code: ``docs/reference.md#wait``, or several anchors ``docs/reference.md#wait, #human``.
_DOCS_CITATION = re.compile(r"docs/([\w-]+\.md)((?:#[\w-]+)?)((?:,\s*#[\w-]+)*)")


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


def broken_docs_citations(text: str) -> list[str]:
    """Every ``docs/PAGE.md#anchor`` in ``text`` whose page or heading does not exist."""
    broken = []
    for m in _DOCS_CITATION.finditer(text):
        page = ROOT / "docs" / m.group(1)
        if not page.exists():
            broken.append(f"{m.group(0)}: no such page")
            continue
        anchors = [a for a in [m.group(2), *re.findall(r"#[\w-]+", m.group(3))] if a]
        broken += [f"{m.group(0)}: no heading {a}" for a in anchors if a[1:] not in _anchors(page)]
    return broken


def test_docs_cited_in_code_exist() -> None:
    broken = {
        str(p.relative_to(ROOT)): hits
        for p in _files()
        if p.suffix != ".md" and (hits := broken_docs_citations(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert not broken


def test_the_docs_check_sees_a_missing_page_or_heading() -> None:
    text = "docs/reference.md#wait, #human; docs/nope.md; docs/reference.md#switch, #nope; docs/cli.md#nope"
    assert broken_docs_citations(text) == [
        "docs/nope.md: no such page",
        "docs/reference.md#switch, #nope: no heading #nope",
        "docs/cli.md#nope: no heading #nope",
    ]
