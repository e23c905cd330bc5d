"""One error hierarchy; the API maps each class to an HTTP status and Conductor's error body."""

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

    status: int = 500
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PodiumError):
    """The entity named by the request does not exist (404)."""

    status = 404


class Conflict(PodiumError):
    """The request conflicts with the current state (409)."""

    status = 409


class InvalidArgument(PodiumError):
    """The request is malformed or violates a rule (400)."""

    status = 400


class ValidationFailed(InvalidArgument):
    """A definition or request failed validation (400 with validationErrors)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("Validation failed, check below errors for detail.")
        self.errors = errors


class IllegalState(PodiumError):
    """The operation is not allowed in the entity's current state (500, as Conductor answers)."""

    status = 500


class PayloadTooLarge(PodiumError):
    """The request body is over the configured limit (413)."""

    status = 413


class BackendUnavailable(PodiumError):
    """The store cannot be reached right now (503, retryable)."""

    status = 503
    retryable = True
