"""The one mapping from errors to HTTP status, and the one builder of Conductor's ErrorResponse body
(docs/compatibility.md).

Every error answer of the server (routes, the fast lane, the durability barrier) is made here, so they all
have the same shape: ``{status, message, instance, retryable[, validationErrors]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from podium.api.responses import json_response
from podium.domain.errors import (
    BackendUnavailable,
    Conflict,
    FieldError,
    Forbidden,
    IllegalState,
    InvalidArgument,
    NotFound,
    PayloadTooLarge,
    PodiumError,
    Unauthorized,
    ValidationFailed,
)

log = logging.getLogger("podium.api")

# Looked up along the class's MRO, so a subclass answers with its nearest mapped base's status.
STATUS: Final[dict[type[PodiumError], int]] = {
    InvalidArgument: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    # Conductor answers 500 (IllegalStateException), e.g. to resuming a workflow that is not PAUSED; a refusal
    # in the wrong state is not a server error, so Podium answers 409 with the same body.
    IllegalState: 409,
    BackendUnavailable: 503,
}


def status_of(exc: BaseException) -> int:
    """The HTTP status an error answers with (500 for anything not mapped)."""
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 400
    for cls in type(exc).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return 500


def error_body(exc: BaseException, instance: str) -> dict[str, Any]:
    """Conductor's ErrorResponse for any error: ours, the framework's, or an unexpected one."""
    if isinstance(exc, RequestValidationError):  # the framework's 400: the same shape as ours
        exc = request_validation_failed(exc.errors())
    validation: list[dict[str, Any]] | None = None
    retryable = False
    if isinstance(exc, PodiumError):
        message = exc.message
        retryable = exc.retryable
        if isinstance(exc, ValidationFailed):
            validation = [
                {
                    "path": e.path,
                    "message": e.message,
                    **({"invalidValue": e.invalid_value} if e.invalid_value is not None else {}),
                }
                for e in exc.errors
            ]
    elif isinstance(exc, StarletteHTTPException):
        message = str(exc.detail)
    else:
        message = f"{type(exc).__name__}: {exc}"
    body: dict[str, Any] = {"status": status_of(exc), "message": message, "instance": instance, "retryable": retryable}
    if validation is not None:
        body["validationErrors"] = validation
    if isinstance(exc, (Unauthorized, Forbidden)):
        body["error"] = exc.code  # what the SDKs read to decide on one token refresh
    return body


def request_validation_failed(errors: Sequence[Mapping[str, Any]]) -> ValidationFailed:
    """Our error for FastAPI-style request-validation errors (``loc``/``msg`` entries): a 400 with validationErrors."""
    return ValidationFailed(
        [FieldError(".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", ""))) for e in errors]
    )


def error_response(exc: BaseException, instance: str) -> Response:
    """The whole error answer for ``exc``; an error we did not raise on purpose is logged."""
    if not isinstance(exc, (PodiumError, StarletteHTTPException, RequestValidationError, ClientDisconnect)):
        log.error("unhandled error", exc_info=exc)
    return json_response(error_body(exc, instance), status=status_of(exc))


def install_error_handlers(
    app: FastAPI, instance: str, not_found_page: Callable[[Request], Response | None] | None = None
) -> None:
    """Register handlers so every failure answers with Conductor's error body.

    ``not_found_page`` may answer an unmatched path instead (the web UI's own not-found page for a
    browser asking for a page); when it returns None the JSON body is sent.
    """

    async def handle(request: Request, exc: Exception) -> Response:
        if not_found_page is not None and isinstance(exc, StarletteHTTPException) and exc.status_code == 404:
            page = not_found_page(request)
            if page is not None:
                return page
        return error_response(exc, instance)

    for kind in (PodiumError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handle)
