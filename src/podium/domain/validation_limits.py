"""Structural limits of definitions and payloads (issue #12): name syntax and length, JSON depth,
expression and script length, integer range, payload sizes.

Pure and linear: each document is walked once, without recursion, so a hostile one costs no more
than its size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson

from podium.domain.errors import FieldError
from podium.domain.limits import Limits

LONG_MIN: Final = -(2**63)
LONG_MAX: Final = 2**63 - 1

# Task types travel in URL paths (/tasks/poll/{type}) and in queue names, where ':' separates the
# domain, '@' the execution namespace: none of '/', ':', '@' may appear in them. Conductor's
# characters for workflow names, plus '.', which task types commonly use ("orders.v2").
TASK_NAME_PATTERN: Final = re.compile(r"[\w .<>{}#-]+")
TASK_NAME_CHARACTERS: Final = "letters, digits, spaces and _ - . < > { } #"
# Fields holding a script or jq program, whose length is limited like an expression's.
SCRIPT_FIELDS: Final = frozenset({"expression", "loopCondition", "caseExpression", "queryExpression"})


def check_name(errors: list[FieldError], name: str, path: str, label: str, limits: Limits, *, task: bool) -> None:
    """Report a task type (``task``) or workflow name that is too long or, for task types, uses other characters."""
    if len(name) > limits.name_length:
        errors.append(
            FieldError(
                path,
                f"{label}: name is {len(name)} characters long, over the limit of {limits.name_length} "
                "(PODIUM_LIMIT_NAME_LENGTH)",
                name[:64] + "...",
            )
        )
    elif task and not TASK_NAME_PATTERN.fullmatch(name):
        errors.append(FieldError(path, f"{label}: name may only contain {TASK_NAME_CHARACTERS}", name))


def in_long_range(value: int) -> bool:
    """True when ``value`` fits Java's ``long`` (a signed 64-bit integer), as Conductor stores it."""
    return LONG_MIN <= value <= LONG_MAX


def too_deep(value: Any, limit: int) -> list[str] | None:
    """The path (keys and indexes) to the first container nested deeper than ``limit``, or None.

    ``{"a": {}}`` is 2 levels deep; scalars add none.
    """
    # Each entry: (container, its depth, the path to it); iterative so no depth can break it.
    stack: list[tuple[Any, int, list[str]]] = [(value, 1, [])]
    while stack:
        node, depth, path = stack.pop()
        if depth > limit:
            return path
        if isinstance(node, Mapping):
            children: Iterable[tuple[Any, Any]] = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        for key, child in children:
            if isinstance(child, Mapping | list):
                stack.append((child, depth + 1, [*path, f"[{key}]" if isinstance(key, int) else str(key)]))
    return None


def dotted(prefix: str, parts: list[str]) -> str:
    """``input`` + ``["a", "[0]", "b"]`` → ``input.a[0].b`` (at most 8 parts shown)."""
    shown = parts[:8]
    text = prefix
    for part in shown:
        text = text + part if part.startswith("[") or not text else f"{text}.{part}"
    return text + ("..." if len(parts) > len(shown) else "")


def depth_error(value: Any, prefix: str, limits: Limits | int) -> FieldError | None:
    """A FieldError naming where ``value`` is nested deeper than the limit, or None."""
    limit = limits if isinstance(limits, int) else limits.json_depth
    path = too_deep(value, limit)
    if path is None:
        return None
    return FieldError(
        dotted(prefix, path) or "body",
        f"JSON nested deeper than {limit} levels (PODIUM_LIMIT_JSON_DEPTH)",
    )


def check_document(errors: list[FieldError], doc: Any, prefix: str, limits: Limits) -> None:
    """Depth, and length of every expression or script string, in a definition ``doc``."""
    problem = depth_error(doc, prefix, limits)
    if problem is not None:
        errors.append(problem)
        return
    limit = limits.expression_length
    stack: list[tuple[Any, str]] = [(doc, prefix)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            for key, child in node.items():
                p = f"{path}.{key}" if path else str(key)
                if isinstance(child, str):
                    if len(child) > limit and (key in SCRIPT_FIELDS or "${" in child):
                        errors.append(_too_long(p, child, limit))
                elif isinstance(child, Mapping | list):
                    stack.append((child, p))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                p = f"{path}[{i}]"
                if isinstance(child, str):
                    if len(child) > limit and "${" in child:
                        errors.append(_too_long(p, child, limit))
                elif isinstance(child, Mapping | list):
                    stack.append((child, p))


def _too_long(path: str, text: str, limit: int) -> FieldError:
    return FieldError(
        path,
        f"Expression or script of {len(text)} characters is over the limit of {limit} (PODIUM_LIMIT_EXPRESSION_LENGTH)",
        text[:64] + "...",
    )


def payload_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON (what the store keeps)."""
    return len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


def output_too_large(task_id: str, workflow_id: str, size: int, limit: int) -> str:
    """The reason a task fails when its output is over ``task_output_bytes`` (Conductor's wording)."""
    return (
        f"The output payload size: {size} bytes of task: {task_id} in workflow: {workflow_id} is greater than "
        f"the permissible limit: {limit} bytes (PODIUM_LIMIT_TASK_OUTPUT_BYTES)"
    )


def input_too_large(ref: str, size: int, limit: int) -> str:
    return (
        f"The input payload size: {size} bytes of task '{ref}' is greater than the permissible limit: "
        f"{limit} bytes (PODIUM_LIMIT_TASK_INPUT_BYTES)"
    )


def total_too_large(total: int, limit: int) -> str:
    return (
        f"The task inputs and outputs of this workflow reached {total} bytes, over the permissible limit: "
        f"{limit} bytes (PODIUM_LIMIT_WORKFLOW_TOTAL_BYTES)"
    )


SHOWN_DEPTH: Final = 200  # orjson writes at most 255 levels; answers wrap what they hold in a few more
TOO_DEEP: Final = "(nested too deep to show: over PODIUM_LIMIT_JSON_DEPTH)"


def shallow(value: Any, room: int = SHOWN_DEPTH) -> Any:
    """``value`` with containers below ``room`` levels replaced by a note, and integers no JSON
    writer takes by their text: what a record stored before the limits existed can still show."""
    if isinstance(value, dict):
        return {k: shallow(v, room - 1) for k, v in value.items()} if room > 0 else TOO_DEEP
    if isinstance(value, list | tuple):
        return [shallow(v, room - 1) for v in value] if room > 0 else TOO_DEEP
    if isinstance(value, int) and not isinstance(value, bool) and not LONG_MIN <= value < 2**64:
        return str(value)
    return value


def dumps_any(value: Any, option: int | None = None) -> bytes:
    """``orjson.dumps``, falling back to :func:`shallow` for a document it cannot write."""
    try:
        return orjson.dumps(value, option=option)
    except TypeError:
        return orjson.dumps(shallow(value), option=option)
