"""Compiled JSONPath expressions with Jayway-like semantics (docs/reference.md#expressions).

Definite paths made of names and indexes (the vast majority) are walked by hand. Anything else
(wildcards, deep scan, filters, slices, unions) is handed to ``jsonpath_ng.ext``; such a path is
*indefinite* and always yields a list. A trailing function call such as ``.length()`` is applied
to the value of the path before it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from jsonpath_ng.ext.parser import parse as _jp_parse

from podium.expr import _regex


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Marker for "no such key" (distinct from a JSON null)."""


class Root(Protocol):
    """What a path is evaluated against: named top-level entries, materialised lazily."""

    def lookup(self, name: str) -> Any:
        """Value of top-level key ``name`` or MISSING."""

    def document(self) -> dict[str, Any]:
        """The whole document (only for paths that scan from the root)."""


Token = str | int

_NAME_STOP = re.compile(r"[.\[]")
_COMPLEX_CHARS = frozenset("*?@(),:'\" ")
_INDEX = re.compile(r"-?\d+")


def deep_copy(value: Any) -> Any:
    """Copy JSON containers (much faster than copy.deepcopy; scalars are immutable)."""
    t = type(value)
    if t is dict:
        return {k: deep_copy(v) for k, v in value.items()}
    if t is list:
        return [deep_copy(v) for v in value]
    return value


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list) or not value:
        raise ValueError("function needs a non-empty array")
    out: list[float] = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError("function needs numbers")
        out.append(float(v))
    return out


def _length(value: Any) -> int:
    if isinstance(value, list | dict | str):
        return len(value)
    raise ValueError("length() needs an array, object or string")


def _stddev(value: Any) -> float:
    nums = _numbers(value)
    mean = sum(nums) / len(nums)
    return math.sqrt(sum((n - mean) ** 2 for n in nums) / len(nums))


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return list(value)
    raise ValueError("keys() needs an object")


def _end(index: int) -> Callable[[Any], Any]:
    def fn(value: Any) -> Any:
        if isinstance(value, list) and value:
            return value[index]
        raise ValueError("needs a non-empty array")

    return fn


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "length": _length,
    "size": _length,
    "min": lambda v: min(_numbers(v)),
    "max": lambda v: max(_numbers(v)),
    "sum": lambda v: math.fsum(_numbers(v)),
    "avg": lambda v: math.fsum(_numbers(v)) / len(_numbers(v)),
    "stddev": _stddev,
    "keys": _keys,
    "first": _end(0),
    "last": _end(-1),
}
_FUNC_SUFFIX = re.compile(r"\.(" + "|".join(_FUNCTIONS) + r")\(\)\s*$")


def walk(value: Any, tokens: tuple[Token, ...], start: int = 0) -> Any:
    """Follow names/indexes from ``tokens[start:]``; MISSING as soon as a step does not exist."""
    for i in range(start, len(tokens)):
        tok = tokens[i]
        if type(tok) is str:
            if type(value) is dict:
                value = value.get(tok, MISSING)
                if value is MISSING:
                    return MISSING
            else:
                return MISSING
        elif type(value) is list:
            n = len(value)
            idx: int = tok  # type: ignore[assignment]
            if idx < 0:
                idx += n
            if not 0 <= idx < n:
                return MISSING
            value = value[idx]
        else:
            return MISSING
    return value


def _tokenize(path: str) -> tuple[Token, ...] | None:
    """Split a definite ``a.b['c'][0]`` path into tokens; None when it needs the full engine."""
    tokens: list[Token] = []
    pos, n = 0, len(path)
    if path.startswith("["):
        pass
    else:
        m = _NAME_STOP.search(path)
        end = m.start() if m else n
        first = path[:end]
        if not first or not _COMPLEX_CHARS.isdisjoint(first):
            return None
        tokens.append(first)
        pos = end
    while pos < n:
        c = path[pos]
        if c == ".":
            pos += 1
            m = _NAME_STOP.search(path, pos)
            end = m.start() if m else n
            name = path[pos:end]
            if not name or not _COMPLEX_CHARS.isdisjoint(name):
                return None
            tokens.append(name)
            pos = end
        else:  # "["
            close = path.find("]", pos)
            if close < 0:
                return None
            inner = path[pos + 1 : close].strip()
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                key = inner[1:-1]
                if inner[0] in key:  # a union like ['a','b'] or an escaped quote
                    return None
                tokens.append(key)
            elif _INDEX.fullmatch(inner):
                tokens.append(int(inner))
            else:
                return None
            pos = close + 1
    return tuple(tokens)


def _is_indefinite(path: str) -> bool:
    if ".." in path or "*" in path or "[?" in path:
        return True
    # unions [0,1] / ['a','b'] and slices [1:3] (quotes ignored: good enough for real paths)
    return any("," in seg or ":" in seg for seg in re.findall(r"\[([^\]]*)\]", path))


class CompiledPath:
    """A path ready to evaluate; compile with :func:`compile_path`."""

    __slots__ = ("_engine", "_function", "_indefinite", "_regex", "_tokens", "env_tokens", "root")

    def __init__(self, path: str) -> None:
        self._function: Callable[[Any], Any] | None = None
        m = _FUNC_SUFFIX.search(path)
        if m:
            self._function = _FUNCTIONS[m.group(1)]
            path = path[: m.start()]
        self._tokens = _tokenize(path) if path else ()
        self._engine: Any = None
        self._indefinite = False
        self._regex = "=~" in path
        self.root: str | None = None
        self.env_tokens: tuple[Token, ...] | None = None
        if self._tokens is not None:
            first = self._tokens[0] if self._tokens else None
            if isinstance(first, str):
                self.root = first
            if (
                len(self._tokens) >= 3
                and self._tokens[0] == "workflow"
                and self._tokens[1] == "env"
                and type(self._tokens[2]) is str
            ):
                self.env_tokens = self._tokens[2:]
            return
        self._indefinite = _is_indefinite(path)
        m2 = _NAME_STOP.search(path)
        first = path[: m2.start()] if m2 else path
        if first and _COMPLEX_CHARS.isdisjoint(first):
            self.root = first
            rest = path[len(first) :]
        else:
            rest = path if path.startswith((".", "[")) else "." + path
        try:
            self._engine = _jp_parse("$" + rest)
        except Exception:  # any parse failure means "evaluation error" -> null
            self._engine = None

    def evaluate(self, root: Root) -> Any:
        """The value at this path (MISSING if absent); indefinite paths give a list."""
        value = self._evaluate(root)
        if self._function is not None and value is not MISSING:
            try:
                value = self._function(value)
            except Exception:
                return MISSING
        return value

    def _evaluate(self, root: Root) -> Any:
        tokens = self._tokens
        if tokens is not None:
            if not tokens:
                return root.document()
            first = tokens[0]
            if type(first) is not str:
                return walk(root.document(), tokens)
            value = root.lookup(first)
            if value is MISSING:
                return MISSING
            return walk(value, tokens, 1)
        if self._engine is None:  # the path did not parse: an evaluation error
            return MISSING
        if self.root is None:
            base: Any = root.document()
        else:
            base = root.lookup(self.root)
            if base is MISSING:
                return [] if self._indefinite else MISSING
        if self._regex:
            _regex.start_budget()
        try:
            found = [m.value for m in self._engine.find(base)]
        except Exception:  # an evaluation error, or regular expressions past their budget
            return MISSING
        if self._indefinite:
            return found
        return found[0] if found else MISSING


@lru_cache(maxsize=8192)
def compile_path(path: str) -> CompiledPath:
    """Compile a path (no leading ``$.`` needed; one is accepted) once; cached."""
    return CompiledPath(_strip_root(path))


def _strip_root(path: str) -> str:
    """Drop a leading ``$`` / ``$.`` root marker (``$..x`` keeps its deep scan)."""
    path = path.strip()
    if path == "$":
        return ""
    if path.startswith("$.") and not path.startswith("$.."):
        return path[2:]
    if path.startswith(("$[", "$..")):
        return path[1:]
    return path


def root_name(path: str) -> str | None:
    """First component of a path (``t1`` for ``t1.output.x`` / ``$['t1']``), None if dynamic."""
    path = _strip_root(path)
    if path.startswith("["):
        close = path.find("]")
        inner = path[1:close].strip() if close > 0 else ""
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            return inner[1:-1]
        return None
    m = _NAME_STOP.search(path)
    first = path[: m.start()] if m else path
    return first or None
