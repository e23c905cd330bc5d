"""Which channels the nodes wait on, so a commit wakes other nodes only where someone waits.

A NOTIFY is not free: the committing backend takes the database's notification lock, every listening
backend runs a transaction to read it, and every other node's listener thread wakes and hands it to
its loop. Under load the queues are rarely empty, so nearly every such wake-up finds no waiting poll.
So each node tells the others what it waits on (a queue, or ``wf:<id>`` for a wait on a workflow):
a claim is a NOTIFY on the metadata channel that lasts ``lease_s``. The waiting node renews it at
half-life for as long as it waits (the notifier asks every fraction of a second), and a node that
heard a claim wakes that channel until it lapses.

Nothing is missed:
* a node that has not heard every claim — before its listener first connects, and for one lease
  after it (re)connects, when claims may have gone unheard — wakes every channel, as before;
* a fresh claim can cross a commit that was decided before the claim arrived, so the claiming node
  looks at the channel once more a little later (``want_wakes`` returns True: the notifier wakes its waiters
  again after a short settle);
* delayed messages (a push due later) always notify: a node may begin to wait after the push but
  before the message is due.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

# How long a claim lasts unless renewed; renewed once less than half of it is left.
LEASE_S = 1.0
# Claims heard beyond this many, the lapsed ones are dropped.
_PRUNE_AT = 4096


class Interest:
    """Claims heard from other nodes, and this node's own claims; safe to share with the listener thread."""

    def __init__(self, lease_s: float = LEASE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.lease_s = lease_s
        self._clock = clock
        self._heard: dict[str, float] = {}  # channel -> until when another node waits on it
        self._every_until = math.inf  # wake every channel until then (not listening yet: forever)
        self._mine: dict[str, float] = {}  # channel -> until when the others believe this node waits
        self._legacy = False  # a node of a version that does not claim shares the database

    # -- what other nodes wait on -----------------------------------------------------------------
    def listening(self) -> None:
        """The listener (re)connected: claims made meanwhile were not heard, so for one lease (by then
        every live claim has been renewed) wake every channel."""
        self._every_until = self._clock() + self.lease_s

    def not_listening(self) -> None:
        """The listener is down: claims cannot be heard, so wake every channel until it is back."""
        self._every_until = math.inf

    def legacy_peers(self, present: bool) -> None:
        """Whether nodes of a version before claims share the database (a rolling upgrade): they never
        claim, so while any runs, every channel wakes."""
        self._legacy = present

    def heard(self, channel: str) -> None:
        """Another node claims ``channel`` (called on the listener's thread)."""
        now = self._clock()
        self._heard = heard = _unlapsed(self._heard, now)
        heard[channel] = now + self.lease_s

    def wanted(self, channel: str) -> bool:
        """Whether a commit touching ``channel`` should wake the other nodes."""
        now = self._clock()
        if self._legacy or now < self._every_until:
            return True
        until = self._heard.get(channel)
        return until is not None and until > now

    # -- what this node waits on --------------------------------------------------------------------
    def claim(self, channel: str) -> tuple[bool, bool]:
        """This node waits on ``channel``: (whether to announce a claim now, whether it is a fresh one)."""
        now = self._clock()
        until = self._mine.get(channel)
        if until is not None and until - now > self.lease_s / 2:
            return False, False
        self._mine = mine = _unlapsed(self._mine, now)
        mine[channel] = now + self.lease_s
        return True, until is None or until <= now

    def unclaim(self, channel: str) -> None:
        """The announcement of a claim failed: the next wait tries again (as a fresh claim)."""
        self._mine.pop(channel, None)


def _unlapsed(leases: dict[str, float], now: float) -> dict[str, float]:
    """``leases`` as it is, or without its lapsed entries once it holds ``_PRUNE_AT`` of them."""
    if len(leases) < _PRUNE_AT:
        return leases
    return {c: t for c, t in leases.items() if t > now}
