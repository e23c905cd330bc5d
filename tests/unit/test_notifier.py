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
