"""``${workflow.secrets.NAME}``: kept literally in stored task input, revealed only in a worker's copy.

The resolver leaves every ``${workflow.secrets.NAME}`` as it is (``resolve.py``), so no record, search
index or log line ever holds a secret's value. ``reveal`` substitutes the values in the copy of a task's
input handed to its worker, for the names ``allowed`` (those its definition names: a value that only
*looks* like a reference, from a workflow's input say, cannot pull in a secret the task was not given).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any

__all__ = ["NAME", "referenced_secrets", "reveal"]

NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_REF = re.compile(r"\$\{workflow\.secrets\.([A-Za-z0-9_-]{1,255})\}")
_PREFIX = "${workflow.secrets."


def referenced_secrets(value: Any, into: set[str] | None = None) -> set[str]:
    """The secret names ``${workflow.secrets.NAME}`` inside ``value`` (strings, maps and lists walked)."""
    found = into if into is not None else set()
    if isinstance(value, str):
        if _PREFIX in value:
            found.update(_REF.findall(value))
    elif isinstance(value, Mapping):
        for v in value.values():
            referenced_secrets(v, found)
    elif isinstance(value, list | tuple):
        for v in value:
            referenced_secrets(v, found)
    return found


def reveal(value: Any, values: Mapping[str, str], allowed: Container[str]) -> Any:
    """``value`` with each allowed ``${workflow.secrets.NAME}`` replaced by the secret's value.

    A string that is exactly one reference becomes the value (null when no such secret exists, as any
    missing path, docs/reference.md#expressions); inside a longer string it is rendered in place (``null``
    when missing).
    Containers are copied only where something changes.
    """
    if isinstance(value, str):
        if _PREFIX not in value:
            return value
        whole = _REF.fullmatch(value)
        if whole is not None:
            name = whole.group(1)
            return values.get(name) if name in allowed else value

        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in allowed:
                return m.group(0)
            found = values.get(name)
            return "null" if found is None else found

        return _REF.sub(one, value)
    if isinstance(value, dict):
        out = {k: reveal(v, values, allowed) for k, v in value.items()}
        return out
    if isinstance(value, list):
        return [reveal(v, values, allowed) for v in value]
    return value
