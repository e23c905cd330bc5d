"""Waking workflows whose scripts answered in the background (see ``podium.sandbox.evaluator``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from podium.domain.errors import NotFound, PodiumError
from podium.logs import about
from podium.service.container import Services

log = logging.getLogger("podium.evaluations")


def waker(svc: Services, loop: asyncio.AbstractEventLoop) -> Callable[[str], None]:
    """``wake(workflow_id)``: decide that workflow again soon, once however many answers arrive."""
    due: set[str] = set()

    def decide_all() -> None:
        wids = list(due)
        due.clear()
        for wid in wids:
            try:
                svc.engine.decide(wid)
            except NotFound:
                pass  # removed meanwhile
            except PodiumError as e:  # the sweeper comes back to it at its next check
                log.warning("deciding %s after a script's answer failed: %s", wid, e.message, extra=about(wid))
            except Exception:
                log.exception("deciding %s after a script's answer failed", wid, extra=about(wid))

    def wake(workflow_id: str) -> None:
        if not due:
            loop.call_soon(decide_all)
        due.add(workflow_id)

    return wake
