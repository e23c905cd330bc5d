"""Time and identity sources, injected so tests control them."""

from __future__ import annotations

import os
import random
import time
from typing import Protocol


class Clock(Protocol):
    """Milliseconds since the epoch."""

    def now(self) -> int: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to (tests, the in-process test kit)."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.t = start

    def now(self) -> int:
        return self.t

    def advance(self, ms: int) -> None:
        self.t += ms


_rng = random.Random()


def _reseed() -> None:
    _rng.seed(os.urandom(32))


_reseed()
os.register_at_fork(after_in_child=_reseed)
_bits = _rng.getrandbits


def new_id() -> str:
    """A time-ordered UUID (version 7: 48 bits of epoch milliseconds, then 74 random bits).

    Clients see an ordinary UUID string, as Conductor hands out. Ids made close in time sort close
    together, so new rows land on the same few index pages however large the store grows, where
    random (version 4) ids would touch a different page of every index for every insert.
    """
    return id_at(time.time_ns() // 1_000_000)


def id_at(ms: int) -> str:
    """The id ``new_id`` would have made at epoch millisecond ``ms``."""
    tail = f"{0x8000000000000000 | _bits(62):016x}"  # the RFC 9562 variant bits, then 62 random bits
    return f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{_bits(12):03x}-{tail[:4]}-{tail[4:]}"
