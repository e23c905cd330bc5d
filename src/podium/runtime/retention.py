"""The retention loop: now and then, remove ended workflows past their retention (``service.retention``)."""

from __future__ import annotations

import asyncio
import logging

from podium.domain.settings import Settings
from podium.service.container import Services
from podium.service.durability import CommitBarrier
from podium.service.retention import RetentionService, run_batches

log = logging.getLogger("podium.retention")

# Batches per pass; a longer backlog drains over the next passes.
MAX_BATCHES = 50
# After each batch the loop leaves the event loop to requests for at least this long, and long enough
# that retention holds it at most SHARE of the time (service.retention.run_batches).
PAUSE_S = 0.01
SHARE = 0.2


def service_of(svc: Services, settings: Settings) -> RetentionService:
    return RetentionService(svc.engine, settings.retention_seconds, settings.retention_batch)


async def retention_loop(svc: Services, settings: Settings, barrier: CommitBarrier | None) -> None:
    """Run a retention pass every ``retention_interval_ms`` (at once again while a backlog remains)."""
    service = service_of(svc, settings)
    while True:
        removed: list[str] = []
        try:
            removed = await run_batches(service, barrier, MAX_BATCHES, PAUSE_S, SHARE)
            if removed:
                log.info("retention removed %d ended workflows", len(removed))
        except Exception:
            log.exception("retention pass failed")
        full = len(removed) >= MAX_BATCHES * service.batch
        await asyncio.sleep(PAUSE_S if full else settings.retention_interval_ms / 1000.0)
