"""Which workflow definitions use a task definition or another workflow definition (issue #17).

Deleting a definition that another one still names would leave that one unable to run, so the
metadata service refuses it with the users listed. Pure: it reads definitions, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from podium.domain.model import WorkflowDef

#: How many users a refusal names before it says "and N more".
SHOWN = 5


def _tasks(tasks: Any) -> Iterator[dict[str, Any]]:
    """Every task of a task list, nested ones (forks, switch cases, loops) included."""
    if not isinstance(tasks, list):
        return
    for t in tasks:
        if not isinstance(t, dict):
            continue
        yield t
        for branch in t.get("forkTasks") or []:
            yield from _tasks(branch)
        cases = t.get("decisionCases")
        if isinstance(cases, dict):
            for case in cases.values():
                yield from _tasks(case)
        yield from _tasks(t.get("defaultCase"))
        yield from _tasks(t.get("loopOver"))


def _label(wd: WorkflowDef) -> str:
    return f"{wd.get('name')} v{wd.get('version', 1)}"


def task_def_users(name: str, defs: Iterable[WorkflowDef]) -> list[str]:
    """``name vN`` of every workflow definition with a task of that task definition's name."""
    return [_label(wd) for wd in defs if any(t.get("name") == name for t in _tasks(wd.get("tasks")))]


def workflow_def_users(name: str, version: int, defs: Iterable[WorkflowDef]) -> list[str]:
    """``name vN`` of every other workflow definition whose SUB_WORKFLOW would start ``name`` ``version``.

    A sub-workflow naming no version starts the latest one, so it depends on this version only when no
    other version of ``name`` would be left.
    """
    defs = list(defs)
    others = any(wd.get("name") == name and wd.get("version", 1) != version for wd in defs)
    users: list[str] = []
    for wd in defs:
        if wd.get("name") == name and wd.get("version", 1) == version:
            continue
        for t in _tasks(wd.get("tasks")):
            param = t.get("subWorkflowParam")
            if t.get("type") != "SUB_WORKFLOW" or not isinstance(param, dict) or param.get("name") != name:
                continue
            wanted = param.get("version")
            if wanted == version or (wanted is None and not others):
                users.append(_label(wd))
                break
    return users


def in_use_message(what: str, users: list[str]) -> str:
    """The refusal's reason, naming the first few users."""
    shown = ", ".join(users[:SHOWN])
    more = f" and {len(users) - SHOWN} more" if len(users) > SHOWN else ""
    plural = "s" if len(users) > 1 else ""
    return f"{what} is in use by workflow definition{plural} {shown}{more}; delete or change those first"
