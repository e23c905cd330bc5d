"""Spring cron: the examples of Spring's CronExpression documentation, names, specials, time zones, DST."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from podium.domain import cron

UTC_ZONE = ZoneInfo("UTC")


def ms(text: str, tz: str = "UTC") -> int:
    """Epoch ms of a wall time ``YYYY-MM-DD HH:MM:SS`` in zone ``tz``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def wall(t: int, tz: str = "UTC") -> str:
    return datetime.fromtimestamp(t / 1000, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %a")


def fires(expr: str, after: str, n: int, tz: str = "UTC") -> list[str]:
    it = cron.parse(expr).iter_after(ms(after, tz), ZoneInfo(tz))
    return [wall(next(it), tz) for _ in range(n)]


# Spring's documented examples (CronExpression javadoc and the "Cron Expressions" section of its guide).
@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("0 0 * * * *", "2024-03-01 10:15:00", ["2024-03-01 11:00:00 Fri", "2024-03-01 12:00:00 Fri"]),
        ("*/10 * * * * *", "2024-03-01 10:15:03", ["2024-03-01 10:15:10 Fri", "2024-03-01 10:15:20 Fri"]),
        ("0 0 8-10 * * *", "2024-03-01 09:30:00", ["2024-03-01 10:00:00 Fri", "2024-03-02 08:00:00 Sat"]),
        ("0 0 6,19 * * *", "2024-03-01 07:00:00", ["2024-03-01 19:00:00 Fri", "2024-03-02 06:00:00 Sat"]),
        (
            "0 0/30 8-10 * * *",
            "2024-03-01 09:45:00",
            ["2024-03-01 10:00:00 Fri", "2024-03-01 10:30:00 Fri", "2024-03-02 08:00:00 Sat"],
        ),
        ("0 0 9-17 * * MON-FRI", "2024-03-01 17:00:00", ["2024-03-04 09:00:00 Mon", "2024-03-04 10:00:00 Mon"]),
        ("0 0 0 25 DEC ?", "2024-03-01 00:00:00", ["2024-12-25 00:00:00 Wed", "2025-12-25 00:00:00 Thu"]),
        ("0 0 0 L * *", "2024-01-31 00:00:00", ["2024-02-29 00:00:00 Thu", "2024-03-31 00:00:00 Sun"]),
        ("0 0 0 L-3 * *", "2024-01-31 00:00:00", ["2024-02-26 00:00:00 Mon", "2024-03-28 00:00:00 Thu"]),
        ("0 0 0 * * 5L", "2024-01-01 00:00:00", ["2024-01-26 00:00:00 Fri", "2024-02-23 00:00:00 Fri"]),
        ("0 0 0 * * THUL", "2024-01-01 00:00:00", ["2024-01-25 00:00:00 Thu", "2024-02-29 00:00:00 Thu"]),
        # 1W: Jun 1 2024 is a Saturday -> Monday the 3rd (never the Friday of the month before).
        ("0 0 0 1W * *", "2024-05-15 00:00:00", ["2024-06-03 00:00:00 Mon", "2024-07-01 00:00:00 Mon"]),
        # LW: Mar 31 2024 is a Sunday -> Friday the 29th.
        ("0 0 0 LW * *", "2024-03-01 00:00:00", ["2024-03-29 00:00:00 Fri", "2024-04-30 00:00:00 Tue"]),
        ("0 0 0 ? * 5#2", "2024-03-01 00:00:00", ["2024-03-08 00:00:00 Fri", "2024-04-12 00:00:00 Fri"]),
        ("0 0 0 ? * MON#1", "2024-03-01 00:00:00", ["2024-03-04 00:00:00 Mon", "2024-04-01 00:00:00 Mon"]),
        # 15W on a Saturday -> Friday the 14th; on a Sunday -> Monday the 16th.
        ("0 0 0 15W * ?", "2024-06-01 00:00:00", ["2024-06-14 00:00:00 Fri", "2024-07-15 00:00:00 Mon"]),
        ("@daily", "2024-03-01 10:00:00", ["2024-03-02 00:00:00 Sat"]),
        ("@hourly", "2024-03-01 10:00:00", ["2024-03-01 11:00:00 Fri"]),
        ("@weekly", "2024-03-01 10:00:00", ["2024-03-03 00:00:00 Sun"]),
        ("@monthly", "2024-03-01 10:00:00", ["2024-04-01 00:00:00 Mon"]),
        ("@yearly", "2024-03-01 10:00:00", ["2025-01-01 00:00:00 Wed"]),
    ],
)
def test_spring_examples(expr: str, after: str, expected: list[str]) -> None:
    assert fires(expr, after, len(expected)) == expected


@pytest.mark.parametrize("sunday", ["0", "7", "SUN", "sun"])
def test_sunday_is_0_and_7(sunday: str) -> None:
    assert fires(f"0 0 12 * * {sunday}", "2024-03-01 00:00:00", 2) == [
        "2024-03-03 12:00:00 Sun",
        "2024-03-10 12:00:00 Sun",
    ]


def test_weekday_ranges_and_steps() -> None:
    assert fires("0 0 0 * * FRI-SUN", "2024-03-01 00:00:00", 3) == [
        "2024-03-02 00:00:00 Sat",
        "2024-03-03 00:00:00 Sun",
        "2024-03-08 00:00:00 Fri",
    ]
    assert fires("0 0 0 * * 1-5/2", "2024-03-01 00:00:00", 3) == [
        "2024-03-04 00:00:00 Mon",
        "2024-03-06 00:00:00 Wed",
        "2024-03-08 00:00:00 Fri",
    ]
    assert fires("0 15 10 * JAN,jul *", "2024-03-01 00:00:00", 1) == ["2024-07-01 10:15:00 Mon"]
    assert fires("5/20 * * * * *", "2024-03-01 00:00:00", 3) == [
        "2024-03-01 00:00:05 Fri",
        "2024-03-01 00:00:25 Fri",
        "2024-03-01 00:00:45 Fri",
    ]


def test_both_day_fields_restricted_must_both_match() -> None:
    """Spring ANDs day-of-month and day-of-week: Friday the 13th, not every Friday and every 13th."""
    assert fires("0 0 0 13 * FRI", "2024-01-01 00:00:00", 2) == [
        "2024-09-13 00:00:00 Fri",
        "2024-12-13 00:00:00 Fri",
    ]


def test_rare_and_never() -> None:
    assert fires("0 0 0 29 2 ?", "2024-03-01 00:00:00", 1) == ["2028-02-29 00:00:00 Tue"]
    assert cron.parse("0 0 0 30 2 ?").next_after(ms("2024-01-01 00:00:00"), UTC_ZONE) is None


def test_next_after_is_strict_and_bounded() -> None:
    expr = cron.parse("0 * * * * *")
    t = ms("2024-03-01 10:00:00")
    assert expr.next_after(t, UTC_ZONE) == t + 60_000
    assert expr.next_after(t - 1, UTC_ZONE) == t
    assert expr.next_after(t, UTC_ZONE, limit_ms=t + 59_999) is None


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("0 0 * * *", "6 fields"),
        ("0 0 0 * * * *", "6 fields"),
        ("60 * * * * *", "out of range"),
        ("0 60 * * * *", "out of range"),
        ("0 0 24 * * *", "out of range"),
        ("0 0 0 32 * *", "out of range"),
        ("0 0 0 * 13 *", "out of range"),
        ("0 0 0 * * 8", "out of range"),
        ("0 0 0 * FOO *", "Invalid month"),
        ("0 0 0 * * MONDAY", "Invalid day-of-week"),
        ("*/0 * * * * *", "Invalid step"),
        ("0 0 10-5 * * *", "start after end"),
        ("0 0 0 ? * MON#6", "out of range"),
        ("0 0,,1 * * * *", "Empty term"),
        ("0 0 0 1,,2 * *", "Empty term"),
        ("", "empty"),
    ],
)
def test_invalid_expressions(expr: str, fragment: str) -> None:
    with pytest.raises(cron.CronError, match=fragment):
        cron.parse(expr)


def test_unknown_zone() -> None:
    with pytest.raises(cron.CronError, match="Unknown time zone: Mars/Olympus"):
        cron.zone("Mars/Olympus")
    assert cron.zone(None).key == "UTC"


def test_zone_wall_clock() -> None:
    """09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer."""
    ny = cron.zone("America/New_York")
    expr = cron.parse("0 0 9 * * *")
    winter = expr.next_after(ms("2024-01-10 00:00:00"), ny)
    summer = expr.next_after(ms("2024-07-10 00:00:00"), ny)
    assert winter is not None and summer is not None
    assert datetime.fromtimestamp(winter / 1000, UTC).hour == 14
    assert datetime.fromtimestamp(summer / 1000, UTC).hour == 13


def test_spring_forward_skips_the_missing_hour() -> None:
    """Europe/Berlin, 2024-03-31: 02:00 -> 03:00. 02:30 does not exist that day: no fire, next day's fires."""
    tz = "Europe/Berlin"
    assert fires("0 30 2 * * *", "2024-03-30 03:00:00", 2, tz) == [
        "2024-04-01 02:30:00 Mon",
        "2024-04-02 02:30:00 Tue",
    ]
    # Every 30 minutes across the gap: 01:30, then 03:00 — nothing in between, nothing twice.
    got = fires("0 0/30 * * * *", "2024-03-31 01:00:00", 3, tz)
    assert got == ["2024-03-31 01:30:00 Sun", "2024-03-31 03:00:00 Sun", "2024-03-31 03:30:00 Sun"]
    times = list(_take(cron.parse("0 0/30 * * * *").iter_after(ms("2024-03-31 01:00:00", tz), cron.zone(tz)), 3))
    assert [b - a for a, b in itertools.pairwise(times)] == [30 * 60_000, 30 * 60_000]


def test_fall_back_fires_once() -> None:
    """America/New_York, 2024-11-03: 02:00 EDT -> 01:00 EST. 01:30 happens twice; it fires once (the first)."""
    tz = "America/New_York"
    ny = cron.zone(tz)
    expr = cron.parse("0 30 1 * * *")
    first = expr.next_after(ms("2024-11-03 00:00:00", tz), ny)
    assert first is not None
    assert datetime.fromtimestamp(first / 1000, UTC).strftime("%H:%M") == "05:30"  # 01:30 EDT
    again = expr.next_after(first, ny)
    assert again is not None and wall(again, tz) == "2024-11-04 01:30:00 Mon"
    # Even when asked from inside the repeated hour (01:45 EST, after the first 01:30), no second fire.
    inside = first + 75 * 60_000
    assert expr.next_after(inside, ny) == again
    # Every 30 minutes: 00:30, 01:00 EDT, 01:30 EDT, then 02:00 EST — the repeated hour is not fired again.
    hourly = list(_take(cron.parse("0 0/30 * * * *").iter_after(ms("2024-11-03 00:00:00", tz), ny), 4))
    assert [datetime.fromtimestamp(t / 1000, UTC).strftime("%H:%M") for t in hourly] == [
        "04:30",
        "05:00",
        "05:30",
        "07:00",
    ]


def test_next_fires_merges_schedules() -> None:
    a = (cron.parse("0 0 9 * * *"), cron.zone("UTC"))
    b = (cron.parse("0 0 9 * * *"), cron.zone("Europe/Berlin"))
    got = cron.next_fires([a, b], ms("2024-01-10 00:00:00"), 3)
    assert [wall(t) for t in got] == ["2024-01-10 08:00:00 Wed", "2024-01-10 09:00:00 Wed", "2024-01-11 08:00:00 Thu"]
    assert cron.next_fires([a], ms("2024-01-10 00:00:00"), 5, end_ms=ms("2024-01-11 12:00:00")) == [
        ms("2024-01-10 09:00:00"),
        ms("2024-01-11 09:00:00"),
    ]


def _take(it: Iterator[int], n: int) -> list[int]:
    out = []
    for t in it:
        out.append(t)
        if len(out) == n:
            break
    return out


def test_plain_expressions_agree_with_croniter() -> None:
    """Where croniter (a well-kept library) has Spring's meaning — numbers, ranges, steps and lists, one day
    field restricted, UTC — both give the same fire times (seeded random expressions)."""
    import random

    from croniter import croniter

    rng = random.Random(15)

    def term(lo: int, hi: int) -> str:
        kind = rng.randrange(5)
        a, b = sorted(rng.sample(range(lo, hi + 1), 2))
        return ["*", f"{a}", f"{a}-{b}", f"*/{rng.randint(2, 7)}", f"{a},{b}"][kind]

    start = datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(150):
        dom_restricted = rng.random() < 0.5
        dom = term(1, 28) if dom_restricted else "*"
        dow = "*" if dom_restricted else term(0, 6)
        expr = f"{term(0, 59)} {term(0, 59)} {term(0, 23)} {dom} {term(1, 12)} {dow}"
        theirs = croniter(expr, start, second_at_beginning=True)
        expected = [int(theirs.get_next(float) * 1000) for _ in range(5)]
        ours = cron.parse(expr).iter_after(int(start.timestamp() * 1000), UTC_ZONE)
        assert _take(ours, 5) == expected, expr
