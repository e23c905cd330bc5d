"""Reading request bodies the way Conductor's clients send them (chunked, empty, raw text)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope

from podium.domain.errors import InvalidArgument, PayloadTooLarge, ValidationFailed
from podium.domain.validation_limits import depth_error

_MISSING: Any = object()


async def raw_body(request: Request) -> bytes:
    """The whole body, refusing more than the configured limit (chunked bodies included)."""
    return await read_body(request.scope, request.receive, request.app.state.settings.max_payload_bytes)


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body of the request in ``scope``, refusing more than ``limit`` bytes.

    Reads the ASGI messages directly (the body is read once per request on every route that has one).
    """
    for name, value in scope["headers"]:
        if name == b"content-length":
            if value.isdigit() and int(value) > limit:
                raise PayloadTooLarge(f"Request body of {value.decode()} bytes is over the limit of {limit} bytes")
            break
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Request body is over the limit of {limit} bytes")
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def json_body(request: Request, default: Any = _MISSING) -> Any:
    """The body parsed as JSON; an empty body gives ``default`` (or a 400 when none is given)."""
    return parse_json(await raw_body(request), default, request.app.state.settings.limits.json_depth)


def parse_json(data: bytes, default: Any = _MISSING, max_depth: int | None = None) -> Any:
    """A request body parsed as JSON; an empty one gives ``default`` (or a 400 when none is given).

    A body nested deeper than ``max_depth`` is a 400 naming the field where it is: deep documents would
    break every later read of what holds them (issue #12).
    """
    if not data.strip():
        if default is _MISSING:
            raise InvalidArgument("Request body is required")
        return default
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise InvalidArgument(f"Malformed JSON in request body: {e}") from None
    # Only a body with more brackets than the limit can be too deep: most skip the walk.
    if max_depth is not None and data.count(b"{") + data.count(b"[") > max_depth:
        problem = depth_error(value, "", max_depth)
        if problem is not None:
            raise ValidationFailed([problem])
    return value


async def text_body(request: Request) -> str:
    """A raw text body; a JSON-quoted string is unquoted (the JS SDK quotes, Python's does not)."""
    data = (await raw_body(request)).decode("utf-8", errors="replace")
    stripped = data.strip()
    if len(stripped) >= 2 and stripped[0] == '"' and stripped[-1] == '"':
        try:
            value = orjson.loads(stripped)
            if isinstance(value, str):
                return value
        except orjson.JSONDecodeError:
            pass
    return data


def parse_bool(raw: str | None, default: bool) -> bool:
    """Query booleans arrive as true/false or True/False (SDK quirk)."""
    if raw is None or raw == "":
        return default
    low = raw.lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise InvalidArgument(f"Invalid boolean value: {raw}")
