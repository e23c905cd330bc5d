"""Group commit scheduling (service/durability.py), on a real event loop with a stand-in store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from podium.service.durability import CommitBarrier


class _Store:
    def __init__(self) -> None:
        self.uncommitted = False
        self.commits = 0

    def enable_group_commit(self, on_pending: Callable[[], None]) -> None:
        pass

    def commit(self) -> None:
        self.uncommitted = False
        self.commits += 1


async def _turns_until(barrier: CommitBarrier, store: _Store, waiters: int) -> int:
    """Finish ``waiters`` units now; return how many loop turns pass before their commit."""
    store.uncommitted = True
    before = store.commits
    pending = [asyncio.ensure_future(barrier.wait()) for _ in range(waiters)]
    barrier.on_pending()
    turns = 0
    while store.commits == before:
        await asyncio.sleep(0)
        turns += 1
    await asyncio.gather(*pending)
    return turns


def test_busy_server_lets_more_loop_turns_join_the_commit() -> None:
    async def scenario() -> list[int]:
        store = _Store()
        barrier = CommitBarrier(store)
        barrier.bind(asyncio.get_running_loop())
        return [
            await _turns_until(barrier, store, 1),  # lone request: committed on the next turn
            await _turns_until(barrier, store, 3),  # still quiet before it: next turn
            await _turns_until(barrier, store, 6),  # the last commit covered 3: one turn more
            await _turns_until(barrier, store, 1),  # the last covered 6: two turns more
            await _turns_until(barrier, store, 1),  # the last one was alone again: next turn
        ]

    turns = asyncio.run(scenario())
    assert turns[0] == turns[1] == turns[4]
    assert turns[2] == turns[0] + 1
    assert turns[3] == turns[0] + 2
