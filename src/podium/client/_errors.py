"""Client errors, with the one rule for what is worth retrying."""

from __future__ import annotations

from typing import Any

# Statuses that say "try again later" rather than "this request is wrong".
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class PodiumClientError(Exception):
    """Base class of every error the client raises."""


class ApiError(PodiumClientError):
    """The server answered with an error status.

    ``status`` is the HTTP status, ``message`` the server's message (Conductor's ErrorResponse
    ``message`` when the body is one), ``body`` the decoded body (or raw text).
    """

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.body = body

    @property
    def transient(self) -> bool:
        """True when repeating the same request later may succeed (5xx, 408, 429)."""
        if isinstance(self.body, dict) and self.body.get("retryable") is True:
            return True
        return self.status in _TRANSIENT_STATUS


class ServerUnavailable(PodiumClientError):
    """The server could not be reached or did not answer in time (connection refused, reset, timeout)."""


def is_transient(exc: BaseException) -> bool:
    """True for failures that a retry with back-off may overcome."""
    if isinstance(exc, ServerUnavailable):
        return True
    return isinstance(exc, ApiError) and exc.transient
