"""Background loops: the sweeper (timeouts, delays, stuck workflows) and poll-data flushing."""

from __future__ import annotations

import asyncio
import logging

from podium.domain.errors import BackendUnavailable, PodiumError
from podium.service.container import Services

log = logging.getLogger("podium.sweeper")

BATCH = 200


def sweep_once(svc: Services) -> int:
    """Decide every workflow whose next check is due; returns how many were decided."""
    now = svc.clock.now()
    due = svc.store.due_workflows(now, BATCH)
    for wid in due:
        try:
            svc.engine.decide(wid)
        except BackendUnavailable:
            raise  # the database is away: keep every check for the next pass
        except PodiumError as e:
            log.warning("sweep of %s failed: %s", wid, e.message)
            svc.store.set_next_check(wid, None)
            svc.engine.forget_check(wid)
        except Exception:
            log.exception("sweep of %s failed", wid)
    return len(due)


async def sweeper_loop(svc: Services, interval_ms: int) -> None:
    """Run the sweeper forever; a full batch runs the next one at once."""
    while True:
        try:
            n = sweep_once(svc)
        except Exception:
            log.exception("sweeper pass failed")
            n = 0
        await asyncio.sleep(0 if n >= BATCH else interval_ms / 1000.0)


async def poll_data_loop(svc: Services, interval_ms: int) -> None:
    """Persist poll data changes in batches."""
    while True:
        await asyncio.sleep(interval_ms / 1000.0)
        try:
            svc.poll_data.flush()
        except Exception:
            log.exception("poll data flush failed")
