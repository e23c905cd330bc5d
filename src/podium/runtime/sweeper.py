"""Background loops: the sweeper (timeouts, delays, stuck workflows, free-text indexing), poll-data flushing
and queue compaction."""

from __future__ import annotations

import asyncio
import logging
import time

from podium.domain.errors import BackendUnavailable
from podium.logs import about
from podium.service.container import Services
from podium.service.decide_failures import MAX_DOUBLINGS, backoff_ms, decide_failed, describe
from podium.store.protocols import FreeTextIndexer, QueueCompactor

log = logging.getLogger("podium.sweeper")

BATCH = 200
# Free-text indexing (SQLite): workflows per transaction (~50 us each, so a batch holds the event loop
# for ~10 ms; each transaction also pays a fixed cost to write the batch's trigrams, so much smaller
# batches cost more per workflow), and at most this many per pass: a backlog after an upgrade or a bulk
# load drains over the next passes.
INDEX_BATCH = 200
INDEX_PER_PASS = 2000
# The sweeper gives the event loop back to requests after holding it this long.
SLICE_S = 0.02
AGAIN_AFTER_S = 0.005


def sweep_once(svc: Services) -> int:
    """Decide every workflow whose next check is due; returns how many were decided."""
    due = svc.store.due_workflows(svc.clock.now(), BATCH)
    for wid in due:
        sweep_one(svc, wid)
    return len(due)


def sweep_one(svc: Services, workflow_id: str) -> None:
    """Decide one due workflow; a decide that fails is retried with back-off, then the workflow FAILED."""
    try:
        svc.engine.decide(workflow_id)
    except BackendUnavailable:
        raise  # the database is away: keep every check for the next pass
    except Exception as e:
        try:
            decide_failed(svc.engine, workflow_id, e)
        except BackendUnavailable:
            raise
        except Exception as again:
            # Even failing it failed: look again much later rather than every pass.
            log.error("workflow %s could not be failed: %s", workflow_id, describe(again), extra=about(workflow_id))
            with svc.store.transaction():
                svc.store.set_next_check(workflow_id, svc.clock.now() + backoff_ms(svc.engine, MAX_DOUBLINGS + 1))


async def sweep_pass(svc: Services) -> int:
    """``sweep_once`` that leaves the event loop to requests whenever it has held it for a slice."""
    due = svc.store.due_workflows(svc.clock.now(), BATCH)
    started = time.monotonic()
    for wid in due:
        sweep_one(svc, wid)
        if time.monotonic() - started > SLICE_S:
            await asyncio.sleep(0)
            started = time.monotonic()
    return len(due)


async def index_free_text(svc: Services) -> int:
    """Index ended workflows not indexed yet for free-text search, in short transactions that leave the
    event loop to requests in between; returns how many were indexed (0 for stores without an index)."""
    store = svc.store
    if not isinstance(store, FreeTextIndexer):
        return 0
    done = 0
    while done < INDEX_PER_PASS:
        n = store.index_free_text(INDEX_BATCH)
        done += n
        if n < INDEX_BATCH:
            break
        await asyncio.sleep(0)
    return done


async def sweeper_loop(svc: Services, interval_ms: int) -> None:
    """Run the sweeper forever; a full batch runs the next one at once."""
    while True:
        try:
            n = await sweep_pass(svc)
        except Exception:
            log.exception("sweeper pass failed")
            n = 0
        try:
            await index_free_text(svc)
        except Exception:
            log.exception("free-text indexing failed")
        if n >= BATCH:
            await asyncio.sleep(0)
        elif n > 0 and svc.store.due_workflows(svc.clock.now(), 1):
            # Due again at once (a long loop continues pass by pass, issue #12): soon, but only after
            # waiting requests have had a few milliseconds to be read and answered.
            await asyncio.sleep(AGAIN_AFTER_S)
        else:
            await asyncio.sleep(interval_ms / 1000.0)


async def poll_data_loop(svc: Services, interval_ms: int) -> None:
    """Persist poll data changes in batches."""
    while True:
        await asyncio.sleep(interval_ms / 1000.0)
        try:
            svc.poll_data.flush()
        except Exception:
            log.exception("poll data flush failed")


async def revocation_loop(svc: Services, interval_ms: int) -> None:
    """Re-read the revoked keys now and then: a key revoked on the database by ``podium keys revoke``
    while this server runs is refused within a second (PostgreSQL nodes also hear it pushed at once)."""
    while True:
        await asyncio.sleep(interval_ms / 1000.0)
        try:
            svc.auth.reload_revoked()
        except Exception:
            log.exception("re-reading the revoked keys failed")


async def queue_compaction_loop(svc: Services, interval_ms: int) -> None:
    """Compact the task queue table every ``interval_ms`` if the store needs it, on a worker thread (the
    pass waits on the database); a database that is away is tried again at the next pass. Ends when the
    store says it may not compact."""
    store = svc.store
    if not isinstance(store, QueueCompactor) or interval_ms <= 0:
        return
    interval_s = delay = interval_ms / 1000.0
    while True:
        await asyncio.sleep(delay)
        started = time.monotonic()
        try:
            if not await asyncio.to_thread(store.compact_queues):
                return
        except BackendUnavailable as e:
            log.debug("queue compaction skipped: %s", e)
        except Exception:
            log.exception("queue compaction failed")
        delay = compaction_delay(interval_s, time.monotonic() - started)


# Queue compaction takes at most this share of the time: a pass that took long (a queue of millions,
# whose indexes a vacuum reads whole) is followed by a longer pause.
COMPACTION_SHARE = 0.05


def compaction_delay(interval_s: float, took_s: float) -> float:
    """Seconds until the next compaction: the interval, or longer after a long pass."""
    return max(interval_s, took_s / COMPACTION_SHARE)
