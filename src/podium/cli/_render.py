"""Small formatting helpers for the table output: times, durations, statuses, compact JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

_STYLES = {
    "COMPLETED": "green",
    "COMPLETED_WITH_ERRORS": "yellow",
    "RUNNING": "cyan",
    "IN_PROGRESS": "cyan",
    "SCHEDULED": "blue",
    "PAUSED": "yellow",
    "SKIPPED": "dim",
    "CANCELED": "dim",
    "FAILED": "red",
    "FAILED_WITH_TERMINAL_ERROR": "red",
    "TIMED_OUT": "red",
    "TERMINATED": "red",
}


def millis(value: Any) -> int | None:
    """Epoch milliseconds from a number or an ISO string (WorkflowSummary carries strings); None if absent."""
    if isinstance(value, bool) or value in (None, "", 0):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            return None
    return None


def when(value: Any) -> str:
    """A local date and time, to the second ("-" when absent)."""
    ms = millis(value)
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def duration(start: Any, end: Any) -> str:
    """``1.234s``, ``2m03s``, ``1h02m`` ("-" when the start is unknown or the end not reached)."""
    a, b = millis(start), millis(end)
    if a is None or b is None or b < a:
        return "-"
    ms = b - a
    if ms < 60_000:
        return f"{ms / 1000:.3g}s"
    s = ms // 1000
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def status(value: Any) -> Text:
    """A status word in its colour."""
    word = str(value or "-")
    return Text(word, style=_STYLES.get(word, ""))


def compact(value: Any, limit: int = 80) -> str:
    """One-line JSON, cut at ``limit`` characters."""
    if value in (None, {}, []):
        return "-"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> Table:
    """A plain table; ids never wrap."""
    t = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
    for c in columns:
        t.add_column(c, no_wrap=c.lower().endswith("id") or c in ("Name", "Workflow", "Type"), overflow="fold")
    for r in rows:
        t.add_row(*(v if isinstance(v, Text) else Text(str(v)) for v in r))  # values are never markup
    return t
