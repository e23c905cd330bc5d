"""Which channels other nodes wait on (``postgres.interest``): claims, leases, and the safe defaults."""

from __future__ import annotations

from podium.store.postgres.interest import Interest


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_every_channel_is_wanted_until_the_listener_has_heard_a_whole_lease() -> None:
    clock = Clock()
    interest = Interest(lease_s=3.0, clock=clock)
    assert interest.wanted("q")  # not listening yet: claims cannot be heard
    interest.listening()
    clock.now += 2.9
    assert interest.wanted("q")  # a claim made before it listened may not be renewed yet
    clock.now += 0.2
    assert not interest.wanted("q")
    interest.not_listening()  # the listener lost its connection
    assert interest.wanted("q")


def test_a_heard_claim_lasts_one_lease() -> None:
    clock = Clock()
    interest = Interest(lease_s=3.0, clock=clock)
    interest.listening()
    clock.now += 5
    interest.heard("q")
    clock.now += 2.9
    assert interest.wanted("q") and not interest.wanted("other")
    clock.now += 0.2
    assert not interest.wanted("q")


def test_own_claims_are_announced_fresh_then_renewed_at_half_life() -> None:
    clock = Clock()
    interest = Interest(lease_s=3.0, clock=clock)
    assert interest.claim("q") == (True, True)
    clock.now += 1.0
    assert interest.claim("q") == (False, False)  # more than half the lease left
    clock.now += 0.6
    assert interest.claim("q") == (True, False)  # renewed before it lapsed: not fresh
    clock.now += 3.1
    assert interest.claim("q") == (True, True)  # lapsed: the others may have forgotten it
    interest.unclaim("q")
    assert interest.claim("q") == (True, True)
