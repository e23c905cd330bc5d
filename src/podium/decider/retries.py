"""Retry delay arithmetic (the retry fields of docs/reference.md#task-definitions)."""

from __future__ import annotations

from podium.domain.model import TaskDef

_MAX_INT = 2**31 - 1


def retry_delay_seconds(td: TaskDef, failed_retry_count: int, jitter: float = 0.0) -> float:
    """Seconds before the next attempt of a task whose attempt ``failed_retry_count`` failed.

    ``jitter`` in [0, 1) scales ``backoffJitterMs``.
    """
    base = td.get("retryDelaySeconds", 60)
    logic = td.get("retryLogic", "FIXED")
    if logic == "EXPONENTIAL_BACKOFF":
        delay = base * 2**failed_retry_count if failed_retry_count < 31 else _MAX_INT
    elif logic == "LINEAR_BACKOFF":
        delay = base * td.get("backoffScaleFactor", 1) * (failed_retry_count + 1)
    else:
        delay = base
    delay = min(delay, _MAX_INT)
    cap = td.get("maxRetryDelaySeconds", 0)
    if cap > 0:
        delay = min(delay, cap)
    return delay + (td.get("backoffJitterMs", 0) * jitter) / 1000.0
