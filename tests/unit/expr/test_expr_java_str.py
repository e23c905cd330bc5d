"""Java-style stringification used for expressions inside larger strings."""

from __future__ import annotations

from typing import Any

import pytest

from podium.expr import java_str


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        (10**20, "100000000000000000000"),
        (2.0, "2.0"),
        (2.5, "2.5"),
        (-0.5, "-0.5"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1.5e-5, "1.5E-5"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (-1.25e10, "-1.25E10"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        ("text", "text"),
        ([], "[]"),
        ({}, "{}"),
        ([1, "a", None, [True]], "[1, a, null, [true]]"),
        ({"a": 1, "b": {"c": [2.0]}}, "{a=1, b={c=[2.0]}}"),
    ],
)
def test_java_str(value: Any, expected: str) -> None:
    assert java_str(value) == expected
