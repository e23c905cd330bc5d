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
    evaluate("1", {})
    engine = javascript._engine()
    with pytest.raises(ScriptError) as err:
        evaluate(hog, {}, max_memory_bytes=16 * 2**20, timeout_s=10)
    assert err.value.out_of_memory, err.value.message
    assert not err.value.timed_out, err.value.message
    assert javascript._engine() is not engine  # a context that ran out of memory is not reused
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


def test_evaluation_inside_an_event_loop_supports_timeouts() -> None:
    async def main() -> Any:
        with pytest.raises(ScriptError) as err:
            evaluate("while (true) {}", {}, timeout_s=0.1)
        assert err.value.timed_out
        return evaluate("40 + 2", {})

    assert asyncio.run(main()) == 42


# ---- QuickJS engine: caching, isolation and conversion details ------------------------------


def _thrice(script: str, bindings: dict[str, Any] | None = None) -> Any:
    """Evaluate three times (first run, compile, cached run) and check all agree."""
    results = []
    for _ in range(3):
        try:
            results.append(("ok", evaluate(script, bindings or {})))
        except ScriptError as exc:
            results.append(("error", exc.message))
    assert results[0] == results[1] == results[2], results
    return results[0]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("{a: 1}", 1),  # a block with a label, not an object literal
        ("/* lead */ {b: 2}", 2),
        ("function f() {}\n(1)", 1),  # a declaration, then an expression statement
        ("class A {}\n(2)", 2),
        ("let\nx = 3", None),
        ("[1, 2]\n[0]", 1),  # no semicolon inserted: an index
        ("a = 1\n++a", 2),  # a semicolon inserted before ++
        ("'use strict'", "use strict"),
        ("x = 1; x + 1", 2),
        ("(() => 5)()", 5),
        ("$.n // trailing comment", 7),
    ],
)
def test_cached_programs_keep_program_semantics(script: str, expected: Any) -> None:
    assert _thrice(script, {"n": 7}) == ("ok", expected)


@pytest.mark.parametrize("script", ["1) + (2", "(1) + (2", "$.a +", "}{", "return 1"])
def test_cached_programs_keep_syntax_errors(script: str) -> None:
    kind, message = _thrice(script)
    assert kind == "error" and message.startswith("SyntaxError")


def test_es2020_syntax() -> None:
    assert evaluate("$?.a?.b ?? 'dflt'", {}) == "dflt"
    assert evaluate("const {a, ...rest} = $; [a, rest]", {"a": 1, "b": 2}) == [1, {"b": 2}]
    assert evaluate("[...'ab'].map((c, i) => `${c.toUpperCase()}${i}`)", {}) == ["A0", "B1"]
    assert evaluate("Object.fromEntries(Object.entries($).map(([k, v]) => [k, v * 2]))", {"x": 2}) == {"x": 4}
    assert evaluate("class P { #v = 3; get v() { return this.#v; } } new P().v", {}) == 3
    assert evaluate("String(2n ** 64n)", {}) == "18446744073709551616"
    assert evaluate("[[1, [2]], [3]].flat(2).includes(2)", {}) is True
    assert evaluate("function* g() { yield 1; yield 2; } [...g()]", {}) == [1, 2]


def test_number_and_string_conversion() -> None:
    assert evaluate("NaN", {}) is None
    assert evaluate("[Infinity]", {}) == [None]
    assert evaluate("-0", {}) == 0 and type(evaluate("-0", {})) is int
    assert evaluate("1e20", {}) == 10**20 and type(evaluate("1e20", {})) is int
    assert type(evaluate("1e21", {})) is float
    assert evaluate("2 ** 53 + 2", {}) == 2**53 + 2
    assert evaluate("Symbol('s')", {}) is None
    assert evaluate("'a\\u0000b'", {}) == "a\x00b"
    assert evaluate("'a\x00b'.length", {}) == 3  # a NUL in the source itself
    assert evaluate("'\ud800'.length + $.s.length", {"s": "\udc00"}) == 2  # lone surrogates going in
    assert check_syntax("'\ud800' +") is not None
    assert evaluate("'\\x01x'", {}) == "\x01x"
    assert evaluate("'😀' + $.s", {"s": "é"}) == "😀é"
    assert evaluate("['x\\ud800y']", {}) == ["x\ufffdy"]  # a lone surrogate cannot leave as UTF-8
    with pytest.raises(ScriptError, match=r"^TypeError"):
        evaluate("10n", {})


def test_error_messages_use_the_familiar_wording() -> None:
    cases = {
        "undefined.x = 1": "TypeError: Cannot set properties of undefined (setting 'x')",
        "null.y": "TypeError: Cannot read properties of null (reading 'y')",
        "missing()": "ReferenceError: missing is not defined",
        "function f() { return f(); } f()": "RangeError: Maximum call stack size exceeded",
    }
    for script, message in cases.items():
        with pytest.raises(ScriptError) as err:
            evaluate(script, {})
        assert err.value.message == message
    assert evaluate("try { null.y } catch (e) { e instanceof TypeError }", {}) is True
    assert evaluate("1 + 1", {}) == 2  # still usable after a stack overflow


def test_timeouts_cannot_be_caught() -> None:
    for script in ["try { while (true) {} } catch (e) { 'caught' }", "try { while (true) {} } finally { 'x' }"]:
        with pytest.raises(ScriptError) as err:
            evaluate(script, {}, timeout_s=0.1)
        assert err.value.timed_out
    assert evaluate("'alive'", {}) == "alive"


def test_function_bodies_cannot_escape_their_wrapper() -> None:
    escapes = [
        "} globalThis.side = 1; function x() {",
        "}.call(globalThis.side = 1) + function () {",
        "}); globalThis.side = 1; (function () {",
    ]
    for body in escapes:
        err = check_syntax(body, function_body=True)
        assert err is not None and err.startswith("SyntaxError")
        with pytest.raises(ScriptError, match=r"^SyntaxError"):
            evaluate_function_body(body, {})
    assert evaluate("typeof side", {}) == "undefined"
    # compiling never runs the body, even with a loop placed where it would run at once
    assert check_syntax("} while (true) {} function x() {", function_body=True) is not None
    assert check_syntax("return $.a;", function_body=True) is None


def test_function_bodies_are_cached_but_stateless() -> None:
    body = "const f = arguments.callee; f.n = (f.n || 0) + 1; f.prototype.m = 1; return [f.n, $.i];"
    first = evaluate_function_body(body, {"i": 0})
    assert [evaluate_function_body(body, {"i": i}) for i in range(1, 4)] == [[first[0], i] for i in range(1, 4)]
    expr = "(arguments.callee.n = (arguments.callee.n || 0) + 1, arguments.callee.n)"
    assert len({evaluate(expr, {}) for _ in range(3)}) == 1
    assert [evaluate_function_body("var k = (k || 0) + 1; return k;", {}) for _ in range(3)] == [1, 1, 1]
    assert [evaluate_function_body("'use strict'; return this === undefined;", {}) for _ in range(2)] == [True] * 2


@pytest.mark.parametrize(
    ("polluter", "probe"),
    [
        ("(0, eval)('let leak = 1')", "typeof leak"),
        ("globalThis['ev' + 'al']('const leak = 1')", "typeof leak"),
        ("\\u0065val('var x = 1'); (0, \\u0065val)('class leak {}')", "typeof leak"),
        ("Function('}); let leak = 1; (function () {')", "typeof leak"),
        ("(() => {}).constructor('}); let leak = 1; (function () {')", "typeof leak"),
        (
            "Object.getPrototypeOf(async function () {}).constructor('}); let leak = 1; (async function () {')",
            "typeof leak",
        ),
        ("Object.getPrototypeOf(function* () {}).constructor('}); let leak = 1; (function* () {')", "typeof leak"),
        ("Object.defineProperty(globalThis, 'leak', {value: 1, configurable: true})", "typeof leak"),
        ("Object.defineProperties(globalThis, {leak: {value: 1, configurable: true}})", "typeof leak"),
        ("Reflect.defineProperty(new Proxy(globalThis, {}), 'leak', {value: 1, configurable: true})", "typeof leak"),
        ("Proxy.revocable(globalThis, {}).proxy.leak = 1", "typeof leak"),
        ("this.__defineGetter__('leak', () => 1)", "typeof leak"),
        ("globalThis[Symbol.for('leak')] = 1", "typeof globalThis[Symbol.for('leak')]"),
        ("Object.preventExtensions(globalThis)", "Object.isExtensible(globalThis) ? 'undefined' : 'stuck'"),
        (
            "Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({done: true})",
            "[...[1]].length === 1 ? 'undefined' : 'leaked'",
        ),
        ("Object.getPrototypeOf(function* () {}).prototype.leak = 1", "typeof (function* () {})().leak"),
        ("Object.getPrototypeOf(async () => {}).leak = 1", "typeof (async () => {}).leak"),
        ("arguments.callee.leak = 1", "typeof arguments.callee.leak"),
        ("Function.prototype.constructor.leak = 1", "typeof Function.leak"),
        ("(async () => { await null; globalThis.leak = 1; })()", "typeof leak"),
    ],
)
def test_no_state_leaks_through_less_obvious_paths(polluter: str, probe: str) -> None:
    for _ in range(3):  # first run, then compiled and cached
        with contextlib.suppress(ScriptError):
            evaluate(polluter, {})
        assert evaluate(probe, {}) == "undefined"


def test_contexts_are_reused_unless_a_script_may_have_left_state() -> None:
    evaluate("1", {})
    engine = javascript._engine()
    evaluate("leak = $.a; (0, eval)('var v = 1'); leak * 2", {"a": 2})  # globals deleted: kept
    assert javascript._engine() is engine
    evaluate("Object.defineProperty(globalThis, 'stuck', {value: 1})", {})  # cannot be deleted
    retired = javascript._engine()
    assert retired is not engine
    evaluate("Promise.resolve(1).then((v) => v)", {})  # left a pending job
    assert javascript._engine() is not retired
    javascript.close_pool()
    assert evaluate("'fresh'", {}) == "fresh"


def test_sources_that_can_reach_the_compiler_scope_are_not_cached() -> None:
    body = "const prev = eval('typeof __podi' + 'um_fn'); eval('__podi' + 'um_fn = 5'); return prev;"
    assert [evaluate_function_body(body, {}) for _ in range(3)] == ["function"] * 3
    program = "[eval('typeof __podi' + 'um_fn'), eval('__podi' + 'um_fn = 5')][0]"
    assert len({evaluate(program, {}) for _ in range(3)}) == 1
    escaped = "const prev = typeof __podium_\\u0066n; __podium_f\\u{6e} = 5; return prev;"
    assert [evaluate_function_body(escaped, {}) for _ in range(3)] == ["function"] * 3


def test_built_ins_still_work_normally() -> None:
    assert evaluate("Object.defineProperty({}, 'a', {value: 1, enumerable: true})", {}) == {"a": 1}
    assert evaluate("new Proxy({}, {get: (t, k) => k + '!'}).hi", {}) == "hi!"
    assert evaluate("(function () {}) instanceof Function && Function('return 4')() === 4", {}) is True
    assert evaluate("eval('var q = 2; q * 3')", {}) == 6
    assert evaluate("(() => { let q = 5; return eval('q'); })()", {}) == 5  # direct eval sees locals
    assert evaluate("typeof require + typeof std + typeof os + typeof print", {}) == "undefined" * 4


def test_threads_run_in_parallel_contexts() -> None:
    def work(i: int) -> Any:
        return evaluate_function_body("let s = 0; for (let k = 0; k < $.n; k++) s += k; return s;", {"n": i})

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, range(200))) == [i * (i - 1) // 2 for i in range(200)]
