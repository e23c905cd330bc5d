"""The firing loop of workflow schedules: one timer for all of them.

It sleeps until the earliest next run time of the schedules not paused (one indexed read), fires what is
due, and sleeps again. A schedule saved, paused, resumed or deleted — here, or on another PostgreSQL node
(the peer notification) — wakes it early to re-read the earliest time; it also re-reads now and then
(``RECHECK_MS``) in case a change reached the database some other way. Between fires it costs nothing.

Several nodes run this loop on one database: they race for each fire, and the store's unique
(schedule, scheduled time) row lets one of them win (``service.schedule_fires.fire``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from podium.service.container import Services
from podium.service.schedule_fires import PRUNE_BATCH

log = logging.getLogger("podium.scheduler")

# How often old execution records are dropped.
PRUNE_EVERY_S = 3600
# The longest sleep without re-reading the earliest fire time.
RECHECK_MS = 30_000
# After a failed pass (the database away), try again this soon.
RETRY_MS = 1000
# The loop holds the event loop at most this long before letting requests run.
SLICE_S = 0.02


async def scheduler_loop(svc: Services, recheck_ms: int = RECHECK_MS, history_days: int = 30) -> None:
    """Fire schedules on time, forever; once an hour, drop execution records older than ``history_days``
    (0: keep them)."""
    loop = asyncio.get_running_loop()
    pruned_at = time.monotonic() - PRUNE_EVERY_S + 60  # the first pruning a minute after start
    wake = asyncio.Event()

    def changed() -> None:
        loop.call_soon_threadsafe(wake.set)

    scheduler = svc.scheduler
    scheduler.on_change(changed)
    while True:
        wake.clear()
        if history_days > 0 and time.monotonic() - pruned_at >= PRUNE_EVERY_S:
            pruned_at = time.monotonic()
            try:
                while scheduler.prune(history_days * 86_400_000) >= PRUNE_BATCH:
                    await asyncio.sleep(0)  # a backlog goes batch by batch, requests in between
            except Exception:
                log.exception("pruning schedule executions failed")
        try:
            await fire_pass(svc)
            earliest = scheduler.earliest()
        except Exception:
            log.exception("scheduler pass failed")
            earliest = svc.clock.now() + RETRY_MS
        delay_ms = recheck_ms if earliest is None else min(max(earliest - svc.clock.now(), 0), recheck_ms)
        if delay_ms <= 0:
            await asyncio.sleep(0)
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), delay_ms / 1000.0)


async def fire_pass(svc: Services) -> int:
    """Fire everything due now, in batches that leave the event loop to requests in between; returns how
    many fires were attempted."""
    scheduler = svc.scheduler
    total = 0
    started = time.monotonic()
    while True:
        n = scheduler.run_due(limit=1)
        total += n
        if n == 0:
            return total
        if time.monotonic() - started > SLICE_S:
            await asyncio.sleep(0)
            started = time.monotonic()
