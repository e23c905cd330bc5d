"""Reading request bodies the way Conductor's clients send them (chunked, empty, raw text)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope

from podium.domain.errors import InvalidArgument, PayloadTooLarge

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
    return parse_json(await raw_body(request), request.app.state.settings.limits.json_depth, default)


def parse_json(data: bytes, max_depth: int, default: Any = _MISSING) -> Any:
    """A request body parsed as JSON; an empty one gives ``default`` (or a 400 when none is given).

    A document nested deeper than ``max_depth`` is refused: the server could not store or answer it
    (orjson writes at most 254 levels) and every later read of it would fail.
    """
    if not data.strip():
        if default is _MISSING:
            raise InvalidArgument("Request body is required")
        return default
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise InvalidArgument(f"Malformed JSON in request body: {e}") from None
    # Fewer brackets than the limit cannot nest deeper than it: most bodies skip the walk (a C-speed count).
    if data.count(b"{") + data.count(b"[") > max_depth and json_depth(value, max_depth) > max_depth:
        raise InvalidArgument(
            f"Request body is nested deeper than the limit of {max_depth} levels (PODIUM_LIMIT_JSON_DEPTH)"
        )
    return value


def json_depth(value: Any, stop: int) -> int:
    """Nesting depth of a JSON value (a scalar is 0, ``[]`` is 1), counted no further than ``stop + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > stop:
                return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


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
