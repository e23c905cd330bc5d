"""Every relative link in README.md and docs/*.md leads to a file of the repository, and to a heading of
it when the link names one (GitHub's anchors: lower case, punctuation dropped, spaces as dashes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_FENCE = re.compile(r"```.*?```", re.S)


def _prose(page: Path) -> str:
    return _CODE.sub("", page.read_text())


def _anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """The page's heading anchors; a heading's inline code counts as its text, as on GitHub."""
    text = _FENCE.sub("", page.read_text())
    return {_anchor(h.replace("`", "")) for h in re.findall(r"^#+ (.*)$", text, re.M)}


def _links(page: Path) -> list[str]:
    return [link for link in re.findall(r"\]\(([^)\s]+)\)", _prose(page)) if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for link in _links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{link}: no such heading")
    assert not broken, f"{page.name}: {broken}"


def test_the_checker_sees_links_and_headings() -> None:
    readme = ROOT / "README.md"
    assert "docs/reference.md" in _links(readme)
    assert {"fork_join-and-join", "the-workflow-definition"} <= _anchors(ROOT / "docs" / "reference.md")
    assert _anchor("Production: PostgreSQL and several nodes") == "production-postgresql-and-several-nodes"
    assert {"workflows-apiworkflow", "retry-restart-rerun-and-skip"} <= _anchors(ROOT / "docs" / "compatibility.md")
