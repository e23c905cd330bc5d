"""Fast response helpers: orjson bodies, text/plain ids, empty 204s."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from podium.domain.validation_limits import dumps_any

_JSON = "application/json"


def json_response(content: Any, status: int = 200) -> Response:
    """A JSON body (orjson; non-string dict keys allowed).

    A document stored before the depth limit existed (or deeper than orjson can write) is answered
    with its deepest parts replaced by a note, so one deep execution never breaks a read for others.
    """
    return Response(dumps_any(content, orjson.OPT_NON_STR_KEYS), status_code=status, media_type=_JSON)


def text_response(text: str, status: int = 200) -> Response:
    """A text/plain body, as Conductor answers with ids."""
    return Response(text, status_code=status, media_type="text/plain")


def empty(status: int = 200) -> Response:
    """A body-less response (no Content-Type)."""
    return Response(status_code=status)


NO_CONTENT = 204
