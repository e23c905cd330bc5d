"""Screenshots of a page at the two widths the UI is checked at (1400 and 800 px) and the no-sideways-scroll check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui_browser import shot

WIDTHS = (1400, 800)


def fits(page: Any) -> bool:
    """Nothing makes the page scroll sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def shots_at_widths(page: Any, artifacts: Path, name: str, full_page: bool = False) -> None:
    """Save ``{name}-1400.png`` and ``{name}-800.png``; each width must fit without scrolling sideways."""
    size = page.viewport_size
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1000})
            page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            assert fits(page), f"{name} scrolls sideways at {width} px"
            shot(page, artifacts, f"{name}-{width}", full_page=full_page)
    finally:
        page.set_viewport_size(size)
