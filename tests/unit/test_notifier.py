"""The queue notifier: wakes long polls, including from another node's notification thread."""

from __future__ import annotations

import asyncio
import threading

from podium.service.notifier import QueueNotifier


def test_a_push_from_another_thread_wakes_a_poll_that_starts_waiting_meanwhile() -> None:
    """The notification thread must not decide alone that nobody waits: a poll that has just found the
    queue empty is about to wait on the loop, and is woken once the loop runs."""

    async def scenario() -> bool:
        notifier = QueueNotifier()
        notifier.bind(asyncio.get_running_loop())
        other = threading.Thread(target=notifier.notify, args=("work",))
        other.start()
        other.join()  # pushed while no poll waited yet
        fut = notifier.waiter("work")  # the poll that found nothing starts waiting
        try:
            await asyncio.wait_for(fut, 5)
        except TimeoutError:
            return False
        return True

    assert asyncio.run(scenario())


def test_pushes_from_other_threads_wake_each_queue_and_leave_others_waiting() -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        notifier = QueueNotifier()
        notifier.bind(asyncio.get_running_loop())
        a, b, c = notifier.waiter("a"), notifier.waiter("b"), notifier.waiter("c")
        threads = [threading.Thread(target=notifier.notify, args=(q,)) for q in ("a", "b", "a")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        await asyncio.wait_for(asyncio.gather(a, b), 5)
        await asyncio.sleep(0)
        return a.done(), b.done(), c.done()

    assert asyncio.run(scenario()) == (True, True, False)


def test_waiting_claims_the_channel_and_a_fresh_claim_looks_again_shortly(monkeypatch: object) -> None:
    """With other nodes, a wait claims its channel (so their commits wake this node); a fresh claim may
    have crossed a commit that woke nobody, so its waiters are woken once more after a short settle."""
    import podium.service.notifier as mod

    async def scenario() -> tuple[list[str], bool, bool]:
        notifier = QueueNotifier()
        notifier.bind(asyncio.get_running_loop())
        claims: list[str] = []
        fresh = {"q": True, "r": False}

        def want(channel: str) -> bool:
            claims.append(channel)
            return fresh[channel]

        notifier.want = want
        woken_q = notifier.waiter("q")
        woken_r = notifier.waiter("r")
        await asyncio.sleep(mod.CLAIM_SETTLE_S * 4)
        return claims, woken_q.done(), woken_r.done()

    claims, woken_q, woken_r = asyncio.run(scenario())
    assert claims[:2] == ["q", "r"]
    assert woken_q  # the fresh claim looked again
    assert not woken_r  # a renewed claim did not


def test_claims_are_renewed_while_a_wait_lasts() -> None:
    import podium.service.notifier as mod

    async def scenario() -> list[str]:
        notifier = QueueNotifier()
        notifier.bind(asyncio.get_running_loop())
        claims: list[str] = []
        notifier.want = lambda channel: claims.append(channel) is not None  # never fresh
        fut = notifier.waiter("q")
        deadline = asyncio.get_running_loop().time() + 10
        while len(claims) < 3 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(mod.CLAIM_RENEW_S / 4)
        notifier.discard("q", fut)
        return claims

    assert asyncio.run(scenario())[:3] == ["q", "q", "q"]
