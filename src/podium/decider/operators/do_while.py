"""DO_WHILE: run the ``loopOver`` body again while ``loopCondition`` holds (docs/reference.md#do_while).

Records of pass ``n`` carry ``iteration = n`` and the ref suffix ``__n``. Nested loops suffix every
level, outermost first: in pass 2 of ``outer`` and pass 3 of ``inner`` a body task of ``inner``
is ``task__2__3`` (iteration 3), and the inner DO_WHILE record itself is ``inner__2`` (its own
``iteration`` field counts its passes). ``Pass.ref_for`` builds these refs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podium.decider.graph import strip_iteration
from podium.decider.operators.base import Operator, register
from podium.decider.operators.switch import EvaluationError, run_js
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import JSON, Task
from podium.expr.pending import EvaluationPending

if TYPE_CHECKING:
    from podium.decider.passes import Pass
    from podium.domain.model import WorkflowTask


# Records one decide pass may create before a loop's next pass waits for the next decide.
RECORDS_PER_PASS = 20


class _ItemsError(Exception):
    pass


def truthy(value: Any) -> bool:
    """Loop-condition truth: boolean true, or a number greater than zero."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    return False


def _groups(suffix: str) -> list[str]:
    """``__2__3`` → ``["2", "3"]``."""
    return suffix.split("__")[1:] if suffix else []


def _items(p: Pass, loop: Task) -> list[Any] | None:
    """The list a loop iterates over (``items`` on the node, else input ``_items``), or None."""
    wt = loop.get("workflowTask", {})
    if wt.get("items") is not None:
        value = p.resolve(wt.get("items"), loop["taskId"])
    elif "_items" in loop.get("inputData", {}):
        value = loop["inputData"]["_items"]
    else:
        return None
    if not isinstance(value, list):
        raise _ItemsError(f"DO_WHILE items must evaluate to a list, got {value!r}")
    return value


class _Iteration:
    """The latest records of one pass of one loop, found by reference suffix."""

    __slots__ = ("direct", "records")

    def __init__(self, p: Pass, loop: Task, n: int) -> None:
        base = loop["workflowTask"].get("taskReferenceName", "")
        own = _groups(loop["referenceTaskName"][len(base) :])
        depth = len(own)
        body = frozenset(p.graph.loop_body_refs.get(base, ()))
        self.records: list[Task] = []
        self.direct: list[Task] = []  # this pass's records outside nested loops' bodies
        for t in reversed(p.state.tasks):
            if t is loop:
                break
            ref = t["referenceTaskName"]
            b = strip_iteration(ref)
            if b not in body or t.get("retried"):
                continue
            groups = _groups(ref[len(b) :])
            if len(groups) <= depth or groups[:depth] != own:
                continue
            k = int(groups[depth])
            if k < n:
                break  # every record of pass n comes after all records of earlier passes
            if k == n:
                self.records.append(t)
                if len(groups) == depth + 1:
                    self.direct.append(t)
        self.records.reverse()
        self.direct.reverse()

    def settled(self) -> bool:
        """Every record is terminal and processed by the decider (so nothing more will follow)."""
        return all(
            st.task_terminal(t["status"]) and (t.get("executed") or t["status"] == st.SKIPPED) for t in self.records
        )


@register(tt.DO_WHILE)
class DoWhileOperator(Operator):
    """The DO_WHILE record stays IN_PROGRESS across passes; its output collects each pass's body
    outputs under the pass number; ``iteration`` in it (and on the record) is the current pass."""

    def schedule(self, p: Pass, wt: WorkflowTask, iteration: int) -> None:
        loop = p.new_record(wt, task_type=tt.DO_WHILE, status=st.IN_PROGRESS, iteration=iteration)
        self._start(p, loop, 1)

    def step(self, p: Pass, task: Task) -> bool:
        return self._advance(p, task, reached_end=False)

    def loop_body_done(self, p: Pass, loop_task: Task) -> None:
        if not st.task_terminal(loop_task["status"]):
            self._advance(p, loop_task, reached_end=True)

    # -- passes ------------------------------------------------------------------------------
    def _start(self, p: Pass, loop: Task, n: int) -> None:
        """Begin pass ``n`` (or finish when a list loop has no item left)."""
        wt = loop["workflowTask"]
        try:
            items = _items(p, loop)
        except _ItemsError as exc:
            p.finish(loop, st.FAILED_WITH_TERMINAL_ERROR, reason=str(exc))
            return
        output = dict(loop.get("outputData") or {})
        body = wt.get("loopOver") or []
        if (items is not None and n > len(items)) or not body:
            loop["iteration"] = n - 1
            output["iteration"] = n - 1
            p.finish(loop, st.COMPLETED, output)
            return
        loop["iteration"] = n
        output["iteration"] = n
        if items is not None:
            output["loopIndex"] = n - 1
            output["loopItem"] = items[n - 1]
        loop["outputData"] = output
        p.touch(loop)
        p.schedule(body[0], n)

    def _advance(self, p: Pass, loop: Task, *, reached_end: bool) -> bool:
        """Close the current pass once all its records are settled, then loop again or finish."""
        n = loop.get("iteration", 0)
        it = _Iteration(p, loop, n)
        if not (it.records or reached_end) or not it.settled():
            return False
        if len(p.out.new_tasks) >= RECORDS_PER_PASS:
            p.out.again = True  # close this pass in the next decide, so no request runs a whole loop
            return False
        wt = loop["workflowTask"]
        base = wt.get("taskReferenceName", "")
        output = dict(loop.get("outputData") or {})
        output[str(n)] = {strip_iteration(t["referenceTaskName"]): t.get("outputData") or {} for t in it.direct}
        output["iteration"] = n
        _keep_last(p, loop, n, output)
        loop["outputData"] = output
        failed = [t for t in it.records if not st.task_successful(t["status"])]
        if failed:
            reasons = (t.get("reasonForIncompletion") or f"{t['referenceTaskName']} {t['status']}" for t in failed)
            p.finish(loop, st.FAILED, reason=" ".join(reasons))
            return True
        try:
            items = _items(p, loop)
        except _ItemsError as exc:
            p.finish(loop, st.FAILED_WITH_TERMINAL_ERROR, reason=str(exc))
            return True
        again = items is None or n < len(items)
        condition = wt.get("loopCondition")
        if again and condition:
            bindings: JSON = {**p.resolve_input(wt, loop["taskId"]), base: output}
            body = frozenset(p.graph.loop_body_refs.get(base, ()))
            # Each body node's latest record, found from the end: most passes need only their own records.
            found: dict[str, Any] = {}
            for t in reversed(p.state.tasks):
                if t is loop or len(found) == len(body):
                    break
                b = strip_iteration(t["referenceTaskName"])
                if b in body and b not in found and not t.get("retried"):
                    found[b] = t.get("outputData") or {}
            bindings.update(found)
            try:
                again = truthy(run_js(p, condition, bindings))
            except EvaluationPending:
                p.out.evaluations_pending = True  # decided again once the condition's answer is in
                return False
            except EvaluationError as exc:
                p.finish(
                    loop,
                    st.FAILED_WITH_TERMINAL_ERROR,
                    reason=f"Unable to evaluate condition {condition}, exception {exc}",
                )
                return True
        elif not condition and items is None:
            again = False
        limit = p.env.limits.loop_iterations
        if again and n >= limit:
            p.finish(
                loop,
                st.FAILED_WITH_TERMINAL_ERROR,
                reason=f"DO_WHILE '{base}' reached the limit of {limit} iterations (PODIUM_LIMIT_LOOP_ITERATIONS)",
            )
        elif again:
            self._start(p, loop, n + 1)
        else:
            p.finish(loop, st.COMPLETED)
        return True


def _keep_last(p: Pass, loop: Task, n: int, output: JSON) -> None:
    """``keepLastN``: drop outputs and records of passes older than the last N (docs/reference.md#do_while)."""
    keep = loop.get("inputData", {}).get("keepLastN")
    if not isinstance(keep, int) or isinstance(keep, bool) or keep <= 0 or n <= keep:
        return
    last_old = n - keep
    for k in range(1, last_old + 1):
        output.pop(str(k), None)
    base = loop["workflowTask"].get("taskReferenceName", "")
    own = _groups(loop["referenceTaskName"][len(base) :])
    depth = len(own)
    body = frozenset(p.graph.loop_body_refs.get(base, ()))
    seq = loop.get("seq", 0)
    doomed: set[str] = set()
    for t in p.state.tasks:
        ref = t["referenceTaskName"]
        b = strip_iteration(ref)
        if b not in body and (p.graph.node(b) is not None or t.get("seq", 0) <= seq):
            continue  # neither a body node nor a dynamic task forked inside this loop
        groups = _groups(ref[len(b) :])
        if len(groups) > depth and groups[:depth] == own and int(groups[depth]) <= last_old:
            doomed.add(t["taskId"])
    if not doomed:
        return
    p.state.tasks[:] = [t for t in p.state.tasks if t["taskId"] not in doomed]
    p.out.new_tasks[:] = [t for t in p.out.new_tasks if t["taskId"] not in doomed]
    for task_id in doomed:
        p.out.dirty.pop(task_id, None)
    p.out.deleted_task_ids.extend(sorted(doomed))
    p.invalidate()
