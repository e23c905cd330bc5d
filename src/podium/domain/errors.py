"""One error hierarchy. It knows nothing of HTTP: ``podium.api.errors`` maps each class to a status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One entry of ErrorResponse.validationErrors."""

    path: str
    message: str
    invalid_value: Any = None


class PodiumError(Exception):
    """Base of every error the service layer raises on purpose."""

    retryable: bool = False  # a transient failure: the same request may succeed later

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PodiumError):
    """The entity named by the request does not exist."""


class Conflict(PodiumError):
    """The request conflicts with the current state."""


class InvalidArgument(PodiumError):
    """The request is malformed or violates a rule."""


class ValidationFailed(InvalidArgument):
    """A definition or request failed validation; ``errors`` says where."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("Validation failed, check below errors for detail.")
        self.errors = errors


class IllegalState(PodiumError):
    """The operation is not allowed in the entity's current state (Conductor treats it as a server error)."""


class PayloadTooLarge(PodiumError):
    """The request body is over the configured limit."""


class Unauthorized(PodiumError):
    """No valid token: missing, malformed, tampered, revoked (``INVALID_TOKEN``) or expired (``EXPIRED_TOKEN``).

    ``code`` travels as the error body's ``error``, which the SDKs read to fetch a new token once."""

    def __init__(self, message: str, code: str = "INVALID_TOKEN") -> None:
        super().__init__(message)
        self.code = code


class Forbidden(PodiumError):
    """A valid token whose role (or task types) does not allow the request."""

    code = "FORBIDDEN"


class BackendUnavailable(PodiumError):
    """The store cannot be reached right now (retryable)."""

    retryable = True
