"""JavaScript evaluation (SWITCH/INLINE/DO_WHILE/LAMBDA/event conditions) on QuickJS, in-process.

Each thread keeps one hardened QuickJS context (see ``_js_sandbox``); a call runs the script
right on the calling thread (the GIL is released while JavaScript runs). ``$`` is bound to a
JSON copy of the bindings, declarations are local to the run, globals a script creates are
removed afterwards and built-ins are frozen, so nothing leaks from one evaluation to the next.
A context that timed out, ran out of memory, left pending promise jobs or could not be cleaned
is thrown away and rebuilt on next use.

Limits: the time limit is QuickJS's CPU-time interrupt (checked every few thousand operations);
it cannot interrupt a single long native call, notably a catastrophically backtracking regular
expression. Memory is capped per context with ``max_memory_bytes``.
"""

from __future__ import annotations

import atexit
import json
import math
import re
import threading
from collections.abc import Mapping
from typing import Any

import orjson
import quickjs

from podium.expr._js_sandbox import BOOTSTRAP

__all__ = ["ScriptError", "check_syntax", "evaluate", "evaluate_function_body", "evaluate_json"]

DEFAULT_TIMEOUT_S = 4.0
DEFAULT_MAX_MEMORY = 64 * 2**20

_PROGRAM, _BODY, _CHECK_PROGRAM, _CHECK_BODY, _JSON_SOURCE = 0, 1, 2, 3, 4


class ScriptError(Exception):
    """A script failed: its message is the JavaScript error text (``TypeError: ...``)."""

    def __init__(self, message: str, *, timed_out: bool = False, out_of_memory: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.timed_out = timed_out
        self.out_of_memory = out_of_memory


class _Engine:
    """One QuickJS context with the sandbox installed; used only by the thread that made it."""

    __slots__ = ("ctx", "generation", "memory", "run", "timeout")

    def __init__(self, generation: int) -> None:
        self.ctx = quickjs.Context()
        self.run: Any = self.ctx.eval(BOOTSTRAP)
        self.generation = generation
        self.timeout = -1.0
        self.memory = -1

    def limit(self, timeout_s: float, max_memory: int) -> None:
        if timeout_s != self.timeout:
            self.ctx.set_time_limit(max(timeout_s, 0.0))
            self.timeout = timeout_s
        if max_memory != self.memory:
            self.ctx.set_memory_limit(max_memory)
            self.memory = max_memory


_local = threading.local()
_generation = 0


@atexit.register
def close_pool() -> None:
    """Retire every thread's context: each is rebuilt on its thread's next evaluation."""
    global _generation
    _generation += 1
    _local.__dict__.pop("engine", None)


def _engine() -> _Engine:
    eng: _Engine | None = getattr(_local, "engine", None)
    if eng is None or eng.generation != _generation:
        eng = _local.engine = _Engine(_generation)
    return eng


def _drop(eng: _Engine) -> None:
    if getattr(_local, "engine", None) is eng:
        del _local.engine


def _utf8_safe(text: str) -> bool:
    """False if ``text`` holds lone surrogates (the binding would crash converting it)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits, lone surrogates
        return json.dumps(value, default=str)


def _loads(text: str) -> dict[str, Any]:
    try:
        env: dict[str, Any] = orjson.loads(text)
    except orjson.JSONDecodeError:  # lone surrogates (JSON.stringify escapes them) become U+FFFD
        env = _well_formed(json.loads(text))
    return env


def _well_formed(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_well_formed(v) for v in value]
    if isinstance(value, dict):
        return {_well_formed(k): _well_formed(v) for k, v in value.items()}
    return value


# QuickJS wording → the V8/GraalJS wording users of Conductor see.
_REWORDS = (
    (re.compile(r"^ReferenceError: '(.*)' is not defined$"), r"ReferenceError: \1 is not defined"),
    (
        re.compile(r"^TypeError: cannot read property '(.*)' of (undefined|null)$"),
        r"TypeError: Cannot read properties of \2 (reading '\1')",
    ),
    (
        re.compile(r"^TypeError: cannot set property '(.*)' of (undefined|null)$"),
        r"TypeError: Cannot set properties of \2 (setting '\1')",
    ),
    (re.compile(r"^SyntaxError: return not in a function$"), "SyntaxError: Illegal return statement"),
    (re.compile(r"^InternalError: stack overflow$"), "RangeError: Maximum call stack size exceeded"),
)


def _reword(message: str) -> str:
    for pattern, replacement in _REWORDS:
        new, n = pattern.subn(replacement, message)
        if n:
            return new
    return message


def _timed_out(timeout_s: float) -> ScriptError:
    return ScriptError(f"Script execution timed out after {timeout_s:g} seconds", timed_out=True)


def _out_of_memory(max_memory: int) -> ScriptError:
    return ScriptError(f"Script exceeded the memory limit of {max_memory} bytes", out_of_memory=True)


def _run(kind: int, source: str, bindings: Any, timeout_s: float, max_memory: int, console: list[str] | None) -> Any:
    return _run_text(kind, source, _json(bindings), timeout_s, max_memory, console)


def _run_text(
    kind: int, source: str, bindings_json: str, timeout_s: float, max_memory: int, console: list[str] | None
) -> Any:
    eng = _engine()
    eng.limit(timeout_s, max_memory)
    if "\0" in source or not _utf8_safe(source):  # the binding passes UTF-8 C strings
        source, kind = json.dumps(source), kind | _JSON_SOURCE
    try:
        raw = eng.run(kind, source, bindings_json)
    except quickjs.JSException as exc:  # uncatchable (interrupt) or a failure of the sandbox itself
        _drop(eng)
        text = str(exc).strip().split("\n", 1)[0]
        if "interrupted" in text:
            raise _timed_out(timeout_s) from None
        if "out of memory" in text:
            raise _out_of_memory(max_memory) from None
        raise ScriptError(_reword(text)) from None
    _settle_jobs(eng)
    t = type(raw)
    if t is float:
        if not math.isfinite(raw):
            return None  # as JSON.stringify would have it
        return int(raw) if raw.is_integer() and abs(raw) < 1e21 else raw
    if t is not str or not raw.startswith("\x01"):
        return raw
    env = _loads(raw[1:])
    if "x" in env:
        _drop(eng)
    if console is not None:
        console.extend(env["l"])
    if "e" in env:
        if "m" in env:
            raise _out_of_memory(max_memory)
        raise ScriptError(_reword(str(env["e"])))
    return env.get("v")


def _settle_jobs(eng: _Engine) -> None:
    """Promise jobs a script queued never run as part of it: a context holding some is dropped."""
    try:
        if not eng.ctx.execute_pending_job():
            return
    except quickjs.JSException:
        pass
    _drop(eng)


def evaluate(
    script: str,
    bindings: Mapping[str, Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_memory_bytes: int = DEFAULT_MAX_MEMORY,
    console: list[str] | None = None,
) -> Any:
    """Run ``script`` as a program with ``$`` = ``bindings``; return its completion value.

    Results are JSON values: objects → dict, arrays → list, integral numbers → int, other
    numbers → float, undefined/functions → None. ``console.log/info/warn/error`` lines are
    appended to ``console`` (if given). Raises :class:`ScriptError` on any failure.
    """
    return _run(_PROGRAM, script, bindings, timeout_s, max_memory_bytes, console)


def evaluate_function_body(
    body: str,
    bindings: Mapping[str, Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_memory_bytes: int = DEFAULT_MAX_MEMORY,
    console: list[str] | None = None,
) -> Any:
    """Like :func:`evaluate`, but ``body`` is a function body (LAMBDA): its ``return`` value."""
    return _run(_BODY, body, bindings, timeout_s, max_memory_bytes, console)


def evaluate_json(
    script: str,
    bindings_json: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_memory_bytes: int = DEFAULT_MAX_MEMORY,
    console: list[str] | None = None,
) -> Any:
    """Like :func:`evaluate`, with ``$`` given as JSON text (the evaluator process's form)."""
    return _run_text(_PROGRAM, script, bindings_json, timeout_s, max_memory_bytes, console)


def check_syntax(script: str, *, function_body: bool = False) -> str | None:
    """None if ``script`` compiles (as a program, or a function body), else the error text.

    Nothing in the script is executed.
    """
    kind = _CHECK_BODY if function_body else _CHECK_PROGRAM
    result = _run(kind, script, None, DEFAULT_TIMEOUT_S, DEFAULT_MAX_MEMORY, None)
    return None if result is None else _reword(str(result))
