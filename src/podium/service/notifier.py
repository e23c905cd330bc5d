"""Wakes long-polling workers when a queue gets work: an in-process signal, no database polling."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Callable

log = logging.getLogger("podium.notifier")

# With other nodes (a shared store): a fresh claim on a channel is followed by one look after this long
# (a commit decided before the other nodes heard the claim wakes nobody), and claims on the channels
# waited on are renewed this often.
CLAIM_SETTLE_S = 0.05
CLAIM_RENEW_S = 0.2


class QueueNotifier:
    """One set of waiting futures per queue name, living on the server's event loop."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Future[None]]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        # Queues notified from other threads (other nodes' pushes), woken on the loop in one callback.
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._drain_scheduled = False
        # With other nodes: tells them this node waits on a channel; True for a fresh claim (see
        # ``PeerNotification.want_wakes``). None: every change wakes every node, nothing to claim.
        self.want: Callable[[str], bool] | None = None
        self._renewing = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the loop that serves requests (called at server start-up)."""
        self._loop = loop

    def waiter(self, queue: str) -> asyncio.Future[None]:
        """A future resolved the next time ``queue`` is notified."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters[queue].add(fut)
        if self.want is not None:
            self._claim(queue)
        return fut

    def _claim(self, channel: str) -> None:
        """Claim ``channel`` for the other nodes' wakes; after a fresh claim, look once more shortly."""
        assert self.want is not None and self._loop is not None
        try:
            fresh = self.want(channel)
        except Exception:  # a claim never fails a wait: look again shortly instead
            log.warning("could not claim %s for wake-ups", channel, exc_info=True)
            fresh = True
        loop = self._loop
        if fresh:
            loop.call_later(CLAIM_SETTLE_S, self._wake, channel)
        if not self._renewing:
            self._renewing = True
            loop.call_later(CLAIM_RENEW_S, self._renew)

    def _renew(self) -> None:
        """Keep the claims of the channels still waited on alive (the store renews them at half-life)."""
        self._renewing = False
        for channel in list(self._waiters):
            self._claim(channel)

    async def wait_any(self, channels: list[str], timeout: float) -> None:
        """Wait until any of ``channels`` is notified, or ``timeout`` seconds pass."""
        futs = [self.waiter(c) for c in channels]
        try:
            await asyncio.wait(futs, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for c, f in zip(channels, futs, strict=True):
                self.discard(c, f)
                f.cancel()

    def discard(self, queue: str, fut: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(queue)
        if waiters is not None:
            waiters.discard(fut)
            if not waiters:
                del self._waiters[queue]

    def notify(self, queue: str, delay_ms: int = 0) -> None:
        """Wake the waiters of ``queue`` now, or when a delayed message becomes due."""
        loop = self._loop
        if loop is None:
            return
        if delay_ms > 0:
            if loop.is_closed():
                return
            loop.call_soon_threadsafe(loop.call_later, delay_ms / 1000.0, self._wake, queue)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake(queue)
            return
        if loop.is_closed():
            return
        # From another thread the waiters are looked at on the loop: a poll that has just found the queue
        # empty may be about to wait, and looking here could miss it (the worker would wait a whole long poll).
        with self._lock:
            self._pending.append(queue)
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._drain_scheduled = False
        for queue in pending:
            self._wake(queue)

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the server's loop (from any thread); at once while no loop is bound."""
        loop = self._loop
        if loop is None or loop.is_closed():
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def _wake(self, queue: str) -> None:
        waiters = self._waiters.pop(queue, None)
        if not waiters:
            return
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def waiting(self, queue: str) -> int:
        """How many pollers wait on a queue (for metrics and tests)."""
        return len(self._waiters.get(queue, ()))
