"""The test tree holds no check that cannot fail (see tests/hygiene.py for what counts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygiene import scan, scan_source

ROOT = Path(__file__).resolve().parents[2]

CANNOT_FAIL = {
    "or_true": "def test_x(r):\n    assert r.status == 404 or True\n",
    "assert_true": "def test_x():\n    assert True\n",
    "assert_string": "def test_x():\n    assert 'the answer is 42'\n",
    "assert_tuple": "def test_x(a, b):\n    assert (a == b, 'message')\n",
    "assert_fstring": "def test_x(a):\n    assert f'{a}'\n",
    "x_or_not_x": "def test_x(a):\n    assert a.ok or not a.ok\n",
    "self_compare": "def test_x(a):\n    assert a.b == a.b\n",
    "len_ge_zero": "def test_x(a):\n    assert len(a) >= 0\n",
    "isinstance_object": "def test_x(a):\n    assert isinstance(a, object)\n",
    "swallowed": "def test_x(a):\n    try:\n        assert a == 1\n    except AssertionError:\n        pass\n",
    "swallowed_bare": "def test_x(a):\n    try:\n        assert a == 1\n    except Exception:\n        log(a)\n",
    "raises_exception": "def test_x(f):\n    with pytest.raises(Exception):\n        f()\n",
    "raises_tuple": "def test_x(f):\n    with pytest.raises((KeyError, BaseException)):\n        f()\n",
    "no_check": "def test_x(client):\n    client.get('/health')\n",
}

CAN_FAIL = {
    "compare": "def test_x(r):\n    assert r.status == 404\n",
    "specific_raises": "def test_x(f):\n    with pytest.raises(KeyError):\n        f()\n",
    "helper": "def test_x(c):\n    assert_completed(c)\n",
    "recorded": (
        "def test_x(a):\n    errors = []\n    try:\n        assert a == 1\n"
        "    except BaseException as e:\n        errors.append(e)\n    assert errors == []\n"
    ),
    "calls_differ": "def test_x(it):\n    assert next(it) == next(it)\n",
}


@pytest.mark.parametrize("name", sorted(CANNOT_FAIL))
def test_the_scan_finds_a_check_that_cannot_fail(name: str) -> None:
    found = list(scan_source(CANNOT_FAIL[name], Path(f"{name}.py")))
    assert len(found) == 1, found


@pytest.mark.parametrize("name", sorted(CAN_FAIL))
def test_the_scan_leaves_real_checks_alone(name: str) -> None:
    assert list(scan_source(CAN_FAIL[name], Path(f"{name}.py"))) == []


def test_no_test_or_example_has_a_check_that_cannot_fail() -> None:
    found = scan([ROOT / "tests", ROOT / "examples"])
    assert found == [], "\n".join(map(str, found))
