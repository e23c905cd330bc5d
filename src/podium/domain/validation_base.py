"""Shared pieces of definition validation: walk context, typed field readers, ``${...}`` root scanner.

Every reader takes raw decoded JSON, appends a FieldError when the value has the wrong type or is
out of range, and returns the usable value (or None). ``null`` counts as absent everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from podium.domain.errors import FieldError
from podium.domain.limits import DEFAULT_LIMITS, Limits

Errors = list[FieldError]
JsSyntaxCheck = Callable[[str], str | None]
# (path, list of WorkflowTask JSON) pairs an operator nests.
Children = Sequence[tuple[str, list[Any]]]


@dataclass(slots=True)
class Context:
    """Options and accumulated state of one WorkflowDef validation (one ref namespace)."""

    errors: Errors
    task_defs: Mapping[str, Mapping[str, Any]] | None
    js_syntax_check: JsSyntaxCheck | None
    require_join_after_fork: bool
    check_names: bool
    limits: Limits = DEFAULT_LIMITS
    refs: dict[str, str] = field(default_factory=dict)  # taskReferenceName -> path of its task
    nodes: list[Node] = field(default_factory=list)
    # Tasks met so far in the whole definition, inline sub-workflows included (shared by their contexts).
    task_count: list[int] = field(default_factory=lambda: [0])


@dataclass(slots=True)
class Node:
    """One WorkflowTask as met by the tree walk."""

    path: str
    task: Mapping[str, Any]
    type: str
    name: str | None
    ref: str | None
    label: str  # e.g. "SWITCH task 'route'", used to start messages
    inputs: Mapping[str, Any]
    siblings: list[Any]
    index: int
    top_level: bool


def join(prefix: str, key: str) -> str:
    """JSON-ish path of ``key`` below ``prefix``."""
    return f"{prefix}.{key}" if prefix else key


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def as_int(value: Any) -> int | None:
    """The integer in ``value`` (integral floats included), or None when it is not one.

    Integers beyond 64 bits (JSON allows them) are not: no store column or JSON writer takes them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and _INT64_MIN <= value <= _INT64_MAX:
        return value
    return None


def is_blank(value: Any) -> bool:
    """True for absent, non-string or whitespace-only values."""
    return not isinstance(value, str) or not value.strip()


def read_int(
    errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str, *, minimum: int | None = None
) -> int | None:
    """``obj[key]`` as an int; reports a non-integer or a value below ``minimum``."""
    raw = obj.get(key)
    if raw is None:
        return None
    value = as_int(raw)
    if value is None:
        integral = type(raw) is int or (isinstance(raw, float) and raw.is_integer())
        # Beyond what Conductor (a Java long) and the stores can hold, or no integer at all.
        problem = "is out of range of a 64-bit integer (long)" if integral else "must be an integer"
        errors.append(FieldError(join(prefix, key), f"{label}: '{key}' {problem}", raw))
        return None
    if minimum is not None and value < minimum:
        errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be >= {minimum}", raw))
        return None
    return value


def read_str(errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str) -> str | None:
    """``obj[key]`` as a string; reports any other type."""
    raw = obj.get(key)
    if raw is None or isinstance(raw, str):
        return raw
    errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be a string", raw))
    return None


def read_required_str(
    errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str, requirement: str
) -> str | None:
    """A non-blank string ``obj[key]``; ``requirement`` completes "<label> requires ..." when it is not."""
    raw = obj.get(key)
    if isinstance(raw, str) and raw.strip():
        return raw
    errors.append(FieldError(join(prefix, key), f"{label} requires {requirement}", raw))
    return None


def read_enum(
    errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str, allowed: tuple[str, ...]
) -> str | None:
    """``obj[key]`` when it is one of ``allowed``; reports anything else."""
    raw = obj.get(key)
    if raw is None:
        return None
    if isinstance(raw, str) and raw in allowed:
        return raw
    errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be one of {', '.join(allowed)}", raw))
    return None


def read_bool(errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str) -> bool | None:
    """``obj[key]`` as a bool; reports any other type."""
    raw = obj.get(key)
    if raw is None or isinstance(raw, bool):
        return raw
    errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be a boolean", raw))
    return None


def read_map(errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str) -> Mapping[str, Any] | None:
    """``obj[key]`` as an object; reports any other type."""
    raw = obj.get(key)
    if raw is None or isinstance(raw, Mapping):
        return raw
    errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be an object", raw))
    return None


def read_list(errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str) -> list[Any] | None:
    """``obj[key]`` as a list; reports any other type."""
    raw = obj.get(key)
    if raw is None or isinstance(raw, list):
        return raw
    errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be a list", raw))
    return None


def read_str_list(errors: Errors, obj: Mapping[str, Any], key: str, prefix: str, label: str) -> list[str] | None:
    """``obj[key]`` as a list of strings; reports any other shape."""
    raw = read_list(errors, obj, key, prefix, label)
    if raw is None:
        return None
    if all(isinstance(item, str) for item in raw):
        return raw
    errors.append(FieldError(join(prefix, key), f"{label}: '{key}' must be a list of strings", raw))
    return None


# ---------------------------------------------------------------------------------------------
# ${...} scanning

_ROOT: Final = re.compile(r"[^.\[]*")


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing a ``${`` whose body starts at ``start``, or -1."""
    depth = 1
    for i in range(start, len(text)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def expression_roots(text: str) -> Iterator[str]:
    """Root name (first dotted component) of every outermost ``${...}`` in ``text``.

    ``$${...}`` escapes, blank ``${}`` and bodies that start with a nested ``${`` (a computed root)
    yield nothing; for ``${a.${b}}`` only ``a`` is yielded.
    """
    i = text.find("${")
    while i != -1:
        end = _closing_brace(text, i + 2)
        if end == -1:
            return
        if i == 0 or text[i - 1] != "$":
            body = text[i + 2 : end].strip()
            if body and not body.startswith("${"):
                m = _ROOT.match(body)
                yield m.group().strip() if m else body
        i = text.find("${", end + 1)


def is_expression(value: Any) -> bool:
    """True when ``value`` is a string holding a ``${...}`` reference (resolved at run time)."""
    return isinstance(value, str) and "${" in value
