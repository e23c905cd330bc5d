"""Results: percentiles, targets (met / not met), the table and the JSON lines."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
SKIPPED = "skipped"
ERROR = "error"


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of unsorted values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def latency_stats(values_s: Sequence[float], prefix: str) -> dict[str, float | None]:
    """p50/p99/max in milliseconds of latencies given in seconds."""
    ms = [v * 1000.0 for v in values_s]
    return {
        f"{prefix}_p50_ms": _r(percentile(ms, 50)),
        f"{prefix}_p99_ms": _r(percentile(ms, 99)),
        f"{prefix}_max_ms": _r(max(ms) if ms else None),
    }


def _r(v: float | None, digits: int = 3) -> float | None:
    return None if v is None else round(v, digits)


@dataclass(slots=True)
class Target:
    """A goal from the issue: ``metric op threshold``."""

    metric: str
    op: str  # ">=" or "<="
    threshold: float
    value: float | None = None

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.threshold if self.op == ">=" else self.value <= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "op": self.op, "threshold": self.threshold, "value": self.value, "met": self.met}


@dataclass(slots=True)
class Result:
    """One workload's outcome: metrics, targets, notes."""

    workload: str
    status: str = OK
    metrics: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def target(self, metric: str, op: str, threshold: float, value: float | None = None) -> None:
        """Add a target; its value defaults to the metric of the same name."""
        v = self.metrics.get(metric) if value is None else value
        self.targets.append(Target(metric, op, threshold, None if v is None else float(v)))

    def skip(self, note: str) -> Result:
        self.status = SKIPPED
        self.notes.append(note)
        return self

    def fail(self, note: str) -> Result:
        self.status = ERROR
        self.notes.append(note)
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "metrics": self.metrics,
            "targets": [t.to_json() for t in self.targets],
            "notes": self.notes,
            "config": self.config,
        }


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if v == 0 or abs(v) >= 100:
            return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.1f}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _met(m: bool | None) -> str:
    return "n/a" if m is None else ("met" if m else "NOT MET")


def table(results: Iterable[Result], header: str) -> str:
    """A plain-text table: one block per workload, metrics then targets."""
    rows: list[tuple[str, str, str, str]] = [("workload", "metric", "value", "target")]
    for r in results:
        rows.append((f"{r.workload} [{r.status}]", "", "", ""))
        for k, v in r.metrics.items():
            if isinstance(v, dict) or (isinstance(v, list) and not all(isinstance(x, int | float) for x in v)):
                continue
            rows.append(("", k, ", ".join(_fmt(x) for x in v) if isinstance(v, list) else _fmt(v), ""))
        for t in r.targets:
            rows.append(("", f"TARGET {t.metric} {t.op} {_fmt(t.threshold)}", _fmt(t.value), _met(t.met)))
        for n in r.notes:
            rows.append(("", f"note: {n}", "", ""))
    widths = [max(len(row[i]) for row in rows if not row[1].startswith("note:") or i != 1) for i in range(4)]
    widths[1] = min(widths[1], 60)
    lines = [header]
    for i, row in enumerate(rows):
        if row[1].startswith("note:"):
            lines.append(f"{'':<{widths[0]}}  {row[1]}")
            continue
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip())
        if i == 0:
            lines.append("-" * (sum(widths) + 6 + 8))
    return "\n".join(lines)
