"""The one mapping from errors to HTTP status and Conductor's ErrorResponse body (SPEC §6)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from podium.api.responses import json_response
from podium.domain.errors import FieldError, PodiumError, ValidationFailed

log = logging.getLogger("podium.api")


def error_body(
    status: int, message: str, instance: str, *, retryable: bool = False, validation: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "message": message, "instance": instance, "retryable": retryable}
    if validation is not None:
        body["validationErrors"] = validation
    return body


def validation_list(exc: PodiumError) -> list[dict[str, Any]] | None:
    """The validationErrors entries of an error, or None when it has none."""
    if not isinstance(exc, ValidationFailed):
        return None
    return [
        {
            "path": e.path,
            "message": e.message,
            **({"invalidValue": e.invalid_value} if e.invalid_value is not None else {}),
        }
        for e in exc.errors
    ]


def podium_error_response(exc: PodiumError, instance: str) -> Response:
    """Conductor's error body for one of our errors."""
    body = error_body(exc.status, exc.message, instance, retryable=exc.retryable, validation=validation_list(exc))
    return json_response(body, status=exc.status)


def unexpected_error_response(exc: Exception, instance: str) -> Response:
    """The 500 answer to an error nobody raised on purpose (the caller logs it)."""
    return json_response(error_body(500, f"{type(exc).__name__}: {exc}", instance), status=500)


def request_validation_failed(errors: Sequence[Mapping[str, Any]]) -> ValidationFailed:
    """Our error for FastAPI's request-validation errors (``loc``/``msg`` entries): a 400 with validationErrors."""
    return ValidationFailed(
        [FieldError(".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", ""))) for e in errors]
    )


def install_error_handlers(app: FastAPI, instance: str) -> None:
    """Register handlers so every failure answers with Conductor's error body."""

    async def podium_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PodiumError)
        return podium_error_response(exc, instance)

    async def request_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return podium_error_response(request_validation_failed(exc.errors()), instance)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return json_response(error_body(exc.status_code, str(exc.detail), instance), status=exc.status_code)

    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return unexpected_error_response(exc, instance)

    app.add_exception_handler(PodiumError, podium_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
