"""Event handler limits (issue #12): a per-handler rate limit on actions. (The chain-depth limit on
workflows started by events lives with the start action, ``EventService._chain_depth``.)"""

from __future__ import annotations

import logging

from podium.service import metrics

log = logging.getLogger("podium.events")


class ActionRateLimit:
    """At most ``per_second`` actions per handler in each second of the clock (on this node); the rest
    are dropped, counted in ``event_action_refused{reason="rate_limit"}``, and logged once a second."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._windows: dict[str, tuple[int, int]] = {}

    def allow(self, handler: str, now: int) -> bool:
        second = now // 1000
        window, used = self._windows.get(handler, (second, 0))
        if window != second:
            window, used = second, 0
        self._windows[handler] = (window, used + 1)
        if used < self.per_second:
            return True
        metrics.count(metrics.EVENT_ACTION_REFUSED, handler, "rate_limit")
        if used == self.per_second:
            log.warning(
                "event handler %s ran %d actions this second (PODIUM_LIMIT_EVENT_ACTIONS_PER_SECOND); "
                "dropping the rest of this second's",
                handler, self.per_second,
            )  # fmt: skip
        return False
