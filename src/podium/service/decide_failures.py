"""Poison workflows: a decide pass that raises is retried with back-off a bounded number of times, then
the workflow is FAILED with the error as its reason (issue #12).

The failed pass itself was rolled back with its unit, so nothing of it is stored; what is stored, in a
unit of its own, is the count of failures in a row (``Store.record_decide_failure``, kept per workflow so
it survives restarts and is shared by nodes) and the next check that retries it after the back-off.
"""

from __future__ import annotations

import logging

from podium.decider.lifecycle import end_workflow
from podium.decider.passes import Pass
from podium.domain import statuses as st
from podium.domain.errors import BackendUnavailable
from podium.logs import about
from podium.service.engine import Engine

log = logging.getLogger("podium.sweeper")

# The back-off stops doubling here (about 17 minutes at the default first back-off).
MAX_DOUBLINGS = 10


def describe(error: BaseException) -> str:
    """``Type: message``, one line, short enough for a log line and a reason."""
    text = " ".join((getattr(error, "message", None) or str(error)).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def backoff_ms(engine: Engine, failures: int) -> int:
    """The wait after the ``failures``-th failure in a row: the first back-off, doubled each time."""
    return int(engine.limits.decide_backoff_ms << min(max(failures - 1, 0), MAX_DOUBLINGS))


def decide_failed(engine: Engine, workflow_id: str, error: BaseException) -> None:
    """Record a failed decide of a workflow: schedule its retry, or FAIL it once the attempts are spent.

    Logs one line per failure; the traceback only at debug level, and only for the first failure.
    """
    limits = engine.limits
    with engine.unit() as unit:
        store = unit.store
        wf = store.get_workflow(workflow_id)
        if wf is None or st.workflow_terminal(wf["status"]):
            if wf is not None:
                store.set_next_check(workflow_id, None)
            return
        failures = store.record_decide_failure(workflow_id, int(wf.get("updateTime") or 0))
        if failures < limits.decide_attempts:
            wait = backoff_ms(engine, failures)
            store.set_next_check(workflow_id, unit.clock.now() + wait)
    what = describe(error)
    if failures < limits.decide_attempts:
        log.warning(
            "decide of workflow %s failed (%d of %d attempts), retrying in %d ms: %s",
            workflow_id, failures, limits.decide_attempts, wait, what, extra=about(workflow_id),
        )  # fmt: skip
        if failures == 1 and log.isEnabledFor(logging.DEBUG):
            log.debug("first decide failure of workflow %s", workflow_id, exc_info=error, extra=about(workflow_id))
        return
    reason = (
        f"Workflow decide failed {failures} times in a row "
        f"(PODIUM_LIMIT_DECIDE_ATTEMPTS={limits.decide_attempts}); last error: {what}"
    )
    log.warning(
        "decide of workflow %s failed %d times; failing the workflow: %s", workflow_id, failures, what,
        extra=about(workflow_id),
    )  # fmt: skip
    fail_workflow(engine, workflow_id, reason)


def fail_workflow(engine: Engine, workflow_id: str, reason: str) -> None:
    """FAIL a workflow without deciding it: its pending tasks are cancelled, its parent is told and its
    failure workflow started as for any failure. Should those follow-ups fail too, it is failed alone."""
    for follow_ups in (True, False):
        try:
            with engine.unit() as unit:
                state = unit.load(workflow_id)
                if st.workflow_terminal(state.workflow["status"]):
                    return
                p = Pass(state, unit.engine.env, unit.clock.now())
                end_workflow(p, st.FAILED, reason, failure_workflow=follow_ups, output=None if follow_ups else {})
                if not follow_ups:
                    p.out.effects = []
                unit.persist(state, p.out)
                unit.store.clear_decide_failures(workflow_id)
            return
        except BackendUnavailable:
            raise
        except Exception as e:
            if not follow_ups:
                raise
            log.warning(
                "failing workflow %s with its follow-ups failed (%s); failing it alone", workflow_id, describe(e),
                extra=about(workflow_id),
            )  # fmt: skip
