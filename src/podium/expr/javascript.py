"""JavaScript evaluation (SWITCH/INLINE/DO_WHILE/LAMBDA/event conditions) on V8 via mini-racer.

Each evaluation runs in a pooled, hardened V8 context (see ``_js_sandbox``): ``$`` is bound to a
JSON copy of the bindings, declarations are local to the run, globals a script creates are
removed afterwards, and built-ins are frozen, so nothing leaks from one evaluation to the next.
A context that timed out, ran out of memory or could not be cleaned is thrown away.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson
from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

from podium.expr._js_sandbox import BOOTSTRAP

__all__ = ["ScriptError", "check_syntax", "evaluate", "evaluate_function_body"]

DEFAULT_TIMEOUT_S = 4.0
DEFAULT_MAX_MEMORY = 64 * 2**20
_MAX_IDLE = 8

_PROGRAM, _BODY, _CHECK_PROGRAM, _CHECK_BODY = 0, 1, 2, 3


class ScriptError(Exception):
    """A script failed: its message is the JavaScript error text (``TypeError: ...``)."""

    def __init__(self, message: str, *, timed_out: bool = False, out_of_memory: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.timed_out = timed_out
        self.out_of_memory = out_of_memory


def _new_racer() -> MiniRacer:
    # MiniRacer adopts the caller's running asyncio loop if there is one, and then refuses
    # timeouts; build it on a plain thread so it always gets a loop (and thread) of its own.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return MiniRacer()
    box: list[MiniRacer | BaseException] = []

    def make() -> None:
        try:
            box.append(MiniRacer())
        except BaseException as exc:  # handed back to the caller below
            box.append(exc)

    t = threading.Thread(target=make, name="podium-v8-init")
    t.start()
    t.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


class _Engine:
    """One V8 context with the sandbox installed."""

    __slots__ = ("broken", "racer")

    def __init__(self) -> None:
        self.racer = _new_racer()
        self.racer.eval(BOOTSTRAP)
        self.broken = False

    def close(self) -> None:
        self.racer.close()


_pool: list[_Engine] = []
_pool_lock = threading.Lock()


@atexit.register
def close_pool() -> None:
    """Close idle engines; an idle V8 isolate left open can hang interpreter exit."""
    with _pool_lock:
        engines = list(_pool)
        _pool.clear()
    for eng in engines:
        eng.close()


@contextmanager
def _engine() -> Iterator[_Engine]:
    with _pool_lock:
        eng = _pool.pop() if _pool else None
    if eng is None:
        eng = _Engine()
    try:
        yield eng
    finally:
        keep = not eng.broken
        if keep:
            with _pool_lock:
                keep = len(_pool) < _MAX_IDLE
                if keep:
                    _pool.append(eng)
        if not keep:
            eng.close()


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits
        return json.dumps(value, default=str)


def _run(kind: int, source: str, bindings: Any, timeout_s: float, max_memory: int) -> dict[str, Any]:
    code = f"__podium.run({kind},{_json(source)},{_json(bindings)})"
    with _engine() as eng:
        try:
            eng.racer.set_hard_memory_limit(max_memory)
            raw = eng.racer.eval(code, timeout_sec=timeout_s)
        except JSTimeoutException:
            eng.broken = True
            message = f"Script execution timed out after {timeout_s:g} seconds"
            raise ScriptError(message, timed_out=True) from None
        except JSOOMException:
            eng.broken = True
            raise ScriptError(
                f"Script exceeded the memory limit of {max_memory} bytes", out_of_memory=True
            ) from None
        except JSEvalException as exc:  # not expected: the sandbox catches script errors
            eng.broken = True
            raise ScriptError(str(exc).strip()) from None
        result: dict[str, Any] = orjson.loads(raw) if isinstance(raw, str) else {"e": "no result"}
        if result.get("dirty"):
            eng.broken = True
    return result


def _finish(result: dict[str, Any], console: list[str] | None) -> Any:
    if console is not None:
        console.extend(result.get("l", ()))
    if "e" in result:
        raise ScriptError(result["e"])
    return result.get("v")


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
    return _finish(_run(_PROGRAM, script, bindings, timeout_s, max_memory_bytes), console)


def evaluate_function_body(
    body: str,
    bindings: Mapping[str, Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_memory_bytes: int = DEFAULT_MAX_MEMORY,
    console: list[str] | None = None,
) -> Any:
    """Like :func:`evaluate`, but ``body`` is a function body (LAMBDA): its ``return`` value."""
    return _finish(_run(_BODY, body, bindings, timeout_s, max_memory_bytes), console)


def check_syntax(script: str, *, function_body: bool = False) -> str | None:
    """None if ``script`` compiles (as a program, or a function body), else the error text.

    Nothing in the script is executed.
    """
    kind = _CHECK_BODY if function_body else _CHECK_PROGRAM
    result = _run(kind, script, None, DEFAULT_TIMEOUT_S, DEFAULT_MAX_MEMORY)
    if "e" in result:
        return str(result["e"])
    v = result.get("v")
    return None if v is None else str(v)
