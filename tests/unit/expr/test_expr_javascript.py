"""JavaScript evaluation: results, errors, limits, console capture and isolation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from podium.expr import javascript
from podium.expr.javascript import ScriptError, check_syntax, evaluate, evaluate_function_body


@pytest.mark.parametrize(
    ("script", "bindings", "expected"),
    [
        ("$.amount > 100 ? 'big' : 'small'", {"amount": 150}, "big"),
        ("$.amount > 100 ? 'big' : 'small'", {"amount": 5}, "small"),
        ("$.a + $.b", {"a": 1, "b": 2}, 3),
        ("$.items.filter(i => i.ok).map(i => i.id)", {"items": [{"id": 1, "ok": True}, {"id": 2}]}, [1]),
        ("`${$.name}-${$.n}`", {"name": "x", "n": 2}, "x-2"),
        ("$.missing === undefined", {}, True),
    ],
)
def test_expressions(script: str, bindings: dict[str, Any], expected: Any) -> None:
    assert evaluate(script, bindings) == expected


def test_statements_give_their_completion_value() -> None:
    loop = "if ($.loop['iteration'] < 3) { true; } else { false; }"
    assert evaluate(loop, {"loop": {"iteration": 1}}) is True
    assert evaluate(loop, {"loop": {"iteration": 3}}) is False
    assert evaluate("var total = 0; for (const x of $.xs) { total += x; } total", {"xs": [1, 2, 3]}) == 6
    assert evaluate("function twice(v) { return v * 2; } twice($.v)", {"v": 21}) == 42
    assert evaluate("class A { get v() { return 7; } } new A().v", {}) == 7


def test_value_conversion() -> None:
    out = evaluate("({o: {a: 1}, arr: [1, 'two', null, true], i: 3.0, f: 2.5, neg: -4, u: undefined})", {})
    assert out == {"o": {"a": 1}, "arr": [1, "two", None, True], "i": 3, "f": 2.5, "neg": -4}
    assert type(out["i"]) is int
    assert type(out["f"]) is float
    assert evaluate("undefined", {}) is None
    assert evaluate("null", {}) is None
    assert evaluate("", {}) is None
    assert evaluate("(function () {})", {}) is None
    assert evaluate("2 ** 40", {}) == 2**40
    assert evaluate("0.1 + 0.2", {}) == pytest.approx(0.3)


def test_bindings_round_trip() -> None:
    bindings = {"s": "é\u2028\"'`${x}", "n": None, "big": 2**53, "nested": {"l": [{"k": 1.5}]}}
    assert evaluate("$", bindings) == bindings


def test_syntax_errors() -> None:
    with pytest.raises(ScriptError) as err:
        evaluate("$.a +", {"a": 1})
    assert err.value.message.startswith("SyntaxError")
    assert not err.value.timed_out
    with pytest.raises(ScriptError, match="SyntaxError: Illegal return statement"):
        evaluate("return 1", {})


def test_runtime_errors() -> None:
    with pytest.raises(ScriptError, match=r"^ReferenceError: nope is not defined$"):
        evaluate("nope.x", {})
    with pytest.raises(ScriptError, match=r"^TypeError: Cannot read properties of undefined"):
        evaluate("$.a.b.c", {})
    with pytest.raises(ScriptError, match=r"^Error: custom$"):
        evaluate("throw new Error('custom')", {})
    with pytest.raises(ScriptError, match=r"^boom$"):
        evaluate("throw 'boom'", {})
    with pytest.raises(ScriptError, match=r"^TypeError: .*circular"):
        evaluate("const o = {}; o.self = o; o", {})


def test_function_body() -> None:
    assert evaluate_function_body("return $.a * 2;", {"a": 21}) == 42
    assert evaluate_function_body("if ($.x) { return 'yes'; } return 'no';", {"x": False}) == "no"
    assert evaluate_function_body("$.a * 2;", {"a": 1}) is None  # no return: undefined
    with pytest.raises(ScriptError, match="ReferenceError"):
        evaluate_function_body("return missing;", {})
    # the body cannot escape its function wrapper
    with pytest.raises(ScriptError, match="SyntaxError"):
        evaluate_function_body("}); (function() {", {})


def test_check_syntax_does_not_execute() -> None:
    assert check_syntax("if ($.a) { true; } else { false; }") is None
    assert check_syntax("while (true) {}") is None  # would hang if executed
    assert check_syntax("globalThis.checked = 1") is None
    assert evaluate("typeof checked", {}) == "undefined"
    err = check_syntax("$.a +")
    assert err is not None and err.startswith("SyntaxError")
    assert check_syntax("return 1") == "SyntaxError: Illegal return statement"
    assert check_syntax("return 1", function_body=True) is None
    assert check_syntax("'use strict'; with ({}) {}") is not None
    assert check_syntax("with ({}) {}") is None


def test_infinite_loop_times_out() -> None:
    start = time.monotonic()
    with pytest.raises(ScriptError) as err:
        evaluate("while (true) {}", {}, timeout_s=0.2)
    elapsed = time.monotonic() - start
    assert err.value.timed_out
    assert "timed out" in err.value.message
    assert elapsed < 3.0
    assert evaluate("1 + 1", {}) == 2  # evaluation keeps working afterwards


def test_memory_cap() -> None:
    hog = "const a = []; while (true) { a.push(new Array(100000).fill(1)); }"
    with pytest.raises(ScriptError) as err:
        evaluate(hog, {}, max_memory_bytes=16 * 2**20, timeout_s=10)
    assert err.value.out_of_memory
    assert not err.value.timed_out
    assert evaluate("[1, 2].length", {}) == 2


def test_console_capture() -> None:
    logs: list[str] = []
    out = evaluate(
        "console.log('a', 1, {x: [2]}); console.info('i'); console.warn(null); console.error('e'); 5",
        {},
        console=logs,
    )
    assert out == 5
    assert logs == ['a 1 {"x":[2]}', "i", "null", "e"]
    logs2: list[str] = []
    with pytest.raises(ScriptError):
        evaluate("console.log('before'); throw new Error('x')", {}, console=logs2)
    assert logs2 == ["before"]
    assert evaluate("console.log('ignored'); 1", {}) == 1  # no list: discarded


@pytest.mark.parametrize(
    ("polluter", "probe"),
    [
        ("leak = 1", "typeof leak"),
        ("var leak = 1", "typeof leak"),
        ("this.leak = 1", "typeof leak"),
        ("globalThis.leak = 1", "typeof leak"),
        ("Object.defineProperty(globalThis, 'leak', {value: 1, configurable: false})", "typeof leak"),
        ("Array.prototype.leak = 1", "typeof [].leak"),
        ("Object.prototype.leak = 1", "typeof ({}).leak"),
        ("JSON.stringify = () => 'hacked'", "JSON.stringify([1]) === '[1]' ? 'undefined' : 'leaked'"),
        ("JSON = undefined", "typeof JSON === 'object' ? 'undefined' : 'leaked'"),
        ("Math.max = () => 0; undefined", "typeof Math.max(1) === 'number' ? 'undefined' : 'bad'"),
        ("__TimerManager = {leak: 1}", "typeof __TimerManager"),
        ("console.log = () => 0; console.leak = 1", "typeof console.leak"),
        ("Object.setPrototypeOf(globalThis, {leak: 1})", "typeof leak"),
        ("/(x)/.exec('x')", "typeof RegExp.$1"),
        ("Promise.resolve().then(() => { globalThis.leak = 1; })", "typeof leak"),
    ],
)
def test_no_state_leaks_between_evaluations(polluter: str, probe: str) -> None:
    with contextlib.suppress(ScriptError):  # a failing polluter is just as good
        evaluate(polluter, {})
    assert evaluate(probe, {}) == "undefined"


def test_no_host_access() -> None:
    probe = "[typeof require, typeof process, typeof setTimeout, typeof fetch, typeof XMLHttpRequest]"
    assert evaluate(probe, {}) == ["undefined"] * 5


def test_thread_safety() -> None:
    def work(i: int) -> Any:
        if i % 2:
            return evaluate("shared = $.i; $.i * 2 + (typeof other === 'undefined' ? 0 : 1000)", {"i": i})
        return evaluate("other = $.i; $.i * 2 + (typeof shared === 'undefined' ? 0 : 1000)", {"i": i})

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, range(120)))
    assert results == [i * 2 for i in range(120)]


def test_engine_created_inside_an_event_loop_supports_timeouts() -> None:
    async def main() -> Any:
        engine = javascript._Engine()
        try:
            return engine.racer.eval("__podium.run(0, '40 + 2', null)", timeout_sec=2)
        finally:
            engine.close()

    assert asyncio.run(main()) == '{"v":42,"l":[]}'
