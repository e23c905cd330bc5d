"""The one mapping from errors to HTTP status and Conductor's ErrorResponse body (SPEC §6)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from podium.api.responses import json_response
from podium.domain.errors import PodiumError, ValidationFailed

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


def install_error_handlers(app: FastAPI, instance: str) -> None:
    """Register handlers so every failure answers with Conductor's error body."""

    async def podium_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PodiumError)
        validation = None
        if isinstance(exc, ValidationFailed):
            validation = [
                {
                    "path": e.path,
                    "message": e.message,
                    **({"invalidValue": e.invalid_value} if e.invalid_value is not None else {}),
                }
                for e in exc.errors
            ]
        return json_response(
            error_body(exc.status, exc.message, instance, retryable=exc.retryable, validation=validation),
            status=exc.status,
        )

    async def request_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errs = [
            {"path": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return json_response(
            error_body(400, "Validation failed, check below errors for detail.", instance, validation=errs), status=400
        )

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return json_response(error_body(exc.status_code, str(exc.detail), instance), status=exc.status_code)

    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return json_response(error_body(500, f"{type(exc).__name__}: {exc}", instance), status=500)

    app.add_exception_handler(PodiumError, podium_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
