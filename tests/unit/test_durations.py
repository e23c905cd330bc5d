"""WAIT duration / until parsing (docs/reference.md#wait)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from podium.domain.durations import parse_duration, parse_until


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h 30m", 5400),
        ("2 days", 172800),
        ("1d2h", 93600),
        ("1 day", 86400),
        ("3d", 259200),
        ("2hrs", 7200),
        ("1 hr", 3600),
        ("1 hour 1 minute 1 second", 3661),
        ("10 mins", 600),
        ("1 min", 60),
        ("45 secs", 45),
        ("1 sec", 1),
        ("2 seconds", 2),
        ("0s", 0),
        ("  90S ", 90),
        ("1H30M", 5400),
        ("1d 2h 3m 4s", 93784),
        ("4s 3m", 184),  # any order
        ("1d2h3m4s", 93784),
    ],
)
def test_parse_duration_accepts(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("30", "expected <number><unit>"),
        ("1h30", "expected <number><unit>"),
        ("5 weeks", "unknown unit 'weeks'"),
        ("1x", "unknown unit 'x'"),
        ("-5m", "expected <number><unit>"),
        ("1.5h", "expected <number><unit>"),
        ("1h 2h", "more than once"),
        ("1m 2mins", "more than once"),
        ("m", "expected <number><unit>"),
        ("1h, 30m", "expected <number><unit>"),
    ],
)
def test_parse_duration_rejects(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="duration") as info:
        parse_duration(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("value", [30, None, ["1s"], {"d": 1}])
def test_parse_duration_rejects_non_strings(value: Any) -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_duration(value)


def _ms(dt: datetime) -> int:
    return int(dt.timestamp()) * 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-02 03:04", datetime(2030, 1, 2, 3, 4, tzinfo=UTC)),
        ("2030-01-02", datetime(2030, 1, 2, tzinfo=UTC)),
        ("2030-01-02 03:04 UTC", datetime(2030, 1, 2, 3, 4, tzinfo=UTC)),
        ("2030-01-02 03:04 GMT", datetime(2030, 1, 2, 3, 4, tzinfo=UTC)),
        ("2030-01-02 03:04 Z", datetime(2030, 1, 2, 3, 4, tzinfo=UTC)),
        ("2030-01-02 03:04 +05:30", datetime(2030, 1, 1, 21, 34, tzinfo=UTC)),
        ("2030-01-02 03:04 +0530", datetime(2030, 1, 1, 21, 34, tzinfo=UTC)),
        ("2030-01-02 03:04 -08", datetime(2030, 1, 2, 11, 4, tzinfo=UTC)),
        ("2030-01-02 03:04 GMT+1", datetime(2030, 1, 2, 2, 4, tzinfo=UTC)),
        ("2030-01-02 03:04 UTC-03:00", datetime(2030, 1, 2, 6, 4, tzinfo=UTC)),
        # Region ids follow daylight saving: New York is UTC-5 in January, UTC-4 in July.
        ("2030-01-02 03:04 America/New_York", datetime(2030, 1, 2, 8, 4, tzinfo=UTC)),
        ("2030-07-02 03:04 America/New_York", datetime(2030, 7, 2, 7, 4, tzinfo=UTC)),
        ("2030-07-02 03:04 Europe/Paris", datetime(2030, 7, 2, 1, 4, tzinfo=UTC)),
        # Abbreviations are fixed offsets (the Python SDK documents "2023-12-25 05:25 PST").
        ("2023-12-25 05:25 PST", datetime(2023, 12, 25, 13, 25, tzinfo=UTC)),
        ("2030-07-02 03:04 EDT", datetime(2030, 7, 2, 7, 4, tzinfo=UTC)),
        ("2030-07-02 03:04 ist", datetime(2030, 7, 1, 21, 34, tzinfo=UTC)),
        ("  2030-01-02 03:04  ", datetime(2030, 1, 2, 3, 4, tzinfo=UTC)),
        ("2030-01-02 3:04", datetime(2030, 1, 2, 3, 4, tzinfo=UTC)),
    ],
)
def test_parse_until_accepts(text: str, expected: datetime) -> None:
    assert parse_until(text) == _ms(expected)


def test_parse_until_uses_default_tz_only_without_zone() -> None:
    ny = ZoneInfo("America/New_York")
    assert parse_until("2030-01-02 03:04", default_tz=ny) == _ms(datetime(2030, 1, 2, 8, 4, tzinfo=UTC))
    assert parse_until("2030-01-02", default_tz=timezone(timedelta(hours=2))) == _ms(
        datetime(2030, 1, 1, 22, 0, tzinfo=UTC)
    )
    assert parse_until("2030-01-02 03:04 UTC", default_tz=ny) == _ms(datetime(2030, 1, 2, 3, 4, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected 'yyyy-MM-dd HH:mm'"),
        ("tomorrow", "expected 'yyyy-MM-dd HH:mm'"),
        ("2030-01-02T03:04", "expected 'yyyy-MM-dd HH:mm'"),
        ("2030-01-02 03:04:05", "expected 'yyyy-MM-dd HH:mm'"),
        ("2030/01/02 03:04", "expected 'yyyy-MM-dd HH:mm'"),
        ("30-01-02", "expected 'yyyy-MM-dd HH:mm'"),
        ("2030-01-02 03:04 UTC extra", "expected 'yyyy-MM-dd HH:mm'"),
        ("2030-13-02", "month must be in 1..12"),
        ("2030-02-30 10:00", "day is out of range"),
        ("2030-01-02 24:00", "hour must be in 0..23"),
        ("2030-01-02 10:60", "minute must be in 0..59"),
        ("2030-01-02 03:04 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("2030-01-02 03:04 XYZ", "unknown time zone 'XYZ'"),
        ("2030-01-02 03:04 +25:00", "invalid zone offset"),
    ],
)
def test_parse_until_rejects(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_until(text)
    assert fragment in str(info.value)


def test_parse_until_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_until(20300102)  # type: ignore[arg-type]
