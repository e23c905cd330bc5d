"""``${...}`` parameter resolution against a workflow (docs/reference.md#expressions).

Usage::

    ctx = ResolutionContext(workflow, workflow["tasks"])
    task_input = resolve_input(wf_task.get("inputParameters", {}), ctx, task_id=new_id,
                               template=task_def.get("inputTemplate"))

Templates and paths are compiled once per distinct string; the per-reference documents of the
context are only built for the references an expression actually touches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from podium.domain.model import Task, Workflow
from podium.expr._jsonpath import MISSING, deep_copy, root_name, walk
from podium.expr._jsonpath import compile_path as _compile_path
from podium.expr._template import (
    SECRETS_PREFIX,
    TASK_ID_NAME,
    Expr,
    Template,
    compile_template,
    java_str,
)

__all__ = [
    "ResolutionContext",
    "has_expression",
    "java_str",
    "referenced_roots",
    "resolve",
    "resolve_input",
]

_LOOP_SUFFIX = re.compile(r"(?:__\d+)+$")
_EMPTY: Mapping[str, str] = {}


def _task_doc(t: Task) -> dict[str, Any]:
    g = t.get
    return {
        "input": g("inputData") or {},
        "output": g("outputData") or {},
        "taskType": g("taskType"),
        "status": g("status"),
        "referenceTaskName": g("referenceTaskName"),
        "retryCount": g("retryCount", 0),
        "correlationId": g("correlationId"),
        "pollCount": g("pollCount", 0),
        "taskDefName": g("taskDefName"),
        "scheduledTime": g("scheduledTime", 0),
        "startTime": g("startTime", 0),
        "endTime": g("endTime", 0),
        "workflowInstanceId": g("workflowInstanceId"),
        "taskId": g("taskId"),
        "reasonForIncompletion": g("reasonForIncompletion"),
        "callbackAfterSeconds": g("callbackAfterSeconds", 0),
        "workerId": g("workerId"),
        "iteration": g("iteration", 0),
    }


def _workflow_doc(wf: Workflow) -> dict[str, Any]:
    d = wf.get("workflowDefinition") or {}
    return {
        "input": wf.get("input") or {},
        "output": wf.get("output") or {},
        "status": wf.get("status"),
        "workflowId": wf.get("workflowId"),
        "parentWorkflowId": wf.get("parentWorkflowId"),
        "parentWorkflowTaskId": wf.get("parentWorkflowTaskId"),
        "workflowType": d.get("name", wf.get("workflowName")),
        "version": d.get("version", wf.get("workflowVersion")),
        "correlationId": wf.get("correlationId"),
        "reasonForIncompletion": wf.get("reasonForIncompletion"),
        "schemaVersion": d.get("schemaVersion", 2),
        "variables": wf.get("variables") or {},
    }


class ResolutionContext:
    """The document ``${...}`` paths are evaluated against (docs/reference.md#expressions).

    ``workflow`` gives the ``workflow`` entry; each task reference (DO_WHILE ``__N`` suffix
    stripped, last record wins) gives one entry. ``env`` maps names usable as ``${NAME}`` and
    ``${workflow.env.NAME}``; nothing is read from ``os.environ``.
    """

    __slots__ = ("_doc", "_docs", "_refs", "_tasks", "_wf_doc", "_workflow", "env")

    def __init__(self, workflow: Workflow, tasks: Sequence[Task], *, env: Mapping[str, str] | None = None) -> None:
        self._workflow = workflow
        self._tasks = tasks
        self.env: Mapping[str, str] = env if env is not None else _EMPTY
        self._refs: dict[str, Task] | None = None
        self._docs: dict[str, dict[str, Any]] = {}
        self._wf_doc: dict[str, Any] | None = None
        self._doc: Mapping[str, Any] | None = None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ResolutionContext:
        """A context over an arbitrary JSON document (event payloads: ``${data.id}``)."""
        ctx = cls({}, ())
        ctx._doc = doc
        return ctx

    def _index(self) -> dict[str, Task]:
        refs: dict[str, Task] = {}
        for t in self._tasks:
            ref = t.get("referenceTaskName")
            if ref is None:
                continue
            if "__" in ref:
                ref = _LOOP_SUFFIX.sub("", ref)
            refs[ref] = t
        self._refs = refs
        return refs

    def lookup(self, name: str) -> Any:
        """The top-level entry ``name`` (built on first use), or MISSING."""
        if self._doc is not None:
            return self._doc.get(name, MISSING)
        if name == "workflow":
            if self._wf_doc is None:
                self._wf_doc = _workflow_doc(self._workflow)
            return self._wf_doc
        doc = self._docs.get(name)
        if doc is None:
            refs = self._refs if self._refs is not None else self._index()
            task = refs.get(name)
            if task is None:
                return MISSING
            doc = self._docs[name] = _task_doc(task)
        return doc

    def document(self) -> dict[str, Any]:
        """The whole evaluation document (materialises every entry; avoid on hot paths)."""
        if self._doc is not None:
            return dict(self._doc)
        refs = self._refs if self._refs is not None else self._index()
        out = {ref: self.lookup(ref) for ref in refs}
        out["workflow"] = self.lookup("workflow")
        return out


class _Keep:
    __slots__ = ()


_KEEP: Any = _Keep()  # "leave the ${...} text as it is"


def _env_value(ctx: ResolutionContext, tokens: tuple[str | int, ...]) -> Any:
    name = tokens[0]
    value: Any = ctx.env.get(name, MISSING) if isinstance(name, str) else MISSING
    if len(tokens) > 1 and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return MISSING
    return walk(value, tokens, 1) if value is not MISSING else MISSING


def _evaluate(e: Expr, ctx: ResolutionContext, task_id: str | None) -> Any:
    compiled = e.compiled
    if e.inner is not None:
        name = _render(e.inner, ctx, task_id, False).strip()
        if not name:
            return ""
        if name.startswith(SECRETS_PREFIX):
            return _KEEP
    else:
        name = e.name
        if compiled is None:
            return "" if not name else _KEEP  # blank, or a secret kept literally
    if name == TASK_ID_NAME:
        return task_id if task_id is not None else _KEEP
    env = ctx.env
    if env and name in env:
        return env[name]
    if compiled is None:
        compiled = _compile_path(name)
    if compiled.env_tokens is not None and ctx._doc is None:
        value = _env_value(ctx, compiled.env_tokens)
    else:
        value = compiled.evaluate(ctx)
    return None if value is MISSING else value


def _render(t: Template, ctx: ResolutionContext, task_id: str | None, top: bool) -> Any:
    single = t.single
    if single is not None and top:
        value = _evaluate(single, ctx, task_id)
        return t.source if value is _KEEP else deep_copy(value)
    out: list[str] = []
    for p in t.parts:
        if type(p) is str:
            out.append(p)
        else:
            value = _evaluate(p, ctx, task_id)  # type: ignore[arg-type]
            out.append(p.text if value is _KEEP else java_str(value))  # type: ignore[union-attr]
    s = "".join(out)
    return s.replace("$${", "${") if "$${" in s else s


def _resolve(value: Any, ctx: ResolutionContext, task_id: str | None) -> Any:
    t = type(value)
    if t is str:
        if "${" not in value:
            return value
        return _render(compile_template(value), ctx, task_id, True)
    if t is dict:
        return {k: _resolve(v, ctx, task_id) for k, v in value.items()}
    if t is list:
        return [_resolve(v, ctx, task_id) for v in value]
    if isinstance(value, Mapping):
        return {k: _resolve(v, ctx, task_id) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_resolve(v, ctx, task_id) for v in value]
    return value


def resolve(value: Any, ctx: ResolutionContext, *, task_id: str | None = None) -> Any:
    """Resolve every ``${...}`` inside ``value`` (docs/reference.md#expressions).

    Maps and lists are walked recursively, strings are scanned, other scalars returned as they
    are. Returns new containers; never mutates ``value`` nor shares containers with ``ctx``.
    ``task_id`` is what ``${CPEWF_TASK_ID}`` resolves to.
    """
    return _resolve(value, ctx, task_id)


def resolve_input(
    params: Mapping[str, Any],
    ctx: ResolutionContext,
    *,
    task_id: str | None = None,
    template: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Resolve task input, applying ``TaskDef.inputTemplate`` (docs/reference.md#task-definitions).

    Template keys absent from ``params`` are added before resolution; afterwards every template
    key whose value resolved to null gets the template's raw value.
    """
    if not template:
        return {k: _resolve(v, ctx, task_id) for k, v in params.items()}
    merged = dict(params)
    for k, v in template.items():
        merged.setdefault(k, v)
    out = {k: _resolve(v, ctx, task_id) for k, v in merged.items()}
    for k, v in template.items():
        if out.get(k) is None:
            out[k] = deep_copy(v)
    return out


def has_expression(value: Any) -> bool:
    """True if ``value`` contains any ``${`` (resolution could change it)."""
    t = type(value)
    if t is str:
        return "${" in value
    if t is dict or isinstance(value, Mapping):
        return any(has_expression(v) for v in value.values())
    if t is list or isinstance(value, tuple):
        return any(has_expression(v) for v in value)
    return False


def referenced_roots(value: Any) -> set[str]:
    """First path components of every ``${...}`` in ``value`` (nested ones included)."""
    roots: set[str] = set()
    _collect_roots(value, roots)
    return roots


def _collect_roots(value: Any, roots: set[str]) -> None:
    if isinstance(value, str):
        if "${" in value:
            for e in compile_template(value).expressions():
                name = root_name(e.name)
                if name and "${" not in name:
                    roots.add(name)
    elif isinstance(value, Mapping):
        for v in value.values():
            _collect_roots(v, roots)
    elif isinstance(value, list | tuple):
        for v in value:
            _collect_roots(v, roots)
