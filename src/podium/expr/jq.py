"""jq programs for JSON_JQ_TRANSFORM (docs/reference.md#json_jq_transform), compiled once and cached."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jq as _jq
import orjson

__all__ = ["JqError", "transform", "transform_text"]


class JqError(Exception):
    """A jq program failed to compile or run; the message is jq's own error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=1024)
def _compile(query: str) -> Any:
    try:
        return _jq.compile(query)
    except ValueError as exc:
        raise JqError(str(exc)) from None


def _text(data: Any) -> str:
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits
        return json.dumps(data, default=str)


def transform(query: str, data: Any) -> list[Any]:
    """Every value ``query`` emits for input ``data`` (integral numbers come back as int).

    Raises :class:`JqError` with jq's message on a compile or runtime error.
    """
    return transform_text(query, _text(data))


def transform_text(query: str, data_json: str) -> list[Any]:
    """Like :func:`transform`, with the input given as JSON text (the evaluator process's form)."""
    program = _compile(query)  # a failed compile raises and is not cached
    try:
        return list(program.input_text(data_json).all())
    except ValueError as exc:
        raise JqError(str(exc)) from None
