"""A workflow definition as a navigable graph: where each reference sits and what follows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from podium.domain import tasktypes as tt
from podium.domain.model import WorkflowDef, WorkflowTask

ContainerKind = Literal["root", "case", "branch", "loop"]


@dataclass(slots=True)
class Node:
    """Where one WorkflowTask sits in its definition."""

    task: WorkflowTask
    siblings: list[WorkflowTask]
    index: int
    kind: ContainerKind
    owner: str | None  # ref of the SWITCH / FORK / DO_WHILE that holds the list, None at the root


class Graph:
    """Index of every task reference of one definition (built once per definition)."""

    __slots__ = ("by_ref", "definition", "loop_body_refs")

    def __init__(self, definition: WorkflowDef) -> None:
        self.definition = definition
        self.by_ref: dict[str, Node] = {}
        self.loop_body_refs: dict[str, list[str]] = {}
        self._index(definition.get("tasks", []), "root", None)

    def _index(self, tasks: list[WorkflowTask], kind: ContainerKind, owner: str | None) -> None:
        for i, wt in enumerate(tasks):
            ref = wt.get("taskReferenceName", "")
            self.by_ref[ref] = Node(wt, tasks, i, kind, owner)
            ttype = wt.get("type", tt.SIMPLE)
            if ttype in (tt.SWITCH, tt.DECISION):
                for case in (wt.get("decisionCases") or {}).values():
                    self._index(case, "case", ref)
                self._index(wt.get("defaultCase") or [], "case", ref)
            elif ttype == tt.FORK_JOIN:
                for branch in wt.get("forkTasks") or []:
                    self._index(branch, "branch", ref)
            elif ttype == tt.DO_WHILE:
                body = wt.get("loopOver") or []
                self._index(body, "loop", ref)
                self.loop_body_refs[ref] = [r for r in self._refs_under(body)]

    def _refs_under(self, tasks: list[WorkflowTask]) -> list[str]:
        out: list[str] = []
        for wt in tasks:
            out.append(wt.get("taskReferenceName", ""))
            for sub in _children(wt):
                out.extend(self._refs_under(sub))
        return out

    def node(self, ref: str) -> Node | None:
        """The node of a reference; DO_WHILE iteration suffixes (``ref__3``) are stripped."""
        n = self.by_ref.get(ref)
        if n is None and "__" in ref:
            n = self.by_ref.get(strip_iteration(ref))
        return n

    def first(self) -> WorkflowTask | None:
        """The first task of the workflow."""
        tasks = self.definition.get("tasks") or []
        return tasks[0] if tasks else None

    def enclosing_loop(self, ref: str) -> str | None:
        """Ref of the innermost DO_WHILE whose body contains ``ref``."""
        n = self.node(ref)
        while n is not None and n.owner is not None:
            if n.kind == "loop":
                return n.owner
            n = self.by_ref.get(n.owner)
        return None


def _children(wt: WorkflowTask) -> list[list[WorkflowTask]]:
    ttype = wt.get("type", tt.SIMPLE)
    if ttype in (tt.SWITCH, tt.DECISION):
        return [*(wt.get("decisionCases") or {}).values(), wt.get("defaultCase") or []]
    if ttype == tt.FORK_JOIN:
        return list(wt.get("forkTasks") or [])
    if ttype == tt.DO_WHILE:
        return [wt.get("loopOver") or []]
    return []


def strip_iteration(ref: str) -> str:
    """``ref__3`` → ``ref``; nested loops: ``ref__2__3`` → ``ref`` (DO_WHILE iteration suffixes)."""
    while True:
        base, sep, tail = ref.rpartition("__")
        if not (sep and tail.isdigit()):
            return ref
        ref = base


_cache: dict[int, tuple[WorkflowDef, Graph]] = {}


def graph_of(definition: WorkflowDef) -> Graph:
    """The graph of a definition object, cached while that object lives."""
    key = id(definition)
    hit = _cache.get(key)
    if hit is not None and hit[0] is definition:
        return hit[1]
    g = Graph(definition)
    if len(_cache) > 4096:
        _cache.clear()
    _cache[key] = (definition, g)
    return g


def top_level_ref(graph: Graph, record_ref: str) -> str:
    """The root-level task that holds a record's node (itself at the root; a loop pass suffix is dropped)."""
    ref = strip_iteration(record_ref)
    node = graph.node(ref)
    while node is not None and node.owner is not None:
        ref = node.owner
        node = graph.node(ref)
    return ref
