"""What `metadata validate` warns about beyond the server's validation: typos the server cannot refuse.

A ``type`` the server does not know runs as a worker task of that name, so ``SWTICH`` is valid but
wrong; a worker task nobody defined and nobody polls waits forever; an unclosed ``${`` is passed on as
a literal string.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podium.domain import tasktypes as tt

KNOWN_TYPES = frozenset({tt.SIMPLE, *tt.SYSTEM_TYPES} - {tt.FORK})
_NESTED_LISTS = ("forkTasks", "loopOver")
_NESTED_MAPS = ("decisionCases",)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, where it is and what it is."""

    path: str
    message: str


def kind_of(doc: Any) -> str:
    """``workflow`` (it has a task list), ``task`` (a task definition) or ``unknown``."""
    if not isinstance(doc, dict):
        return "unknown"
    if isinstance(doc.get("tasks"), list):
        return "workflow"
    if isinstance(doc.get("name"), str) and "tasks" not in doc:
        return "task"
    return "unknown"


def split_documents(doc: Any) -> list[Any]:
    """A file holds one definition or a list of them."""
    return list(doc) if isinstance(doc, list) else [doc]


def walk_tasks(tasks: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every WorkflowTask of a task list, nested ones (fork branches, switch cases, loops) included."""
    if not isinstance(tasks, list):
        return
    for i, t in enumerate(tasks):
        if not isinstance(t, dict):
            continue
        here = f"{path}[{i}]"
        yield here, t
        for key in _NESTED_LISTS:
            inner = t.get(key)
            if key == "forkTasks" and isinstance(inner, list):
                for b, branch in enumerate(inner):
                    yield from walk_tasks(branch, f"{here}.forkTasks[{b}]")
            else:
                yield from walk_tasks(inner, f"{here}.{key}")
        for key in _NESTED_MAPS:
            cases = t.get(key)
            if isinstance(cases, dict):
                for case, branch in cases.items():
                    yield from walk_tasks(branch, f"{here}.{key}.{case}")
        yield from walk_tasks(t.get("defaultCase"), f"{here}.defaultCase")


def worker_task_names(wf: dict[str, Any]) -> set[str]:
    """Names of the worker (SIMPLE) tasks a workflow definition uses."""
    names = set()
    for _, t in walk_tasks(wf.get("tasks"), "tasks"):
        if t.get("type", tt.SIMPLE) == tt.SIMPLE and isinstance(t.get("name"), str):
            names.add(t["name"])
    return names


def unknown_types(wf: dict[str, Any]) -> list[Finding]:
    """Task types that are neither SIMPLE nor a system type (a typo runs as a worker task)."""
    out = []
    for path, t in walk_tasks(wf.get("tasks"), "tasks"):
        typ = t.get("type")
        if isinstance(typ, str) and typ and typ not in KNOWN_TYPES:
            close = difflib.get_close_matches(typ.upper(), sorted(KNOWN_TYPES), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            out.append(Finding(f"{path}.type", f"unknown task type {typ!r}{hint}; it would wait for a worker"))
    return out


def _unclosed_at(text: str) -> int:
    """Index of the first ``${`` whose ``{`` no ``}`` closes (braces paired as the server pairs them,
    ``$${`` being an escape), or -1. One pass over the braces, however many there are."""
    closed: set[int] = set()
    open_at: list[int] = []
    for i, ch in enumerate(text):
        if ch == "{":
            open_at.append(i)
        elif ch == "}" and open_at:
            closed.add(open_at.pop())
    i = text.find("${")
    while i >= 0:
        if not (i > 0 and text[i - 1] == "$") and i + 1 not in closed:
            return i
        i = text.find("${", i + 2)
    return -1


def unclosed_expressions(value: Any, path: str) -> list[Finding]:
    """Every string under ``value`` with an unclosed ``${``."""
    out: list[Finding] = []
    if isinstance(value, str):
        at = _unclosed_at(value)
        if at >= 0:
            out.append(Finding(path, f"unclosed '${{' in {value[at : at + 40]!r}"))
    elif isinstance(value, dict):
        for k, v in value.items():
            out.extend(unclosed_expressions(v, f"{path}.{k}" if path else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(unclosed_expressions(v, f"{path}[{i}]"))
    return out


def unserved_tasks(wf: dict[str, Any], defined: set[str], polled: set[str]) -> list[Finding]:
    """Worker tasks with no task definition and no worker ever seen polling for them."""
    out = []
    for path, t in walk_tasks(wf.get("tasks"), "tasks"):
        name = t.get("name")
        if t.get("type", tt.SIMPLE) != tt.SIMPLE or not isinstance(name, str):
            continue
        if name not in defined and name not in polled:
            out.append(
                Finding(f"{path}.name", f"worker task {name!r} has no task definition and no worker has polled for it")
            )
    return out
