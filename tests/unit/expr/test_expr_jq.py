"""jq transforms (JSON_JQ_TRANSFORM)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from podium.expr.jq import JqError, _compile, transform


def test_emits_all_values() -> None:
    data = {"a": [{"k": 1}, {"k": 2}], "name": "n"}
    assert transform(".a[] | .k", data) == [1, 2]
    assert transform("{name, count: (.a | length)}", data) == [{"name": "n", "count": 2}]
    assert transform("empty", data) == []
    assert transform(".missing", data) == [None]


def test_number_types() -> None:
    out = transform("[.i, .f, .w, .i / 2, .i * 2]", {"i": 3, "f": 2.5, "w": 4.0})
    assert out == [[3, 2.5, 4, 1.5, 6]]
    assert [type(v) for v in out[0]] == [int, float, int, float, int]


@pytest.mark.parametrize(
    ("query", "data", "message"),
    [
        (".a.b", {"a": "text"}, 'Cannot index string with string ("b")'),
        (".a.b", "text", 'Cannot index string with string ("a")'),
        ('error("custom failure")', {}, "custom failure"),
        (".[0]", {"a": 1}, "Cannot index object with number (0)"),
    ],
)
def test_runtime_errors_carry_jq_message(query: str, data: Any, message: str) -> None:
    with pytest.raises(JqError) as err:
        transform(query, data)
    assert err.value.message == message
    assert str(err.value) == message


def test_compile_errors() -> None:
    with pytest.raises(JqError, match="syntax error"):
        transform(".a[", {})
    with pytest.raises(JqError, match="compile error"):
        transform(".a[", {})  # failures are not cached as programs


def test_programs_are_cached() -> None:
    transform(".cached_probe", {})
    assert _compile(".cached_probe") is _compile(".cached_probe")


def test_concurrent_use() -> None:
    query = "[.items[] | select(. > 2) | . * 2] | add"

    def run(n: int) -> Any:
        return transform(query, {"items": list(range(n % 40))})

    expected = [run(i) for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(run, range(400))) == expected
