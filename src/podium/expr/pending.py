"""The signal that an evaluation of user code has not finished yet (it goes on elsewhere)."""

from __future__ import annotations


class EvaluationPending(BaseException):
    """A script or jq program is still running in an evaluator process; its result comes later.

    A ``BaseException``, like ``asyncio.CancelledError``, so that the handlers turning an
    evaluator's errors into task failures (``except Exception``) let it through to the operator
    that asked: that operator leaves its record as it is and the pass asks to be decided again.
    """
