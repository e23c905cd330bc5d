"""Reading the user's JSON: inline, ``@file``, or ``-`` for stdin; every failure is a one-line BadInput."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from podium.cli._errors import BadInput


def read_text(path: str) -> str:
    """A file's text (``-`` reads stdin)."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"cannot read {path}: {e}") from None


def _decode(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{where} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def load_file(path: str) -> Any:
    """A JSON document from a file (``-``: stdin)."""
    return _decode(read_text(path), "stdin" if path == "-" else path)


def json_arg(value: str | None, option: str, *, want_object: bool = True) -> Any:
    """The value of an option that takes JSON inline or ``@file`` (``@-``: stdin); None when absent."""
    if value is None:
        return None
    if value.startswith("@"):
        doc = load_file(value[1:])
        where = value
    else:
        doc = _decode(value, option)
        where = option
    if want_object and not isinstance(doc, dict):
        raise BadInput(f"{where} must be a JSON object")
    return doc
