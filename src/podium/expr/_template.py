"""Parsing of strings containing ``${...}`` into cached templates, and Java-style stringification.

A string is compiled once into literal parts and expressions. Expressions whose path itself
contains ``${`` (nesting) keep a sub-template that is rendered first to produce the path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from podium.expr._jsonpath import CompiledPath, compile_path

SECRETS_PREFIX = "workflow.secrets."
TASK_ID_NAME = "CPEWF_TASK_ID"


# Deeper ``${`` nesting is kept as literal text: no real path needs it, and it bounds the work
# (and recursion) one string can ask of the parser and the resolver.
MAX_NESTING = 16

_BRACES: Final = re.compile(r"[{}]")


class Expr:
    """One ``${...}`` occurrence."""

    __slots__ = ("compiled", "inner", "name", "text")

    def __init__(self, text: str, inner: Template | None) -> None:
        self.text = text  # the whole "${...}", used when the expression is kept literally
        self.inner = inner
        self.name = text[2:-1].strip()  # the path, once any nested expression is resolved
        self.compiled: CompiledPath | None = None
        if inner is None and self.name and not self.name.startswith(SECRETS_PREFIX):
            self.compiled = compile_path(self.name)


class Template:
    """A compiled string: ``parts`` alternate literal text and :class:`Expr`."""

    __slots__ = ("parts", "single", "source")

    def __init__(self, source: str, parts: tuple[str | Expr, ...]) -> None:
        self.source = source
        self.parts = parts
        # exactly one expression spanning the whole string: the result keeps its JSON type
        self.single: Expr | None = parts[0] if len(parts) == 1 and isinstance(parts[0], Expr) else None

    def expressions(self) -> Iterator[Expr]:
        """Every expression, nested ones included."""
        for p in self.parts:
            if isinstance(p, Expr):
                yield p
                if p.inner is not None:
                    yield from p.inner.expressions()


def _closing_braces(source: str) -> dict[int, int]:
    """Index of each ``{`` that is closed → index of its ``}``, in one pass over the braces."""
    closing: dict[int, int] = {}
    open_at: list[int] = []
    for m in _BRACES.finditer(source):
        i = m.start()
        if source[i] == "{":
            open_at.append(i)
        elif open_at:
            closing[open_at.pop()] = i
    return closing


def _compile(source: str, start: int, stop: int, closing: dict[int, int], depth: int) -> Template:
    """The template of ``source[start:stop]``; every ``${`` is matched through ``closing``, so the
    whole string is scanned once however many expressions are left unclosed."""
    parts: list[str | Expr] = []
    pos = search = start
    while True:
        i = source.find("${", search, stop)
        if i < 0:
            break
        if i > start and source[i - 1] == "$":  # "$${" is an escape, not an expression
            search = i + 2
            continue
        end = closing.get(i + 1, -1)
        if end < 0 or end >= stop:
            search = i + 2
            continue
        inner: Template | None = None
        if source.find("${", i + 2, end) >= 0:
            if depth >= MAX_NESTING:
                search = end + 1  # too deep: the whole expression stays literal text
                continue
            inner = _compile(source, i + 2, end, closing, depth + 1)
        if i > pos:
            parts.append(source[pos:i])
        parts.append(Expr(source[i : end + 1], inner))
        pos = search = end + 1
    if pos < stop:
        parts.append(source[pos:stop])
    return Template(source[start:stop], tuple(parts))


@lru_cache(maxsize=16384)
def compile_template(source: str) -> Template:
    """Split ``source`` into literal text and expressions (cached per distinct string)."""
    if "${" not in source:
        return Template(source, (source,) if source else ())
    return _compile(source, 0, len(source), _closing_braces(source), 0)


def _java_double(d: float) -> str:
    """``Double.toString`` formatting (``2.0``, ``1.0E7``, ``1.5E-5``)."""
    if d != d:
        return "NaN"
    if d in (float("inf"), float("-inf")):
        return "Infinity" if d > 0 else "-Infinity"
    a = abs(d)
    if a == 0.0 or 1e-3 <= a < 1e7:
        return repr(d)  # fixed notation with at least one decimal in this range
    sign, digits, exp = Decimal(repr(d)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    e10 = len(digits) - 1 + int(exp)
    mantissa = ds[0] + "." + (ds[1:] or "0")
    return ("-" if sign else "") + mantissa + "E" + str(e10)


def java_str(value: Any) -> str:
    """Java ``Objects.toString`` of a JSON value: null, true, 2, 2.5, {a=1, b=[1, 2]}."""
    if value is None:
        return "null"
    t = type(value)
    if t is str:
        return value  # type: ignore[no-any-return]
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    if t is float:
        return _java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    return str(value)
