"""Fast response helpers: orjson bodies, text/plain ids, empty 204s."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

_JSON = "application/json"


_SHOWN_DEPTH = 200  # orjson stops at 255 levels; answers wrap what they hold in a few more
TOO_DEEP = "(nested too deep to show: over PODIUM_LIMIT_JSON_DEPTH)"


def json_response(content: Any, status: int = 200) -> Response:
    """A JSON body (orjson; non-string dict keys allowed).

    A document stored before the depth limit existed (or deeper than orjson can write) is answered
    with its deepest parts replaced by a note, so one deep execution never breaks a read for others.
    """
    try:
        data = orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        data = orjson.dumps(_shallow(content, _SHOWN_DEPTH), option=orjson.OPT_NON_STR_KEYS)
    return Response(data, status_code=status, media_type=_JSON)


def _shallow(value: Any, room: int) -> Any:
    """``value`` with containers below ``room`` levels replaced by a note (and unwritable values by their text)."""
    if isinstance(value, dict):
        return {k: _shallow(v, room - 1) for k, v in value.items()} if room > 0 else TOO_DEEP
    if isinstance(value, list | tuple):
        return [_shallow(v, room - 1) for v in value] if room > 0 else TOO_DEEP
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return str(value)
    return value


def text_response(text: str, status: int = 200) -> Response:
    """A text/plain body, as Conductor answers with ids."""
    return Response(text, status_code=status, media_type="text/plain")


def empty(status: int = 200) -> Response:
    """A body-less response (no Content-Type)."""
    return Response(status_code=status)


NO_CONTENT = 204
