"""Regular expressions written by users (JSONPath ``=~`` filters), under a time budget.

Python's own ``re`` cannot be interrupted: one backtracking pattern holds the server's event loop
for as long as it runs. The ``regex`` engine takes a timeout that its matcher itself checks, so every
match made during one path evaluation shares one budget (``Limits.regex_timeout_ms``); past it the
evaluation gives up and the path is a missing value, as any failed JSONPath evaluation is.
"""

from __future__ import annotations

import time
from typing import Any

import regex
from jsonpath_ng.ext import filter as _jsonpath_filter

from podium.domain.limits import DEFAULT_LIMITS


class RegexTimeout(Exception):
    """The regular expressions of one evaluation ran past their budget."""


_budget_s = DEFAULT_LIMITS.regex_timeout_ms / 1000
_deadline = 0.0


def configure(budget_ms: int) -> None:
    """Set the budget of each evaluation (the server's ``Limits.regex_timeout_ms``)."""
    global _budget_s
    _budget_s = budget_ms / 1000


def start_budget() -> None:
    """An evaluation that may match regular expressions begins."""
    global _deadline
    _deadline = time.monotonic() + _budget_s


def search(value: Any, pattern: Any) -> bool:
    """``=~``: true when ``pattern`` matches somewhere in the string ``value``."""
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    left = _deadline - time.monotonic()
    if left <= 0:
        raise RegexTimeout
    try:
        return regex.search(pattern, value, timeout=left) is not None
    except TimeoutError:
        raise RegexTimeout from None
    except (regex.error, ValueError, OverflowError):  # a bad pattern matches nothing
        return False


# jsonpath_ng looks the operator up at every comparison; this one is bounded.
_jsonpath_filter.OPERATOR_MAP["=~"] = search
